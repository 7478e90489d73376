package com.domomigrationproxy.openapi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.openapitools.openapidiff.core.OpenApiCompare;
import org.openapitools.openapidiff.core.compare.OpenApiDiffOptions;
import org.openapitools.openapidiff.core.model.BackwardIncompatibleProp;
import org.openapitools.openapidiff.core.model.Changed;
import org.openapitools.openapidiff.core.model.ChangedApiResponse;
import org.openapitools.openapidiff.core.model.ChangedContent;
import org.openapitools.openapidiff.core.model.ChangedHeader;
import org.openapitools.openapidiff.core.model.ChangedHeaders;
import org.openapitools.openapidiff.core.model.ChangedList;
import org.openapitools.openapidiff.core.model.ChangedMediaType;
import org.openapitools.openapidiff.core.model.ChangedMetadata;
import org.openapitools.openapidiff.core.model.ChangedOpenApi;
import org.openapitools.openapidiff.core.model.ChangedOperation;
import org.openapitools.openapidiff.core.model.ChangedParameter;
import org.openapitools.openapidiff.core.model.ChangedParameters;
import org.openapitools.openapidiff.core.model.ChangedRequestBody;
import org.openapitools.openapidiff.core.model.ChangedResponse;
import org.openapitools.openapidiff.core.model.ChangedSchema;
import org.openapitools.openapidiff.core.model.Endpoint;
import org.openapitools.openapidiff.core.model.schema.ChangedMaxItems;
import org.openapitools.openapidiff.core.model.schema.ChangedMaxLength;
import org.openapitools.openapidiff.core.model.schema.ChangedMaxProperties;
import org.openapitools.openapidiff.core.model.schema.ChangedMinItems;
import org.openapitools.openapidiff.core.model.schema.ChangedMinLength;
import org.openapitools.openapidiff.core.model.schema.ChangedMinProperties;
import org.openapitools.openapidiff.core.model.schema.ChangedMultipleOf;
import org.openapitools.openapidiff.core.model.schema.ChangedNullable;
import org.openapitools.openapidiff.core.model.schema.ChangedPattern;
import org.openapitools.openapidiff.core.model.schema.ChangedUniqueItems;
import org.openapitools.openapidiff.core.output.MarkdownRender;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;

/**
 * The OpenAPI gate of {@code ./mvnw verify}: the document the build generates must equal the committed
 * {@code docs/openapi.yaml}, so that every API change shows in review. When they differ, openapi-diff
 * classifies the change and the breaking findings are listed first; with {@code -Dopenapi.accept} the
 * generated document replaces the committed one instead.
 *
 * <p>Stricter than openapi-diff in one respect: removing any field, required or not, is breaking,
 * because the contract never removes or renames a field.
 */
public final class OpenApiGate {

    static final String ACCEPT_HINT = """
            If the change is intended, accept it (it then shows in the diff of docs/openapi.yaml):
                ./mvnw -B verify -DskipTests -Dspectral.skip=false -Dopenapi.accept
            (or copy target/openapi/openapi.yaml over docs/openapi.yaml) and commit docs/openapi.yaml.
            A BREAKING change needs a new API version (/api/v2), not an accepted v1 document.""";

    /** One difference: what changed, where in an operation, and in which operations. */
    public record Finding(boolean breaking, String where, String what, List<String> operations) {

        String line() {
            String in = operations.isEmpty() ? "" : "\n      in " + String.join("; ", operations);
            return (breaking ? "  BREAKING    " : "  compatible  ") + what + (where.isEmpty() ? "" : " — " + where) + in;
        }
    }

