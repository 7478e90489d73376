package com.domomigrationproxy.sandbox;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.net.URL;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** The built-in sandbox: the whole flow works with no Domo at all, and says so in its health output. */
@QuarkusTest
@TestProfile(SandboxFlowTest.Sandbox.class)
class SandboxFlowTest {

    public static class Sandbox implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("domo.sandbox.enabled", "true");
        }
    }

    private static final String DATASOURCE = "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01";
    private static final String MIGRATION = "{\"accountId\":\"2\",\"catalog\":\"sales\",\"schema\":\"NULL\",\"table\":\"orders\"}";

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL readiness;

    @TestHTTPResource(value = "/health/group/domo", management = true)
    URL domoHealth;

    @Test
    void listMigrateInspectReverse() {
        domo.resetAll();
        Api.asReader().get("/api/v1/integration-types").then().statusCode(200)
                .body("$", contains("mysql-federated", "snowflake-federated"));
        Api.asReader().get("/api/v1/integration-types/mysql-federated/accounts").then().statusCode(200)
                .body("[0].id", equalTo("2")).body("[0].name", equalTo("mysql v2 agent"));
        Api.asReader().get("/api/v1/accounts/2/candidates").then().statusCode(200)
                .body("find { it.id == '" + DATASOURCE + "' }.migrated", equalTo(false));

        Api.asOperator().contentType("application/json").body(MIGRATION)
                .post("/api/v1/datasources/" + DATASOURCE + "/migrations").then().statusCode(200)
                .body("state", equalTo("COMPLETE")).body("toe", notNullValue()).body("errorMessage", nullValue());
        Api.asReader().get("/api/v1/accounts/2/candidates").then().statusCode(200)
                .body("find { it.id == '" + DATASOURCE + "' }.migrated", equalTo(true))
                .body("find { it.id == '" + DATASOURCE + "' }.migrationDate", notNullValue());

        // Migrating twice is refused by "Domo": already migrated.
        Api.asOperator().contentType("application/json").body(MIGRATION)
                .post("/api/v1/datasources/" + DATASOURCE + "/migrations").then().statusCode(200)
                .body("state", equalTo("ABORTED")).body("errorMessage", equalTo("Data source is already migrated"));

        Api.asOperator().post("/api/v1/datasources/" + DATASOURCE + "/reversals").then().statusCode(200)
                .body("direction", equalTo("V2_TO_V1")).body("state", equalTo("COMPLETE"));
        Api.asReader().get("/api/v1/accounts/2/candidates").then().statusCode(200)
                .body("find { it.id == '" + DATASOURCE + "' }.migrated", equalTo(false));

        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void wrongTableIsAborted() {
        Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"2\",\"catalog\":\"sales\",\"schema\":\"NULL\",\"table\":\"ORDERS\"}")
                .post("/api/v1/datasources/F495e28ec-77aa-4d6e-8f10-2b3c4d5e6f70/migrations").then().statusCode(200)
                .body("state", equalTo("ABORTED"));
    }

    @Test
    void unknownThingsAreDomoShaped404s() {
        Api.asReader().get("/api/v1/accounts/999/candidates").then().statusCode(404)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-rejected-request"))
                .body("detail", equalTo("Unknown account 999"))
                .body("domoToe", notNullValue());
        Api.asOperator().post("/api/v1/datasources/no-such-source/reversals").then().statusCode(404)
                .body("operationId", notNullValue());
    }

    @Test
    void healthAndLogSaySandbox() throws Exception {
        given().get(readiness.toString()).then().statusCode(200)
                .body("checks.find { it.name == 'domo-upstream' }.data.mode", equalTo("sandbox"))
                .body("checks.name", hasItem("domo-upstream"));
        // No token check runs against the sandbox; the domo group says why.
        given().get(domoHealth.toString()).then().statusCode(200)
                .body("checks.find { it.name == 'domo-token' }.data.mode", equalTo("sandbox"));
        org.assertj.core.api.Assertions.assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("target", "quarkus-test.log")))
                .contains("DOMO_SANDBOX_ENABLED=true: every answer comes from the built-in Domo sandbox");
    }
}
