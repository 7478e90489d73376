package com.domomigrationproxy.web;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.TestCredentials;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * One access line per request on the public port, with the fields an operator searches by, and
 * never a credential: no API key, no JWT, no Domo token, no query string.
 */
@QuarkusTest
class AccessLogTest {

    private static final Path LOG = Path.of("target", "quarkus-test.log");
    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL readiness;

    @BeforeEach
    void reset() {
        domo.resetAll();
    }

    @Test
    void everyRequestGetsOneLineWithItsFields() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[\"mysql-federated\"]").withFixedDelay(200)));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/1")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"T1\"}")));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(aResponse().withStatus(500)
                .withBody("token " + CANARY_TOKEN)));
        String jwt = Tokens.jwt("jwt-operator", "reader", "operator");
        String datasourceId = Api.uniqueDatasourceId();

        String listed = requestId();
        Api.asReader().header("X-Request-Id", listed).get("/api/v1/integration-types").then().statusCode(200);

        String migrated = requestId();
        Response migration = given().auth().oauth2(jwt).header("X-Request-Id", migrated)
                .contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasourceId + "/migrations");
        assertThat(migration.statusCode()).isEqualTo(200);

        String reversed = requestId();
        Response reversal = Api.asOperator().header("X-Request-Id", reversed)
                .post("/api/v1/datasources/" + datasourceId + "/reversals");
        assertThat(reversal.statusCode()).isEqualTo(502);

        String audited = requestId();
        Api.asAuditor().header("X-Request-Id", audited).queryParam("requestedBy", "query-marker-4b1d")
                .get("/api/v1/audit/operations").then().statusCode(200);

        String badKey = requestId();
        given().header("X-API-Key", "wrong-secret-9e2f").header("X-Request-Id", badKey)
                .get("/api/v1/integration-types").then().statusCode(401);

        String hostile = requestId();
        Api.asReader().urlEncodingEnabled(false).header("X-Request-Id", hostile)
                .get("/api/v1/accounts/%2e%2e/candidates").then().statusCode(400);

        String unknown = requestId();
        Api.asReader().header("X-Request-Id", unknown).get("/nothing-here").then().statusCode(404);

        assertThat(accessLine(listed)).matches(".*principal=reader-svc operation=listIntegrationTypes method=GET"
                + " path=/api/v1/integration-types status=200 durationMs=\\d+ domoMs=\\d+ operationId=-$");
        assertThat(domoMillis(accessLine(listed))).isGreaterThanOrEqualTo(200);
        assertThat(accessLine(migrated)).matches(".*principal=jwt-operator operation=migrateDatasource method=POST path=/api/v1/datasources/"
                + datasourceId + "/migrations status=200 durationMs=\\d+ domoMs=\\d+ operationId="
                + migration.jsonPath().getString("operationId") + "$");
        assertThat(accessLine(reversed)).matches(".*principal=operator-svc operation=reverseMigration .* status=502 .*"
                + " operationId=" + reversal.jsonPath().getString("operationId") + "$")
                .matches(".* operationId=" + UUID_PATTERN + "$");
        assertThat(accessLine(audited)).matches(".*principal=auditor-svc operation=listOperations method=GET"
                + " path=/api/v1/audit/operations status=200 .*").doesNotContain("query-marker-4b1d").doesNotContain("?");
        assertThat(accessLine(badKey)).matches(".*principal=- operation=listIntegrationTypes .* status=401 .*");
        assertThat(accessLine(hostile)).matches(".*principal=- operation=listCandidates method=GET"
                + " path=/api/v1/accounts/%2e%2e/candidates status=400 .*");
        assertThat(accessLine(unknown)).matches(".* operation=unmatched method=GET path=/nothing-here status=404 .*");

        assertThat(log())
                .doesNotContain(CANARY_TOKEN)
                .doesNotContain(jwt)
                .doesNotContain(jwt.split("\\.")[2])
                .doesNotContain("wrong-secret-9e2f")
                .doesNotContain(TestCredentials.READER_KEY)
                .doesNotContain(TestCredentials.OPERATOR_KEY)
                .doesNotContain(TestCredentials.AUDITOR_KEY);
    }

    @Test
    void theManagementPortHasNoAccessLines() {
        String probe = requestId();
        given().header("X-Request-Id", probe).get(readiness.toString()).then().statusCode(200);
        String openapi = requestId();
        given().header("X-Request-Id", openapi).get("/q/openapi").then().statusCode(200);

        assertThat(accessLine(openapi)).contains("operation=openapi");
        // Probes every few seconds would drown the access log; the management port is not the API.
        assertThat(accessLines(probe)).isEmpty();
    }

    /**
     * An API key's secret has the shape of a request id, and a misconfigured client may send it as
     * one: it is replaced, neither echoed nor logged, and the key is named once. The management port,
     * which asks for no credentials and writes nothing down, does not look (it would tell anyone
     * which strings are keys).
     */
    @Test
    void aRequestIdThatIsAnApiKeysSecretIsReplaced() throws Exception {
        String secret = TestCredentials.OPERATOR_KEY;
        long logged = Files.size(LOG);
        String answered = Api.asReader().header("X-Request-Id", secret).get("/api/v1/plans?limit=1").then()
                .statusCode(200).extract().header("X-Request-Id");
        assertThat(answered).matches(UUID_PATTERN);
        assertThat(accessLine(answered)).doesNotContain(secret);
        assertThat(given().header("X-Request-Id", secret).get(readiness.toString()).then().statusCode(200)
                .extract().header("X-Request-Id")).isEqualTo(secret);
        byte[] all = Files.readAllBytes(LOG);
        String log = new String(all, (int) logged, all.length - (int) logged, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(log).contains("X-Request-Id carried the secret of API key").doesNotContain("requestId=" + secret);
        // Any other id of that shape is the caller's.
        String own = "test-operator-key-0000";
        assertThat(Api.asReader().header("X-Request-Id", own).get("/api/v1/plans?limit=1").then().statusCode(200)
                .extract().header("X-Request-Id")).isEqualTo(own);
    }

    /**
     * The Domo token has the shape of a request id too, and a script that holds it may send it as
     * one: replaced as an API key's secret is, in any letter case, so that no log line, problem or
     * audit row carries it.
     */
    @Test
    void aRequestIdThatIsTheDomoTokenIsReplaced() throws Exception {
        long logged = Files.size(LOG);
        for (String token : new String[] { DomoWireMock.CANARY_TOKEN, DomoWireMock.CANARY_TOKEN.toUpperCase(java.util.Locale.ROOT),
                "x-" + DomoWireMock.CANARY_TOKEN + "-y" }) {
            String answered = Api.asReader().header("X-Request-Id", token).get("/api/v1/plans?limit=1").then()
                    .statusCode(200).extract().header("X-Request-Id");
            assertThat(answered).matches(UUID_PATTERN);
            assertThat(accessLine(answered)).doesNotContainIgnoringCase(DomoWireMock.CANARY_TOKEN);
        }
        byte[] all = Files.readAllBytes(LOG);
        String log = new String(all, (int) logged, all.length - (int) logged, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(log).doesNotContainIgnoringCase(DomoWireMock.CANARY_TOKEN);
    }

    private static String requestId() {
        return "req-" + UUID.randomUUID();
    }

    /** The one access line of a request; the line is written when the response has gone out, so wait for it. */
    private static String accessLine(String requestId) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !accessLines(requestId).isEmpty());
        List<String> lines = accessLines(requestId);
        assertThat(lines).as("access lines of " + requestId).hasSize(1);
        return lines.get(0);
    }

    private static List<String> accessLines(String requestId) {
        return log().lines().filter(line -> line.contains("[access]") && line.contains("requestId=" + requestId + " "))
                .toList();
    }

    private static long domoMillis(String line) {
        return Long.parseLong(line.replaceAll(".* domoMs=(\\d+) .*", "$1"));
    }

    private static String log() {
        try {
            return Files.readString(LOG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