    /** The outcome of comparing the committed document (old) with the generated one (new). */
    public record Comparison(boolean identical, boolean incompatibleForOpenapiDiff, List<Finding> findings,
            String fullReport) {

        public List<Finding> breaking() {
            return findings.stream().filter(Finding::breaking).toList();
        }

        public List<Finding> compatible() {
            return findings.stream().filter(finding -> !finding.breaking()).toList();
        }

        public boolean hasBreaking() {
            return incompatibleForOpenapiDiff || !breaking().isEmpty();
        }

        String summary() {
            if (identical) {
                return "The generated OpenAPI document equals docs/openapi.yaml.";
            }
            StringBuilder text = new StringBuilder("The generated OpenAPI document differs from docs/openapi.yaml: ")
                    .append(breaking().size()).append(" breaking, ").append(compatible().size())
                    .append(" compatible change(s).\n");
            if (incompatibleForOpenapiDiff && breaking().isEmpty()) {
                text.append("  BREAKING    openapi-diff classifies the change as incompatible;"
                        + " see target/openapi/openapi-diff.md\n");
            }
            breaking().forEach(finding -> text.append(finding.line()).append('\n'));
            compatible().forEach(finding -> text.append(finding.line()).append('\n'));
            if (findings.isEmpty() && !incompatibleForOpenapiDiff) {
                text.append("  openapi-diff finds no change a client can see (descriptions, examples, order or"
                        + " formatting differ).\n");
            }
            return text.toString();
        }
    }

    /** openapi-diff's defaults, plus: a longer minimum length of an input refuses what was accepted. */
    private static final OpenApiDiffOptions OPTIONS = OpenApiDiffOptions.builder()
            .configProperty(BackwardIncompatibleProp.REQUEST_MIN_LENGTH_INCREASED.getPropertyName(), "true")
            .configProperty(BackwardIncompatibleProp.OPERATION_ID_CHANGED.getPropertyName(), "true")
            .build();

    private OpenApiGate() {
    }

    /**
     * Arguments: the generated document, the committed document, and {@code true} to accept the
     * generated one. Throws (failing the build) when they differ and the change is not accepted.
     */
    public static void main(String[] args) throws IOException {
        Path generated = Path.of(args[0]);
        Path committed = Path.of(args[1]);
        boolean accept = args.length > 2 && Boolean.parseBoolean(args[2]);
        if (!Files.isRegularFile(generated)) {
            throw new IllegalStateException(generated + " is missing: the Quarkus build writes it (package phase)");
        }
        String generatedText = Files.readString(generated, StandardCharsets.UTF_8);
        if (!Files.isRegularFile(committed)) {
            if (accept) {
                Files.copy(generated, committed);
                System.out.println("[openapi-gate] Created " + committed + " from the generated document.");
                return;
            }
            throw new IllegalStateException(committed + " is missing.\n" + ACCEPT_HINT);
        }
        Comparison comparison = compare(Files.readString(committed, StandardCharsets.UTF_8), generatedText);
        if (comparison.identical()) {
            System.out.println("[openapi-gate] " + comparison.summary());
            return;
        }
        Path report = generated.resolveSibling("openapi-diff.md");
        Files.writeString(report, comparison.fullReport(), StandardCharsets.UTF_8);
        System.out.println("[openapi-gate] " + comparison.summary() + "openapi-diff's full report: " + report);
        if (accept) {
            Files.copy(generated, committed, StandardCopyOption.REPLACE_EXISTING);
            System.out.println("[openapi-gate] Accepted: " + committed + " now holds the generated document."
                    + (comparison.hasBreaking() ? " It contains BREAKING changes: a new API version is the way to"
                            + " make them; say why in the commit if you keep them." : "")
                    + " Review and commit it.");
            return;
        }
        throw new IllegalStateException("docs/openapi.yaml is not the document the build generates ("
                + (comparison.hasBreaking() ? "BREAKING change" : "compatible change") + "; the list is above).\n"
                + ACCEPT_HINT);
    }

    /** Compares the committed document (old) with the generated one (new). */
    public static Comparison compare(String committed, String generated) {
        if (committed.equals(generated)) {
            return new Comparison(true, false, List.of(), "");
        }
        ChangedOpenApi diff = OpenApiCompare.fromContents(committed, generated, null, OPTIONS);
        Findings findings = new Findings();
        for (Endpoint endpoint : diff.getMissingEndpoints()) {
            findings.add(true, "", "removed operation " + operationId(endpoint), endpoint(endpoint));
        }
        for (ChangedOperation operation : diff.getChangedOperations()) {
            findings.operation(operation);
        }
        for (Endpoint endpoint : diff.getNewEndpoints()) {
            findings.add(false, "", "added operation " + operationId(endpoint), endpoint(endpoint));
        }
        findings.components(schemas(diff.getOldSpecOpenApi()), schemas(diff.getNewSpecOpenApi()));
        return new Comparison(false, diff.isIncompatible(), findings.list(), markdown(diff));
    }

