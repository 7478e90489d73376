package com.domomigrationproxy.openapi;

import java.util.List;
import java.util.TreeMap;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

import io.quarkus.smallrye.openapi.OpenApiFilter;

/**
 * Corrections to what SmallRye writes, applied to the whole document at build time so that every
 * endpoint gets them without an annotation.
 * <ul>
 * <li>It copies a {@code type} next to a {@code $ref} or a nullable {@code anyOf}. The referenced
 * schema and the {@code anyOf} members already say what the value is, and the copy is sometimes wrong:
 * a nullable reference typed {@code object} alone forbids the null its own {@code anyOf} allows.</li>
 * <li>Its UUID pattern is unanchored, and OpenAPI patterns match anywhere unless anchored.</li>
 * <li>It lists an operation's responses in the order it met their annotations, a resource class's
 * own (the responses every one of its operations shares) first; they are listed by status code.</li>
 * <li>Answers that API operations give without an annotation are added to them, so that a
 * generated client reads them as the problem they are: 406 (an Accept header that allows nothing
 * the operation answers in) and 500 to each; 413 (the request filter's 64 KiB limit) to each that
 * takes a body, but for a plan upload, which states its own.</li>
 * </ul>
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class SchemaCorrections implements OASFilter {

    @Override
    public Schema filterSchema(Schema schema) {
        if (schema.getType() != null && (schema.getRef() != null || allowsNull(schema.getAnyOf()))) {
            schema.setType(null);
        }
        String pattern = schema.getPattern();
        if ("uuid".equals(schema.getFormat()) && pattern != null && !pattern.startsWith("^")) {
            schema.setPattern("^" + pattern + "$");
        }
        return schema;
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        openAPI.getPaths().getPathItems().forEach((path, item) -> {
            if (!path.startsWith("/api/")) {
                return;
            }
            for (Operation operation : item.getOperations().values()) {
                APIResponses responses = operation.getResponses();
                addShared(responses, "406", ApiDocumentation.NOT_ACCEPTABLE);
                addShared(responses, "500", ApiDocumentation.INTERNAL_ERROR);
                if (operation.getRequestBody() != null) {
                    addShared(responses, "413", ApiDocumentation.PAYLOAD_TOO_LARGE);
                }
                responses.setAPIResponses(new TreeMap<>(responses.getAPIResponses()));
            }
        });
    }

    private static void addShared(APIResponses responses, String status, String name) {
        if (!responses.hasAPIResponse(status)) {
            responses.addAPIResponse(status, OASFactory.createAPIResponse().ref(name));
        }
    }

    @Override
    public Operation filterOperation(Operation operation) {
        APIResponses responses = operation.getResponses();
        if (responses != null && responses.getAPIResponses() != null) {
            responses.setAPIResponses(new TreeMap<>(responses.getAPIResponses()));
        }
        return operation;
    }

    private static boolean allowsNull(List<Schema> alternatives) {
        return alternatives != null && alternatives.stream()
                .anyMatch(alternative -> alternative.getType() != null
                        && alternative.getType().contains(Schema.SchemaType.NULL));
    }
}
