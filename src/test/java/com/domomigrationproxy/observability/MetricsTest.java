package com.domomigrationproxy.observability;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.HeldAnswers;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.PrometheusScrape;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The Prometheus series an operator relies on exist, carry the documented tags (never ids or
 * principals), move when they should, and are served on the management port only. Other test
 * classes share this application, so every count is compared before and after.
 */
@QuarkusTest
class MetricsTest {

    private static final String MIGRATION = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL readiness;

    @BeforeEach
    void reset() {
        domo.resetAll();
    }

    @AfterEach
    void mendTheDatabase() {
        PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS true");
        awaitDatabase();
    }

    @Test
    void requestsAndDomoCallsAreMeasuredPerOperationAndStatus() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(okJson("[\"mysql-federated\"]").withFixedDelay(400)));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/.*")).willReturn(aResponse().withStatus(503)));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/accounts/.*")).willReturn(okJson("[]").withFixedDelay(2_500)));
        String datasourceId = Api.uniqueDatasourceId();
        PrometheusScrape before = PrometheusScrape.of(metrics);

        Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
        PrometheusScrape afterTypes = PrometheusScrape.of(metrics);
        Api.asReader().get("/api/v1/accounts/42/candidates").then().statusCode(502);
        Api.asReader().get("/api/v1/integration-types/mysql-federated/accounts").then().statusCode(504);
        Api.asReader().get("/api/v1/accounts/%2e%2e/candidates").then().statusCode(400);
        given().get("/api/v1/integration-types").then().statusCode(401);
        Api.asReader().get("/no/such/" + datasourceId).then().statusCode(404);
        Api.asAuditor().get("/api/v1/audit/operations/" + java.util.UUID.randomUUID()).then().statusCode(404);

        PrometheusScrape after = PrometheusScrape.of(metrics);
        assertIncreased(before, after, "proxy_requests_seconds_count",
                Map.of("operation", "listIntegrationTypes", "outcome", "2xx", "status", "200"), 1);
        assertIncreased(before, after, "proxy_requests_seconds_count",
                Map.of("operation", "listIntegrationTypes", "outcome", "4xx", "status", "401"), 1);
        assertIncreased(before, after, "proxy_requests_seconds_count",
                Map.of("operation", "listCandidates", "outcome", "5xx", "status", "502"), 1);
        assertIncreased(before, after, "proxy_requests_seconds_count",
                Map.of("operation", "listCandidates", "outcome", "4xx", "status", "400"), 1);
        assertIncreased(before, after, "proxy_requests_seconds_count",
                Map.of("operation", "listAccounts", "outcome", "5xx", "status", "504"), 1);
        assertIncreased(before, after, "proxy_requests_seconds_count",
                Map.of("operation", "getOperation", "status", "404"), 1);
        assertIncreased(before, after, "proxy_requests_seconds_count",
                Map.of("operation", "unmatched", "status", "404"), 1);
        assertThat(after.has("proxy_requests_seconds_bucket",
                Map.of("operation", "listIntegrationTypes", "status", "200", "le", "0.5"))).isTrue();

        assertIncreased(before, after, "domo_calls_seconds_count", Map.of("operation", "types", "status", "200"), 1);
        // Fault tolerance reports its own series, named by guard.
        assertThat(delta(before, after, "ft_invocations_total", Map.of("method", "domo-read-retries")))
                .isGreaterThanOrEqualTo(3);
        assertThat(delta(before, after, "ft_circuitbreaker_calls_total", Map.of("method", "domo")))
                .isGreaterThanOrEqualTo(3);
        assertThat(after.has("ft_circuitbreaker_state_current", Map.of("method", "domo", "state", "closed"))).isTrue();
        // A failed GET may be retried: every attempt is a call.
        assertThat(delta(before, after, "domo_calls_seconds_count", Map.of("operation", "candidates", "status", "503")))
                .isGreaterThanOrEqualTo(1);
        assertThat(delta(before, after, "domo_calls_seconds_count", Map.of("operation", "accounts", "status", "timeout")))
                .isGreaterThanOrEqualTo(1);
        assertThat(after.has("domo_calls_seconds_bucket", Map.of("operation", "types", "le", "1.0"))).isTrue();

        // The overhead is the request minus its Domo wait: 400 ms of Domo delay are not in it.
        Map<String, String> types = Map.of("operation", "listIntegrationTypes", "status", "200");
        double requestSeconds = delta(before, afterTypes, "proxy_requests_seconds_sum", types);
        double overheadSeconds = delta(before, afterTypes, "proxy_overhead_seconds_sum",
                Map.of("operation", "listIntegrationTypes"));
        assertThat(requestSeconds).isGreaterThan(0.4);
        assertThat(overheadSeconds).isGreaterThan(0).isLessThan(requestSeconds - 0.35);
        assertThat(after.has("proxy_overhead_seconds_bucket", Map.of("operation", "listIntegrationTypes", "le", "0.005")))
                .isTrue();

        assertThat(after.body)
                .doesNotContain(datasourceId)
                .doesNotContain("reader-svc")
                .doesNotContain("http_server_requests")
                .doesNotContain("http_client_requests")
                .doesNotContain(CANARY_TOKEN);
    }

    @Test
    void migrationsAndReversalsAreCountedByFinalState() {
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/1")).willReturn(okJson(
                "{\"state\":\"COMPLETE\",\"toe\":\"T1\",\"direction\":\"V1_TO_V2\"}")));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(aResponse().withStatus(500)));
        PrometheusScrape before = PrometheusScrape.of(metrics);

        Api.asOperator().contentType("application/json").body(MIGRATION)
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then().statusCode(200);
        Api.asOperator().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(502);

        PrometheusScrape after = PrometheusScrape.of(metrics);
        assertIncreased(before, after, "proxy_operations_total", Map.of("direction", "V1_TO_V2", "state", "COMPLETE"), 1);
        assertIncreased(before, after, "proxy_operations_total", Map.of("direction", "V2_TO_V1", "state", "FAILED"), 1);
        assertIncreased(before, after, "proxy_requests_seconds_count",
                Map.of("operation", "migrateDatasource", "status", "200"), 1);
        assertIncreased(before, after, "proxy_requests_seconds_count",
                Map.of("operation", "reverseMigration", "status", "502"), 1);
        assertIncreased(before, after, "domo_calls_seconds_count", Map.of("operation", "migrate", "status", "200"), 1);
        assertIncreased(before, after, "domo_calls_seconds_count", Map.of("operation", "reverse", "status", "500"), 1);
        // Every final state exists from the start, so that alerts can use rate() before the first one.
        assertThat(after.has("proxy_operations_total", Map.of("direction", "V2_TO_V1", "state", "INCOMPLETE"))).isTrue();
        assertThat(after.has("proxy_operations_total", Map.of("state", "PENDING"))).isFalse();
        // So is the pool's count of sessions PostgreSQL ended (DatabaseOutageTest makes it count).
        assertThat(after.has("database_sessions_ended_total", Map.of())).isTrue();
    }

    @Test
    void auditWriteFailuresAreCountedByPhase() throws InterruptedException {
        PrometheusScrape before = PrometheusScrape.of(metrics);
        assertThat(before.has("audit_write_failures_total", Map.of("phase", "intent"))).isTrue();
        assertThat(before.has("audit_write_failures_total", Map.of("phase", "outcome"))).isTrue();

        // Intent: no database, so no record and no Domo call.
        PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS false",
                PostgresAdmin.DROP_SESSIONS);
        Api.asOperator().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(503);
        PrometheusScrape afterIntent = PrometheusScrape.of(metrics);
        assertIncreased(before, afterIntent, "audit_write_failures_total", Map.of("phase", "intent"), 1);
        PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS true");
        awaitDatabase();

        // Outcome: the database goes away while Domo is working on the reversal.
        String datasourceId = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasourceId + "/reverse").willReturn(okJson(
                "{\"state\":\"COMPLETE\",\"toe\":\"T2\",\"direction\":\"V2_TO_V1\"}")
                .withTransformers(HeldAnswers.NAME)));
        // Domo's answer is held until the database is gone, however long cutting it takes.
        CompletableFuture<Integer> reversal = HeldAnswers.whileHeld(() -> Api.asOperator()
                .post("/api/v1/datasources/" + datasourceId + "/reversals").statusCode(),
                () -> PostgresAdmin.run("ALTER DATABASE " + PostgresAdmin.DATABASE + " ALLOW_CONNECTIONS false",
                        PostgresAdmin.DROP_SESSIONS));
        assertThat(reversal.join()).isEqualTo(200);

        PrometheusScrape afterOutcome = PrometheusScrape.of(metrics);
        assertIncreased(afterIntent, afterOutcome, "audit_write_failures_total", Map.of("phase", "outcome"), 1);
        assertIncreased(afterIntent, afterOutcome, "proxy_operations_total",
                Map.of("direction", "V2_TO_V1", "state", "COMPLETE"), 1);
    }

    @Test
    void healthAndMetricsAreNotOnThePublicPort() {
        given().get("/q/metrics").then().statusCode(404);
        given().get("/q/health").then().statusCode(404);
        given().get("/q/health/ready").then().statusCode(404);
    }

    private void awaitDatabase() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(readiness.toString()).then().statusCode(200));
    }

    private static void assertIncreased(PrometheusScrape before, PrometheusScrape after, String name,
            Map<String, String> labels, double by) {
        assertThat(after.has(name, labels)).as(name + labels + " exists").isTrue();
        assertThat(delta(before, after, name, labels)).as(name + labels).isEqualTo(by);
    }

    private static double delta(PrometheusScrape before, PrometheusScrape after, String name, Map<String, String> labels) {
        return after.value(name, labels) - before.value(name, labels);
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder okJson(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }
}
