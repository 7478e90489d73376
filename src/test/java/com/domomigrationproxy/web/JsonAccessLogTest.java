package com.domomigrationproxy.web;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.TestCredentials;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * In production the log is JSON (quarkus-logging-json); the access line's fields are then
 * members of {@code mdc}, so a log collector can filter on them without parsing the message.
 * The file handler gets the same formatter as the production console here.
 */
@QuarkusTest
@TestProfile(JsonAccessLogTest.JsonLog.class)
class JsonAccessLogTest {

    private static final Path LOG = Path.of("target", "quarkus-json-test.log");

    public static class JsonLog implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // A migration deadline past the body's 5 s, for the slow migration below.
            return Map.of("quarkus.log.file.path", LOG.toString(), "quarkus.log.file.json.enabled", "true",
                    "domo.migration-timeout", "30s");
        }
    }

    @InjectDomo
    WireMockServer domo;

    @Test
    void theAccessLineIsOneJsonObjectWithItsFieldsInTheMdc() {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"T9\"}")));
        String requestId = "json-" + UUID.randomUUID();
        String datasourceId = Api.uniqueDatasourceId();
        String operationId = Api.asOperator().header("X-Request-Id", requestId)
                .post("/api/v1/datasources/" + datasourceId + "/reversals")
                .then().statusCode(200).extract().jsonPath().getString("operationId");

        await().atMost(Duration.ofSeconds(10)).until(() -> accessLines(requestId).size() == 1);
        JsonNode line = accessLines(requestId).get(0);
        assertThat(line.get("level").asText()).isEqualTo("INFO");
        assertThat(line.get("message").asText()).contains("operation=reverseMigration");
        JsonNode mdc = line.get("mdc");
        assertThat(mdc.get("requestId").asText()).isEqualTo(requestId);
        assertThat(mdc.get("principal").asText()).isEqualTo("operator-svc");
        assertThat(mdc.get("operation").asText()).isEqualTo("reverseMigration");
        assertThat(mdc.get("method").asText()).isEqualTo("POST");
        assertThat(mdc.get("path").asText()).isEqualTo("/api/v1/datasources/" + datasourceId + "/reversals");
        assertThat(mdc.get("domoMs").asText()).matches("\\d+");
        assertThat(mdc.get("status").asText()).isEqualTo("200");
        assertThat(mdc.get("durationMs").asText()).matches("\\d+");
        assertThat(mdc.get("operationId").asText()).isEqualTo(operationId);

        assertThat(log()).doesNotContain(CANARY_TOKEN).doesNotContain(TestCredentials.OPERATOR_KEY);
    }

    /**
     * A migration whose body arrived at once and whose Domo call outlasts the body's deadline (5 s in
     * the tests): answered 200 over HTTP/1.1 when Domo answers, and so logged. The connection was
     * closed at the deadline, unanswered, and the line said {@code status=closed domoMs=0}.
     */
    @Test
    @Tag("timing") // 7 s of waiting, whose subject is time: the first CI pass only
    void aMigrationLongerThanTheBodysDeadlineIsAnsweredAndLoggedWithItsWait() throws Exception {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/.*")).willReturn(aResponse().withStatus(200)
                .withFixedDelay(7_000).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"COMPLETE\",\"toe\":\"SLOW\"}")));
        String requestId = "slow-" + UUID.randomUUID();
        HttpResponse<String> answer = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + io.restassured.RestAssured.port
                        + "/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations"))
                        .header("X-API-Key", TestCredentials.OPERATOR_KEY).header("X-Request-Id", requestId)
                        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"accountId\":\"1\",\"catalog\":\"c\","
                                + "\"schema\":\"s\",\"table\":\"t\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> accessLines(requestId).size() == 1);
        JsonNode mdc = accessLines(requestId).get(0).get("mdc");
        assertThat(mdc.get("status").asText()).isEqualTo("200");
        assertThat(Long.parseLong(mdc.get("domoMs").asText())).isGreaterThanOrEqualTo(6_000);
    }

    /** A plan's preflight reads Domo on threads of its own; the upload's line still counts that wait. */
    @Test
    void aPlanUploadCountsItsPreflightsWaitForDomo() {
        domo.resetAll();
        String account = "slow-" + System.nanoTime();
        String datasourceId = Api.uniqueDatasourceId();
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(okJson("[{\"id\":\"" + datasourceId
                + "\",\"name\":\"n\",\"migrated\":false}]").withFixedDelay(600)));
        String requestId = "plan-" + UUID.randomUUID();
        Api.asOperator().header("X-Request-Id", requestId).contentType("application/json")
                .body("{\"name\":\"waits\",\"items\":[{\"datasourceId\":\"" + datasourceId + "\",\"accountId\":\""
                        + account + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}]}")
                .post("/api/v1/plans").then().statusCode(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> accessLines(requestId).size() == 1);
        assertThat(Long.parseLong(accessLines(requestId).get(0).get("mdc").get("domoMs").asText()))
                .isGreaterThanOrEqualTo(600);
    }

    private static List<JsonNode> accessLines(String requestId) {
        ObjectMapper json = new ObjectMapper();
        return log().lines()
                .filter(line -> line.startsWith("{"))
                .map(line -> {
                    try {
                        return json.readTree(line);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                })
                .filter(node -> "access".equals(node.path("loggerName").asText())
                        && requestId.equals(node.path("mdc").path("requestId").asText()))
                .toList();
    }

    private static String log() {
        try {
            return Files.exists(LOG) ? Files.readString(LOG) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
