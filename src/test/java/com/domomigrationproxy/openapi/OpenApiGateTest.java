package com.domomigrationproxy.openapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The OpenAPI gate against edits of the committed document: each kind of breaking change is named as
 * breaking, additions as compatible, and the build fails unless the change is accepted.
 */
class OpenApiGateTest {

    private static final Path COMMITTED = Path.of("docs", "openapi.yaml");
    private static final YAMLMapper YAML = new YAMLMapper();

    @Test
    void theSameDocumentPasses() {
        OpenApiGate.Comparison comparison = OpenApiGate.compare(committed(), committed());

        assertThat(comparison.identical()).isTrue();
        assertThat(comparison.hasBreaking()).isFalse();
    }

    @Test
    void aRemovedOperationIsBreaking() {
        OpenApiGate.Comparison comparison = compareWith(document -> paths(document).remove("/api/v1/audit/integrity"));

        assertThat(comparison.hasBreaking()).isTrue();
        assertThat(comparison.incompatibleForOpenapiDiff()).isTrue();
        assertThat(comparison.breaking()).extracting(OpenApiGate.Finding::what)
                .containsExactly("removed operation verifyIntegrity");
        assertThat(comparison.breaking().get(0).operations()).containsExactly("GET /api/v1/audit/integrity");
    }

    @Test
    void aRemovedOptionalResponseFieldIsBreakingThoughOpenapiDiffCallsItCompatible() {
        OpenApiGate.Comparison comparison = compareWith(document -> properties(document, "Operation").remove("toe"));

        assertThat(comparison.incompatibleForOpenapiDiff()).isFalse();
        assertThat(comparison.hasBreaking()).isTrue();
        assertThat(comparison.breaking()).extracting(OpenApiGate.Finding::what).containsOnly("removed field toe");
        assertThat(comparison.breaking()).extracting(OpenApiGate.Finding::where).contains("schema Operation");
        assertThat(comparison.breaking()).flatExtracting(OpenApiGate.Finding::operations)
                .contains("POST /api/v1/datasources/{datasourceId}/migrations");
    }

    @Test
    void aFieldRemovedFromANestedSchemaIsBreaking() {
        OpenApiGate.Comparison comparison = compareWith(document -> properties(document, "AuditChainLink")
                .remove("hash"));

        assertThat(comparison.breaking()).extracting(OpenApiGate.Finding::where, OpenApiGate.Finding::what)
                .contains(tuple("schema AuditChainLink", "removed field hash"));
    }

    @Test
    void aRenamedRequestFieldIsBreaking() {
        OpenApiGate.Comparison comparison = compareWith(document -> {
            ObjectNode properties = properties(document, "MigrationRequest");
            properties.set("catalogName", properties.remove("catalog"));
            ArrayNode required = (ArrayNode) schema(document, "MigrationRequest").get("required");
            required.set(1, "catalogName");
        });

        assertThat(comparison.hasBreaking()).isTrue();
        assertThat(comparison.breaking()).extracting(OpenApiGate.Finding::what)
                .contains("removed field catalog", "now required: [catalogName]");
        assertThat(comparison.breaking().get(0).where()).startsWith("request body application/json");
    }

    @Test
    void aNarrowedEnumIsBreaking() {
        OpenApiGate.Comparison comparison = compareWith(document -> ((ArrayNode) schema(document, "Direction")
                .get("enum")).remove(1));

        assertThat(comparison.hasBreaking()).isTrue();
        assertThat(comparison.breaking()).extracting(OpenApiGate.Finding::what)
                .contains("enum values removed: [V2_TO_V1]");
        assertThat(comparison.breaking()).extracting(OpenApiGate.Finding::where)
                .contains("parameter direction (query)");
    }

    @Test
    void aNewRequiredInputIsBreaking() {
        OpenApiGate.Comparison comparison = compareWith(document -> {
            properties(document, "MigrationRequest").putObject("region").put("type", "string");
            ((ArrayNode) schema(document, "MigrationRequest").get("required")).add("region");
            ObjectNode parameter = ((ObjectNode) paths(document).get("/api/v1/integration-types").get("get"))
                    .putArray("parameters").addObject();
            parameter.put("name", "tenant").put("in", "query").put("required", true).putObject("schema")
                    .put("type", "string");
        });

        assertThat(comparison.breaking()).extracting(OpenApiGate.Finding::what)
                .contains("now required: [region]", "added required parameter tenant (query)");
    }

    @Test
    void tighterInputBoundsAreBreaking() {
        OpenApiGate.Comparison comparison = compareWith(document -> {
            ((ObjectNode) properties(document, "MigrationRequest").get("catalog")).put("minLength", 3);
            ((ObjectNode) properties(document, "MigrationRequest").get("table")).put("maxLength", 64);
        });

        assertThat(comparison.breaking()).extracting(OpenApiGate.Finding::where, OpenApiGate.Finding::what)
                .contains(tuple("request body application/json field catalog",
                        "minLength 1 became 3"),
                        tuple("request body application/json field table",
                                "maxLength 255 became 64"));
    }

