package com.domomigrationproxy.audit;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OwnThreads;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/** No audit record, no Domo call: with the database gone, migrations and reversals are 503 and Domo sees nothing. */
@QuarkusTest
class AuditUnavailableTest {

    @InjectDomo
    WireMockServer domo;

    @BeforeEach
    void takeTheDatabaseAway() {
        domo.resetAll();
        domo.stubFor(post(com.github.tomakehurst.wiremock.client.WireMock.urlMatching(DOMO_PREFIX + "/.*"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T\"}")));
        PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS false",
                PostgresAdmin.DROP_SESSIONS);
    }

    @AfterEach
    void bringItBack() {
        PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS true");
    }

    @Test
    void migrationIsRefusedAndDomoIsNotCalled() {
        Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations")
                .then().statusCode(503)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"))
                .body("operationId", nullValue());
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    /**
     * The plans' reads and transitions go through the ORM, which wraps the pool's failure in its
     * own exception: each is a 503 to retry, as the audit's are, never a 500 (found by a probe).
     * Sent at once: each waits for a connection the database will not give.
     */
    @Test
    void everyPlanRequestIsA503() {
        List<String> requests = List.of("reader GET ", "reader GET /{plan}", "reader GET /{plan}/items",
                "reader GET /{plan}/events", "operator POST /{plan}/preflight", "operator POST /{plan}/start",
                "operator POST /{plan}/pause", "operator POST /{plan}/resume", "operator POST /{plan}/cancel",
                "operator POST /{plan}/rollback", "operator POST /{plan}/items/1/retry", "approver POST /{plan}/approvals");
        List<CompletableFuture<Response>> answers = requests.stream()
                .map(request -> OwnThreads.supply(() -> send(request.split(" ", -1)))).toList();
        for (int i = 0; i < requests.size(); i++) {
            answers.get(i).join().then().statusCode(503).contentType("application/problem+json")
                    .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"));
        }
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    private static Response send(String[] request) {
        String role = request[0];
        String path = request[2];
        RequestSpecification caller = switch (role) {
            case "reader" -> Api.asReader();
            case "operator" -> Api.asOperator();
            default -> given().header("Authorization", "Bearer " + Tokens.jwt("approver-ann", "approver"));
        };
        if (path.endsWith("/approvals")) {
            caller.contentType("application/json").body("{\"decision\":\"APPROVE\",\"contentHash\":\""
                    + "0".repeat(64) + "\"}");
        }
        return caller.request(request[1], "/api/v1/plans" + path.replace("{plan}", UUID.randomUUID().toString()));
    }

    @Test
    void reversalIsRefusedAndDomoIsNotCalled() {
        Api.asOperator().when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                .then().statusCode(503)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:audit-unavailable"));
        domo.verify(0, anyRequestedFor(anyUrl()));

        // Once the database is back, the service recovers by itself.
        bringItBack();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> Api.asOperator()
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                .then().statusCode(200).body("state", equalTo("COMPLETE")));
    }
}
