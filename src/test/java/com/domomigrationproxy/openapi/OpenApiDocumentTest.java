package com.domomigrationproxy.openapi;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.domomigrationproxy.support.DomoWireMock;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** /q/openapi is public and documents every operation with stable ids, schemas and the contract's statuses. */
@QuarkusTest
class OpenApiDocumentTest {

    private static JsonPath document() {
        return given().accept("application/json").get("/q/openapi").then().statusCode(200).extract().jsonPath();
    }

    @ParameterizedTest
    @CsvSource({
            "/api/v1/integration-types, get, listIntegrationTypes, '200,401,403,502,503,504'",
            "/api/v1/integration-types/{integrationType}/accounts, get, listAccounts, '200,400,401,403,404,502,503,504'",
            "/api/v1/accounts/{accountId}/candidates, get, listCandidates, '200,400,401,403,404,502,503,504'",
            "/api/v1/datasources/{datasourceId}/migrations, post, migrateDatasource, '200,400,401,403,404,409,415,502,503,504'",
            "/api/v1/datasources/{datasourceId}/reversals, post, reverseMigration, '200,400,401,403,404,409,502,503,504'" })
    void everyOperationIsDocumented(String path, String method, String operationId, String statuses) {
        JsonPath openapi = document();
        String operation = "paths.'" + path + "'." + method;
        org.assertj.core.api.Assertions.assertThat(openapi.getString(operation + ".operationId")).isEqualTo(operationId);
        org.assertj.core.api.Assertions.assertThat(openapi.getString(operation + ".summary")).isNotBlank();
        org.assertj.core.api.Assertions.assertThat(openapi.getList(operation + ".security")).hasSize(2);
        for (String status : statuses.split(",")) {
            org.assertj.core.api.Assertions.assertThat(openapi.getMap(operation + ".responses")).as(operationId)
                    .containsKey(status);
        }
    }

    /**
     * Every API operation can answer 400, 406, 413 (a body sent where none is read is bounded too), 500 and 503, and every
     * POST 415 and 417: each says so, as the problem it is, for generated clients (a plan upload
     * with its own limit, the others the shared 64 KiB). Every answer names its X-Request-Id header;
     * path parameters come in the path's order; an operation that needs no credentials says so.
     */
    @Test
    void everyApiOperationDocumentsItsNotAcceptableInternalErrorAndPayloadTooLargeProblems() {
        JsonPath openapi = document();
        java.util.Map<String, java.util.Map<String, Object>> paths = openapi.getMap("paths");
        int operations = 0;
        for (var path : paths.entrySet()) {
            if (!path.getKey().startsWith("/api/")) {
                continue;
            }
            for (var method : path.getValue().entrySet()) {
                if (!(method.getValue() instanceof java.util.Map<?, ?> operation) || !operation.containsKey("responses")) {
                    continue;
                }
                String where = "paths.'" + path.getKey() + "'." + method.getKey() + ".responses";
                org.assertj.core.api.Assertions.assertThat(openapi.getString(where + ".'406'.$ref")).as(where)
                        .isEqualTo("#/components/responses/NotAcceptable");
                org.assertj.core.api.Assertions.assertThat(openapi.getString(where + ".'500'.$ref")).as(where)
                        .isEqualTo("#/components/responses/InternalError");
                org.assertj.core.api.Assertions.assertThat(openapi.getMap(where + ".'413'")).as(where).isNotNull();
                // The request filter's checks (Host, Transfer-Encoding) and a replica shutting down answer any operation.
                org.assertj.core.api.Assertions.assertThat(openapi.getMap(where + ".'400'")).as(where).isNotNull();
                org.assertj.core.api.Assertions.assertThat(openapi.getMap(where + ".'503'")).as(where).isNotNull();
                if (method.getKey().equals("post")) {
                    // A form's body is refused on every POST, and any expectation but 100-continue.
                    org.assertj.core.api.Assertions.assertThat(openapi.getMap(where + ".'415'")).as(where).isNotNull();
                    org.assertj.core.api.Assertions.assertThat(openapi.getString(where + ".'417'.$ref")).as(where)
                            .isEqualTo("#/components/responses/ExpectationFailed");
                }
                java.util.Map<String, java.util.Map<String, Object>> responses = openapi.getMap(where);
                for (var response : responses.entrySet()) {
                    String headers = response.getValue().containsKey("$ref")
                            ? "components.responses." + response.getValue().get("$ref").toString().substring(
                                    "#/components/responses/".length()) + ".headers"
                            : where + ".'" + response.getKey() + "'.headers";
                    org.assertj.core.api.Assertions.assertThat(openapi.getString(headers + ".'X-Request-Id'.$ref"))
                            .as(where + " " + response.getKey()).isEqualTo("#/components/headers/X-Request-Id");
                }
                java.util.List<String> pathParameters = openapi.getList("paths.'" + path.getKey() + "'." + method.getKey()
                        + ".parameters.findAll { it.in == 'path' }.name");
                org.assertj.core.api.Assertions.assertThat(pathParameters).as(where)
                        .isSortedAccordingTo(java.util.Comparator.comparingInt(name -> path.getKey().indexOf("{" + name + "}")));
                org.assertj.core.api.Assertions.assertThat(operation.containsKey("security")).as(where).isTrue();
                operations++;
            }
        }
        org.assertj.core.api.Assertions.assertThat(operations).isGreaterThan(25);
        org.assertj.core.api.Assertions.assertThat(openapi.getList(
                "paths.'/api/v1/audit/checkpoints/public-key'.get.security")).isEmpty();
        // Domo's other 4xx, passed through, on the five Domo operations.
        org.assertj.core.api.Assertions.assertThat(openapi.getString(
                "paths.'/api/v1/integration-types'.get.responses.'4XX'.$ref"))
                .isEqualTo("#/components/responses/DomoClientError");
        org.assertj.core.api.Assertions.assertThat(openapi.getString(
                "paths.'/api/v1/datasources/{datasourceId}/migrations'.post.responses.'413'.$ref"))
                .isEqualTo("#/components/responses/PayloadTooLarge");
        org.assertj.core.api.Assertions.assertThat(openapi.getString(
                "paths.'/api/v1/plans'.post.responses.'413'.description")).contains("8 MiB");
        org.assertj.core.api.Assertions.assertThat(openapi.getString(
                "components.responses.InternalError.content.'application/problem+json'.schema.$ref"))
                .isEqualTo("#/components/schemas/Problem");
    }

    @Test
    void schemasAndSecuritySchemesAreThere() {
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("components.securitySchemes.jwt.scheme", equalTo("bearer"))
                .body("components.securitySchemes.apiKey.name", equalTo("X-API-Key"))
                .body("components.schemas", hasKey("Problem"))
                .body("components.schemas", hasKey("Operation"))
                .body("components.schemas", hasKey("MigrationRequest"))
                .body("components.schemas.MigrationRequest.required", notNullValue())
                .body("components.responses.BadRequest.content.'application/problem+json'.schema.$ref",
                        equalTo("#/components/schemas/Problem"))
                .body(not(containsString(DomoWireMock.CANARY_TOKEN)));
    }
}
