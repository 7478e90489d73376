package com.domomigrationproxy.openapi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.headers.Header;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
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
 * generated client reads them as the problem they are: 400 (the request filter's checks of Host and
 * Transfer-Encoding), 406 (an Accept header that allows nothing the operation answers in), 500 and
 * 503 (a replica shutting down, bodies at their ceiling) to each; 413 (the request filter's 64 KiB
 * limit, which bounds a body sent where none is read too, a GET's) to each but a plan upload, which
 * states its own; 415 (a form's body) and 417 (an expectation but 100-continue) to each POST.</li>
 * <li>Every API answer carries {@code X-Request-Id}; each response says so.</li>
 * <li>It sorts path parameters by name; they are listed in the path's order, which clients that
 * take them by position follow.</li>
 * <li>An operation that needs no credentials says so ({@code security: []}) rather than saying
 * nothing, which reads as "not documented".</li>
 * </ul>
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class SchemaCorrections implements OASFilter {

    private static final String REQUEST_ID = "X-Request-Id";

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
        openAPI.getComponents().addHeader(REQUEST_ID, OASFactory.createHeader()
                .description("The request's id (the caller's X-Request-Id when it sent a valid one); the problem's"
                        + " requestId and the service's log lines name it")
                .schema(OASFactory.createSchema().addType(Schema.SchemaType.STRING)));
        Header requestId = OASFactory.createHeader().ref(REQUEST_ID);
        openAPI.getComponents().getResponses().values().forEach(response -> response.addHeader(REQUEST_ID, requestId));
        openAPI.getPaths().getPathItems().forEach((path, item) -> {
            if (!path.startsWith("/api/")) {
                return;
            }
            item.getOperations().forEach((method, operation) -> {
                APIResponses responses = operation.getResponses();
                addShared(responses, "400", ApiDocumentation.BAD_REQUEST);
                addShared(responses, "406", ApiDocumentation.NOT_ACCEPTABLE);
                addShared(responses, "500", ApiDocumentation.INTERNAL_ERROR);
                addShared(responses, "503", ApiDocumentation.UNAVAILABLE);
                addShared(responses, "413", ApiDocumentation.PAYLOAD_TOO_LARGE);
                if (method == PathItem.HttpMethod.POST) {
                    // A body of a form type is refused, also where none is read; so is an expectation but 100-continue.
                    addShared(responses, "415", ApiDocumentation.UNSUPPORTED_MEDIA_TYPE);
                    addShared(responses, "417", ApiDocumentation.EXPECTATION_FAILED);
                }
                responses.getAPIResponses().values().stream().filter(response -> response.getRef() == null)
                        .forEach(response -> response.addHeader(REQUEST_ID, requestId));
                responses.setAPIResponses(new TreeMap<>(responses.getAPIResponses()));
                if (operation.getParameters() != null) {
                    operation.setParameters(operation.getParameters().stream()
                            .sorted(Comparator.comparingInt(parameter -> pathPosition(path, parameter))).toList());
                }
                if (operation.getSecurity() == null && openAPI.getSecurity() == null) {
                    operation.setSecurity(new ArrayList<>());
                }
            });
        });
    }

    /** A path parameter's place in the path; every other parameter after them, in its order. */
    private static int pathPosition(String path, Parameter parameter) {
        int at = parameter.getIn() == Parameter.In.PATH ? path.indexOf("{" + parameter.getName() + "}") : -1;
        return at < 0 ? Integer.MAX_VALUE : at;
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
