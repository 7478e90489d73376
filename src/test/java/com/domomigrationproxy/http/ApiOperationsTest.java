package com.domomigrationproxy.http;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** The operation names of metrics and access lines are the OpenAPI document's operationIds, for every operation. */
@QuarkusTest
class ApiOperationsTest {

    @Test
    void everyDocumentedOperationIsNamedByItsOperationId() {
        Map<String, Map<String, Map<String, Object>>> paths = given().accept("application/json")
                .get("/q/openapi?format=json").then().statusCode(200).extract().jsonPath().getMap("paths");
        assertThat(paths).isNotEmpty();
        List<String> documented = new ArrayList<>();
        for (var path : paths.entrySet()) {
            String concrete = path.getKey().replaceAll("\\{[^}]+}", "F495e28ec-1");
            for (var operation : path.getValue().entrySet()) {
                Object operationId = operation.getValue().get("operationId");
                assertThat(operationId).as(operation.getKey() + " " + path.getKey()).isNotNull();
                assertThat(ApiOperations.resolve(operation.getKey().toUpperCase(), concrete))
                        .as(operation.getKey() + " " + path.getKey()).isEqualTo(operationId);
                documented.add(String.valueOf(operationId));
            }
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(ApiOperations.apiOperationIds());
    }

    @Test
    void anythingElseIsUnmatchedOrNamedByWhatItIs() {
        assertThat(ApiOperations.resolve("HEAD", "/api/v1/integration-types")).isEqualTo("listIntegrationTypes");
        assertThat(ApiOperations.resolve("DELETE", "/api/v1/integration-types")).isEqualTo(ApiOperations.UNMATCHED);
        assertThat(ApiOperations.resolve("GET", "/api/v1/datasources/ds-1/migrations")).isEqualTo(ApiOperations.UNMATCHED);
        assertThat(ApiOperations.resolve("GET", "/api/v1/accounts/1/candidates/extra")).isEqualTo(ApiOperations.UNMATCHED);
        assertThat(ApiOperations.resolve("GET", "/q/openapi")).isEqualTo("openapi");
        assertThat(ApiOperations.resolve("GET", "/favicon.ico")).isEqualTo(ApiOperations.UNMATCHED);
    }
}