    @Test
    void aChangedTypeIsBreaking() {
        OpenApiGate.Comparison comparison = compareWith(document -> {
            for (JsonNode parameter : paths(document).get("/api/v1/audit/operations").get("get").get("parameters")) {
                if (parameter.get("name").asText().equals("limit")) {
                    ObjectNode schema = (ObjectNode) parameter.get("schema");
                    schema.removeAll();
                    schema.put("type", "string");
                }
            }
        });

        assertThat(comparison.hasBreaking()).isTrue();
        assertThat(comparison.breaking()).anySatisfy(finding -> {
            assertThat(finding.where()).isEqualTo("parameter limit (query)");
            assertThat(finding.what()).startsWith("type ").contains("integer").contains("became").endsWith("string");
        });
    }

    @Test
    void additionsAreCompatible() {
        OpenApiGate.Comparison comparison = compareWith(document -> {
            properties(document, "Operation").putObject("region").put("type", "string");
            ObjectNode path = paths(document).putObject("/api/v1/audit/integrity-again");
            path.set("get", paths(document).get("/api/v1/audit/integrity").get("get").deepCopy());
            ((ObjectNode) path.get("get")).put("operationId", "verifyIntegrityAgain");
        });

        assertThat(comparison.identical()).isFalse();
        assertThat(comparison.hasBreaking()).isFalse();
        assertThat(comparison.compatible()).extracting(OpenApiGate.Finding::what)
                .contains("added field region", "added operation verifyIntegrityAgain");
    }

    @Test
    void aDescriptionChangeStillFailsButIsNotBreaking() {
        OpenApiGate.Comparison comparison = compareWith(document -> ((ObjectNode) document.get("info"))
                .put("description", "Reworded"));

        assertThat(comparison.identical()).isFalse();
        assertThat(comparison.hasBreaking()).isFalse();
        assertThat(comparison.summary()).contains("differs from docs/openapi.yaml");
    }

    @Test
    void theBuildFailsWithTheWayToAcceptAndAcceptingCopiesTheDocument(@TempDir Path directory) throws IOException {
        Path generated = directory.resolve("generated.yaml");
        Path committed = directory.resolve("committed.yaml");
        Files.writeString(committed, committed(), StandardCharsets.UTF_8);
        Files.writeString(generated, edited(document -> paths(document).remove("/api/v1/audit/integrity")),
                StandardCharsets.UTF_8);

        assertThatThrownBy(() -> OpenApiGate.main(new String[] { generated.toString(), committed.toString(), "false" }))
                .hasMessageContaining("BREAKING").hasMessageContaining("-Dopenapi.accept");
        assertThat(Files.readString(committed)).isEqualTo(committed());

        OpenApiGate.main(new String[] { generated.toString(), committed.toString(), "true" });
        assertThat(Files.readString(committed)).isEqualTo(Files.readString(generated));
        OpenApiGate.main(new String[] { generated.toString(), committed.toString(), "false" });
    }

    @Test
    void theCommittedDocumentTypesEveryParameterAndAnchorsEveryPattern() {
        JsonNode document = read(committed());
        assertThat(document.path("info").has("license")).as("info.license: the project publishes no license").isFalse();
        List<String> untyped = new ArrayList<>();
        paths(document).fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(operation -> {
            for (JsonNode parameter : operation.getValue().path("parameters")) {
                JsonNode schema = parameter.path("schema");
                if (!schema.has("type") && !schema.has("$ref")) {
                    untyped.add(operation.getKey() + " " + path.getKey() + " " + parameter.get("name").asText());
                }
            }
        }));
        assertThat(untyped).as("parameters without a type").isEmpty();
        assertThat(document.findValues("pattern")).allSatisfy(pattern -> assertThat(pattern.asText())
                .startsWith("^").endsWith("$"));
    }

    private static OpenApiGate.Comparison compareWith(Consumer<ObjectNode> edit) {
        return OpenApiGate.compare(committed(), edited(edit));
    }

    private static String edited(Consumer<ObjectNode> edit) {
        ObjectNode document = read(committed());
        edit.accept(document);
        try {
            return YAML.writeValueAsString(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode read(String yaml) {
        try {
            return (ObjectNode) YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String committed() {
        try {
            return Files.readString(COMMITTED, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode paths(JsonNode document) {
        return (ObjectNode) document.get("paths");
    }

    private static ObjectNode schema(JsonNode document, String name) {
        return (ObjectNode) document.get("components").get("schemas").get(name);
    }

    private static ObjectNode properties(JsonNode document, String schema) {
        return (ObjectNode) schema(document, schema).get("properties");
    }
}