    private static Map<String, Schema> schemas(OpenAPI document) {
        return document.getComponents() == null || document.getComponents().getSchemas() == null ? Map.of()
                : document.getComponents().getSchemas();
    }

    private static String endpoint(Endpoint endpoint) {
        return endpoint.getMethod() + " " + endpoint.getPathUrl();
    }

    private static String operationId(Endpoint endpoint) {
        return endpoint.getOperation() == null || endpoint.getOperation().getOperationId() == null ? ""
                : endpoint.getOperation().getOperationId();
    }

    private static String markdown(ChangedOpenApi diff) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStreamWriter writer = new OutputStreamWriter(bytes, StandardCharsets.UTF_8)) {
            new MarkdownRender().render(diff, writer);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Walks openapi-diff's tree of one operation and names each difference with its place. */
    private static final class Findings {

        private final Map<List<Object>, Finding> byChange = new LinkedHashMap<>();
        private String operation = "";

        List<Finding> list() {
            return List.copyOf(byChange.values());
        }

        void add(boolean breaking, String where, String what, String in) {
            Finding known = byChange.get(List.of(breaking, where, what));
            List<String> operations = new ArrayList<>(known == null ? List.of() : known.operations());
            if (!in.isEmpty() && !operations.contains(in)) {
                operations.add(in);
            }
            byChange.put(List.of(breaking, where, what), new Finding(breaking, where, what, operations));
        }

        private void add(boolean breaking, String where, String what) {
            add(breaking, where, what, operation);
        }

        /**
         * Fields removed from named schemas, wherever they are used. openapi-diff does not follow a
         * reference nested in an already referenced schema (an Operation inside an OperationPage), and
         * a schema's name is the class name of generated clients.
         */
        void components(Map<String, Schema> before, Map<String, Schema> after) {
            operation = "";
            for (Map.Entry<String, Schema> schema : before.entrySet()) {
                Schema<?> kept = after.get(schema.getKey());
                if (kept == null) {
                    add(true, "", "removed schema " + schema.getKey() + " (a class of generated clients)");
                    continue;
                }
                Set<String> removed = new TreeSet<>(properties(schema.getValue()));
                removed.removeAll(properties(kept));
                removed.forEach(name -> add(true, "schema " + schema.getKey(), "removed field " + name));
            }
        }

        private static Set<String> properties(Schema<?> schema) {
            return schema.getProperties() == null ? Set.of() : schema.getProperties().keySet();
        }

        void operation(ChangedOperation changed) {
            operation = changed.getHttpMethod() + " " + changed.getPathUrl();
            if (changed.getOperationId() != null && changed.getOperationId().isDifferent()) {
                add(true, "", "operationId " + changed.getOperationId().getLeft() + " became "
                        + changed.getOperationId().getRight() + " (generated clients rename the method)");
            }
            if (changed.isDeprecated()) {
                add(false, "", "operation deprecated");
            }
            parameters(changed.getParameters());
            if (changed.getRequestBody() != null) {
                requestBody(changed.getRequestBody());
            }
            if (changed.getApiResponses() != null) {
                responses(changed.getApiResponses());
            }
            if (changed.getSecurityRequirements() != null && changed.getSecurityRequirements().isDifferent()) {
                add(changed.getSecurityRequirements().isIncompatible(), "", "security requirements changed");
            }
            if (changed.getSummary() != null || changed.getDescription() != null) {
                metadata("", changed.getSummary(), changed.getDescription());
            }
        }

        private void parameters(ChangedParameters parameters) {
            if (parameters == null) {
                return;
            }
            for (Parameter removed : parameters.getMissing()) {
                add(true, "", "removed parameter " + parameter(removed));
            }
            for (Parameter added : parameters.getIncreased()) {
                boolean required = Boolean.TRUE.equals(added.getRequired());
                add(required, "", "added " + (required ? "required" : "optional") + " parameter " + parameter(added));
            }
            for (ChangedParameter changed : parameters.getChanged()) {
                String where = "parameter " + changed.getName() + " (" + changed.getIn() + ")";
                if (changed.isChangeRequired()) {
                    add(changed.isIncompatible() || Boolean.TRUE.equals(changed.getNewParameter().getRequired()),
                            where, Boolean.TRUE.equals(changed.getNewParameter().getRequired()) ? "now required"
                                    : "no longer required");
                }
                if (changed.isChangeStyle() || changed.isChangeExplode() || changed.isChangeAllowEmptyValue()) {
                    add(true, where, "serialization (style, explode or allowEmptyValue) changed");
                }
                if (changed.isDeprecated()) {
                    add(false, where, "deprecated");
                }
                schema(where, "", changed.getSchema());
                content(where, changed.getContent(), true);
                metadata(where, changed.getDescription());
            }
        }

        private static String parameter(Parameter parameter) {
            return parameter.getName() + " (" + parameter.getIn() + ")";
        }

        private void requestBody(ChangedRequestBody body) {
            if (body.isChangeRequired()) {
                boolean required = body.getNewRequestBody() != null
                        && Boolean.TRUE.equals(body.getNewRequestBody().getRequired());
                add(required, "request body", required ? "now required" : "no longer required");
            }
            content("request body", body.getContent(), true);
            metadata("request body", body.getDescription());
        }

        private void responses(ChangedApiResponse responses) {
            responses.getMissing().keySet().forEach(status -> add(true, "", "removed response " + status));
            responses.getIncreased().keySet().forEach(status -> add(false, "", "added response " + status));
            for (Map.Entry<String, ChangedResponse> entry : responses.getChanged().entrySet()) {
                String where = "response " + entry.getKey();
                ChangedResponse response = entry.getValue();
                headers(where, response.getHeaders());
                content(where, response.getContent(), false);
                metadata(where, response.getDescription());
            }
        }

        private void headers(String where, ChangedHeaders headers) {
            if (headers == null) {
                return;
            }
            headers.getMissing().keySet().forEach(name -> add(true, where, "removed header " + name));
            headers.getIncreased().keySet().forEach(name -> add(false, where, "added header " + name));
            for (Map.Entry<String, ChangedHeader> entry : headers.getChanged().entrySet()) {
                String header = where + " header " + entry.getKey();
                ChangedHeader changed = entry.getValue();
                if (changed.isRequired() || changed.isStyle() || changed.isExplode()) {
                    add(changed.isIncompatible(), header, "required, style or explode changed");
                }
                schema(header, "", changed.getSchema());
                content(header, changed.getContent(), false);
                metadata(header, changed.getDescription());
            }
        }

        private void content(String where, ChangedContent content, boolean request) {
            if (content == null) {
                return;
            }
            content.getMissing().keySet().forEach(type -> add(true, where, "removed media type " + type));
            content.getIncreased().keySet().forEach(type -> add(false, where, "added media type " + type));
            for (Map.Entry<String, ChangedMediaType> entry : content.getChanged().entrySet()) {
                schema(where + " " + entry.getKey(), "", entry.getValue().getSchema());
                if (entry.getValue().getExamples() != null && entry.getValue().getExamples().isDifferent()
                        || entry.getValue().getExample() != null && entry.getValue().getExample().isDifferent()) {
                    add(false, where + " " + entry.getKey(), "examples changed");
                }
            }
        }

        /** {@code field} is the path inside the schema at {@code place}, empty at its root. */
        private void schema(String place, String field, ChangedSchema schema) {
            if (schema == null || schema.isUnchanged()) {
                return;
            }
            String where = field.isEmpty() ? place : place + " field " + field;
            if (schema.isChangedType()) {
                add(true, where, "type " + type(schema.getOldSchema()) + " became " + type(schema.getNewSchema()));
                return;
            }
            schema.getMissingProperties().keySet().forEach(name -> add(true, where, "removed field " + name));
            schema.getIncreasedProperties().keySet().forEach(name -> add(false, where, "added field " + name));
            if (schema.getRequired() != null && schema.getRequired().isDifferent()) {
                List<String> added = schema.getRequired().getIncreased();
                List<String> removed = schema.getRequired().getMissing();
                boolean incompatible = schema.getRequired().isIncompatible();
                if (!added.isEmpty()) {
                    add(incompatible, where, "now required: " + added);
                }
                if (!removed.isEmpty()) {
                    add(incompatible, where, "no longer required: " + removed);
                }
            }
            if (schema.getEnumeration() != null && schema.getEnumeration().isDifferent()) {
                ChangedList<?> values = schema.getEnumeration();
                boolean incompatible = values.isIncompatible();
                if (!values.getMissing().isEmpty()) {
                    add(incompatible, where, "enum values removed: " + values.getMissing());
                }
                if (!values.getIncreased().isEmpty()) {
                    add(incompatible, where, "enum values added: " + values.getIncreased());
                }
            }
            if (schema.isChangeFormat()) {
                add(true, where, "format " + schema.getOldSchema().getFormat() + " became "
                        + schema.getNewSchema().getFormat());
            }
            if (schema.isChangeDefault()) {
                add(false, where, "default " + schema.getOldSchema().getDefault() + " became "
                        + schema.getNewSchema().getDefault());
            }
            if (schema.isChangeDeprecated()) {
                add(false, where, "deprecated");
            }
            leaf(where, "maxLength", schema.getMaxLength(), ChangedMaxLength::getOldValue, ChangedMaxLength::getNewValue);
            leaf(where, "minLength", schema.getMinLength(), ChangedMinLength::getOldValue, ChangedMinLength::getNewValue);
            leaf(where, "minimum/maximum", schema.getNumericRange(),
                    range -> range.getOldMinimumValue() + "/" + range.getOldMaximumValue(),
                    range -> range.getNewMinimumValue() + "/" + range.getNewMaximumValue());
            leaf(where, "multipleOf", schema.getMultipleOf(), ChangedMultipleOf::getLeft, ChangedMultipleOf::getRight);
            leaf(where, "maxItems", schema.getMaxItems(), ChangedMaxItems::getOldValue, ChangedMaxItems::getNewValue);
            leaf(where, "minItems", schema.getMinItems(), ChangedMinItems::getOldValue, ChangedMinItems::getNewValue);
            leaf(where, "maxProperties", schema.getMaxProperties(), ChangedMaxProperties::getOldValue,
                    ChangedMaxProperties::getNewValue);
            leaf(where, "minProperties", schema.getMinProperties(), ChangedMinProperties::getOldValue,
                    ChangedMinProperties::getNewValue);
            leaf(where, "uniqueItems", schema.getUniqueItems(), ChangedUniqueItems::getLeft, ChangedUniqueItems::getRight);
            leaf(where, "nullable", schema.getNullable(), ChangedNullable::getLeft, ChangedNullable::getRight);
            leaf(where, "pattern", schema.getPattern(), ChangedPattern::getOldPattern, ChangedPattern::getNewPattern);
            leaf(where, "readOnly", schema.getReadOnly(), changed -> "", changed -> "");
            leaf(where, "writeOnly", schema.getWriteOnly(), changed -> "", changed -> "");
            leaf(where, "oneOf", schema.getOneOfSchema(), changed -> changed.getOldMapping().keySet(),
                    changed -> changed.getNewMapping().keySet());
            if (schema.isDiscriminatorPropertyChanged()) {
                add(true, where, "discriminator changed");
            }
            schema(place, field + "[]", schema.getItems());
            schema(place, field + "{}", schema.getAddProp());
            schema.getChangedProperties().forEach((name, property) -> schema(place,
                    field.isEmpty() ? name : field + "." + name, property));
            metadata(where, schema.getDescription());
        }

        private <T extends Changed> void leaf(String where, String what, T changed, Function<T, Object> before,
                Function<T, Object> after) {
            if (changed != null && changed.isDifferent()) {
                add(changed.isIncompatible(), where, what + " " + before.apply(changed) + " became "
                        + after.apply(changed));
            }
        }

        private void metadata(String where, ChangedMetadata... metadata) {
            for (ChangedMetadata changed : metadata) {
                if (changed != null && changed.isDifferent()) {
                    add(false, where, "description or summary changed");
                    return;
                }
            }
        }

        private static String type(Schema<?> schema) {
            if (schema == null) {
                return "nothing";
            }
            Object type = schema.getType() != null ? schema.getType() : schema.getTypes();
            String format = schema.getFormat() == null ? "" : " (" + schema.getFormat() + ")";
            return (type instanceof Collection<?> types ? types.stream().map(Objects::toString)
                    .sorted().collect(Collectors.joining("|")) : String.valueOf(type)) + format;
        }
    }
}
