package com.domomigrationproxy.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.PrometheusScrape;
import com.domomigrationproxy.support.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;

/**
 * Auditors' own access is on the record: every audit-API request leaves an AUDIT_ACCESS event in
 * the hash chain (two for a streamed export), queryable like any event, and the chain still
 * verifies; refused attempts are logged and counted; an access that cannot be recorded is not
 * answered.
 */
@QuarkusTest
class AuditAccessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALTER = "ALTER DATABASE " + PostgresAdmin.DATABASE;

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL readiness;

    private final String auditor = "auditor-" + UUID.randomUUID();

    @BeforeEach
    void domoCompletes() {
        DomoWireMock.completesEverything(domo, "T");
    }

    @AfterEach
    void mendTheDatabase() {
        PostgresAdmin.run(ALTER + " RESET default_transaction_read_only", PostgresAdmin.DROP_SESSIONS);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> given().get(readiness.toString()).then().statusCode(200));
    }

    @Test
    void everyAuditApiRequestLeavesAnEventAndTheChainStillVerifies() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        String jwt = Tokens.jwt("audited-" + UUID.randomUUID(), "operator");
        String operationId = AuditApiTest.migrate(jwt, datasource, "1", "t");
        AuditApiTest.migrate(jwt, Api.uniqueDatasourceId(), "1", "t");

        as().queryParam("datasourceId", datasource).get("/api/v1/audit/operations").then().statusCode(200);
        as().get("/api/v1/audit/operations/" + operationId).then().statusCode(200);
        as().queryParam("type", "INTENT").queryParam("limit", "2").get("/api/v1/audit/events").then().statusCode(200);
        as().get("/api/v1/audit/principals").then().statusCode(200);
        as().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
        as().queryParam("state", "SIDEWAYS").queryParam("api_key", "a-secret-in-the-wrong-place")
                .get("/api/v1/audit/operations").then().statusCode(400);

        List<JsonNode> events = accessEvents();
        assertThat(events).extracting(event -> event.get("operation").asText()).containsExactly("listOperations",
                "getOperation", "listAuditEvents", "listPrincipals", "verifyIntegrity", "listOperations");
        JsonNode query = events.get(0);
        assertThat(query.get("principal").asText()).isEqualTo(auditor);
        assertThat(query.get("authMethod").asText()).isEqualTo("jwt");
        assertThat(query.get("clientAddress").asText()).isEqualTo("127.0.0.1");
        assertThat(query.get("requestId").asText()).isNotBlank();
        assertThat(query.get("query")).isEqualTo(JSON.createObjectNode().put("datasourceId", datasource));
        assertThat(query.get("rows").asInt()).isEqualTo(1);
        assertThat(query.get("status").asInt()).isEqualTo(200);
        assertThat(query.get("path").asText()).isEqualTo("/api/v1/audit/operations");
        assertThat(events.get(2).get("query")).isEqualTo(JSON.createObjectNode().put("limit", "2").put("type", "INTENT"));
        assertThat(events.get(2).get("rows").asInt()).isEqualTo(2);
        assertThat(events.get(3).get("rows").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(events.get(5).get("status").asInt()).isEqualTo(400);
        assertThat(events.get(5).get("rows").asInt()).isZero();
        // Only the operation's own parameters keep their values: the chain is forever.
        assertThat(events.get(5).get("query")).isEqualTo(JSON.createObjectNode().put("api_key", "(not recorded)")
                .put("state", "SIDEWAYS"));
        assertThat(events.toString()).doesNotContain("a-secret-in-the-wrong-place");

        // The events are part of the chain and of the events export (which holds its own export-started
        // event: it is written before the first row is read), and the chain verifies with them.
        String export = as().accept("application/x-ndjson").queryParam("type", "AUDIT_ACCESS")
                .queryParam("subject", auditor).get("/api/v1/audit/events").then().statusCode(200).extract().asString();
        assertThat(export.lines()).hasSize(7);
        assertThat(JSON.readTree(JSON.readTree(export.lines().toList().get(6)).get("payload").asText()).get("phase")
                .asText()).isEqualTo("export-started");
        as().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    @Test
    void anExportIsRecordedBeforeItsFirstByteAndAgainWithItsRowCount() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        String jwt = Tokens.jwt("exported-" + UUID.randomUUID(), "operator");
        AuditApiTest.migrate(jwt, datasource, "1", "t");
        AuditApiTest.migrate(jwt, Api.uniqueDatasourceId(), "1", "t");

        String csv = as().accept("text/csv").queryParam("requestedBy", "no-one-" + UUID.randomUUID())
                .get("/api/v1/audit/operations").then().statusCode(200).extract().asString();
        assertThat(csv.lines()).hasSize(1);
        String ndjson = as().accept("application/x-ndjson").queryParam("datasourceId", datasource)
                .get("/api/v1/audit/operations").then().statusCode(200).extract().asString();
        assertThat(ndjson.lines()).hasSize(1);

        await().atMost(Duration.ofSeconds(5)).until(() -> accessEvents().size() == 4);
        List<JsonNode> events = accessEvents();
        assertThat(events).extracting(event -> event.get("phase").asText()).containsExactly("export-started",
                "export-finished", "export-started", "export-finished");
        assertThat(events.get(0).get("format").asText()).isEqualTo("text/csv");
        assertThat(events.get(0).has("rows")).isFalse();
        assertThat(events.get(1).get("rows").asInt()).isZero();
        assertThat(events.get(2).get("format").asText()).isEqualTo("application/x-ndjson");
        assertThat(events.get(3).get("rows").asInt()).isEqualTo(1);
        assertThat(events.get(3).get("query")).isEqualTo(JSON.createObjectNode().put("datasourceId", datasource));
    }

    @Test
    void refusedAttemptsAreLoggedAndCountedButNotRecorded() throws Exception {
        PrometheusScrape before = PrometheusScrape.of(metrics);
        Api.asReader().get("/api/v1/audit/operations").then().statusCode(403);
        given().get("/api/v1/audit/integrity").then().statusCode(401);
        given().header("X-API-Key", "not-a-key").get("/api/v1/audit/principals").then().statusCode(401);

        PrometheusScrape after = PrometheusScrape.of(metrics);
        assertThat(after.value("audit_access_denied_total", Map.of("operation", "listOperations", "status", "403"))
                - before.value("audit_access_denied_total", Map.of("operation", "listOperations", "status", "403")))
                .isEqualTo(1.0);
        assertThat(after.value("audit_access_denied_total", Map.of("operation", "verifyIntegrity", "status", "401"))
                - before.value("audit_access_denied_total", Map.of("operation", "verifyIntegrity", "status", "401")))
                .isEqualTo(1.0);
        assertThat(after.value("audit_access_denied_total", Map.of("operation", "listPrincipals", "status", "401"))
                - before.value("audit_access_denied_total", Map.of("operation", "listPrincipals", "status", "401")))
                .isEqualTo(1.0);
        assertThat(Files.readString(Path.of("target", "quarkus-test.log")))
                .contains("Audit access refused (403): GET /api/v1/audit/operations from 127.0.0.1")
                .contains("Audit access refused (401): GET /api/v1/audit/integrity from 127.0.0.1");
        assertThat(Api.asAuditor().queryParam("type", "AUDIT_ACCESS").queryParam("subject", "reader-svc")
                .get("/api/v1/audit/events").then().statusCode(200).extract().jsonPath().getList("items")).isEmpty();
    }

    @Test
    void anAccessThatCannotBeRecordedIsNotAnswered() {
        // Reads still work on a read-only database; appending to the chain does not.
        PostgresAdmin.run(ALTER + " SET default_transaction_read_only = on", PostgresAdmin.DROP_SESSIONS);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> as().get("/api/v1/audit/principals").then()
                .statusCode(503)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"))
                .body("items", equalTo(null)));
        as().accept("application/x-ndjson").get("/api/v1/audit/operations").then().statusCode(503)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"));
    }

    private RequestSpecification as() {
        return given().auth().oauth2(Tokens.jwt(auditor, "auditor"));
    }

    /** This test's auditor's AUDIT_ACCESS events, oldest first, as their payloads (read as a default auditor). */
    private List<JsonNode> accessEvents() throws Exception {
        List<String> payloads = Api.asAuditor().queryParam("type", "AUDIT_ACCESS").queryParam("subject", auditor)
                .queryParam("limit", "500").get("/api/v1/audit/events").then().statusCode(200).extract().jsonPath()
                .getList("items.payload");
        return payloads.stream().map(payload -> {
            try {
                JsonNode event = JSON.readTree(payload);
                assertThat(event.get("event").asText()).isEqualTo("AUDIT_ACCESS");
                return event;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }
}
