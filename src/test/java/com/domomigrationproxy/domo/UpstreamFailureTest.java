package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.domomigrationproxy.security.DatasourceIds;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;

/** Every shape of Domo failure becomes the contract's status, a problem, and the right audit state. */
@QuarkusTest
class UpstreamFailureTest {

    private static final String PROBLEM = "application/problem+json";
    private static final String TYPE = "urn:problem-type:domo-migration-proxy:";
    private static final String MIGRATION_BODY = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @BeforeEach
    void reset() {
        domo.resetAll();
    }

    /**
     * name, Domo's answer, our status, our problem type, audit state of a POST, Domo status recorded,
     * attempts of a GET (POSTs are never retried).
     */
    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of("401", domoError(401, "Unauthorized", "Invalid token"), 502, "domo-rejected-credentials", "FAILED", 401, 1),
                Arguments.of("403", domoError(403, "Forbidden", "Not an admin"), 502, "domo-rejected-credentials", "FAILED", 403, 1),
                Arguments.of("500", domoError(500, "Internal Server Error", "boom"), 502, "domo-unavailable", "FAILED", 500, 1),
                Arguments.of("503 html", aResponse().withStatus(503).withHeader("Content-Type", "text/html")
                        .withBody("<html><body>Service Unavailable</body></html>"), 502, "domo-unavailable", "FAILED", 503, 3),
                Arguments.of("200 html", aResponse().withStatus(200).withHeader("Content-Type", "text/html")
                        .withBody("<html><body>Login</body></html>"), 502, "domo-unavailable", "FAILED", 200, 1),
                Arguments.of("200 empty", aResponse().withStatus(200), 502, "domo-unavailable", "FAILED", 200, 1),
                Arguments.of("200 truncated json", aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"state\":\"COMP"), 502, "domo-unavailable", "FAILED", 200, 1),
                // A success that names no end this service knows: Domo took the request and may still be at it.
                Arguments.of("200 running", aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"state\":\"RUNNING\",\"toe\":\"T-RUN\"}"), 502, "domo-unavailable", "UNKNOWN", 200, 1),
                // A success about another data source or direction tells nothing of the one asked for.
                Arguments.of("200 another datasource", okJson("{\"state\":\"COMPLETE\","
                        + "\"datasourceId\":\"someone-else\",\"toe\":\"T-OTHER\"}"), 502, "domo-unavailable", "UNKNOWN", 200, 1),
                Arguments.of("200 a direction not asked for", okJson("{\"state\":\"COMPLETE\","
                        + "\"direction\":\"V2_TO_V2\",\"toe\":\"T-BACK\"}"), 502, "domo-unavailable", "UNKNOWN", 200, 1),
                Arguments.of("302 blocked page", aResponse().withStatus(302)
                        .withHeader("Location", "https://www.domo.com/blocked"), 502, "domo-unavailable", "FAILED", 302, 1),
                Arguments.of("429", aResponse().withStatus(429).withHeader("Retry-After", "17"), 503, "domo-rate-limited",
                        "FAILED", 429, 1),
                Arguments.of("reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER), 502, "domo-unavailable",
                        "UNKNOWN", null, 3),
                // A gateway's 502 or 504: Domo may have carried the request out (or still be at it).
                Arguments.of("502", aResponse().withStatus(502), 502, "domo-unavailable", "UNKNOWN", 502, 3),
                Arguments.of("504 gateway", aResponse().withStatus(504), 502, "domo-unavailable", "UNKNOWN", 504, 3),
                // A CDN's timeout after it passed the request on (Cloudflare's 524): the same. Its 522, no
                // connection to Domo, is a failure (the request never reached Domo); a GET so answered is tried again.
                Arguments.of("524 CDN timeout", aResponse().withStatus(524), 502, "domo-unavailable", "UNKNOWN", 524, 3),
                Arguments.of("522 CDN no connection", aResponse().withStatus(522), 502, "domo-unavailable", "FAILED",
                        522, 3),
                Arguments.of("garbage", aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK), 502, "domo-unavailable",
                        "UNKNOWN", null, 3));
    }

    /** Every failure shape for each of the three GETs: ours, Domo's path. */
    static Stream<Arguments> readFailureCases() {
        return Stream.of(
                new String[] { "/api/v1/integration-types", "/types" },
                new String[] { "/api/v1/integration-types/mysql-federated/accounts", "/accounts/mysql-federated" },
                new String[] { "/api/v1/accounts/42/candidates", "/candidates/42" })
                .flatMap(paths -> failures().map(failure -> Arguments.of(concat(paths, failure.get()))));
    }

    /**
     * Every failure shape for both POSTs. They go on a connection of their own ({@code Connection:
     * close}), so WireMock's answers reach them with no declared length, ending with the connection:
     * "200 truncated json" may then have been cut off, so Domo may have acted (UNKNOWN, with Domo's
     * 200), while "garbage" or an HTML page is no JSON begun (FAILED, as a whole answer that is not
     * JSON: a proxy's page). A success with no body, or with JSON that names no state (an array, an
     * object with a key twice, even whole), is Domo taking the request without a result: UNKNOWN. An
     * exchange that breaks outright is Domo closing with no answer, or garbage for one.
     */
    static Stream<Arguments> migrationFailureCases() {
        Stream<Object[]> shapes = Stream.concat(
                failures().map(Arguments::get).map(failure -> switch ((String) failure[0]) {
                    case "garbage" -> new Object[] { "garbage", failure[1], 502, "domo-unavailable", "FAILED", 200, 1 };
                    case "200 truncated json", "200 empty" -> new Object[] { failure[0], failure[1], 502,
                            "domo-unavailable", "UNKNOWN", 200, 1 };
                    default -> failure;
                }),
                Stream.of(
                        new Object[] { "closed, no answer", aResponse().withFault(Fault.EMPTY_RESPONSE), 502,
                                "domo-unavailable", "UNKNOWN", null, 1 },
                        new Object[] { "no HTTP answer", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE), 502,
                                "domo-unavailable", "UNKNOWN", null, 1 },
                        new Object[] { "202 accepted, no body", aResponse().withStatus(202), 502, "domo-unavailable",
                                "UNKNOWN", 202, 1 },
                        // A gateway's page with a byte-order mark, a text in another language: no body of
                        // Domo's, as an ASCII page is not (their first byte, read signed, passed for none).
                        new Object[] { "200 page with a byte-order mark", aResponse().withStatus(200)
                                .withHeader("Content-Type", "text/html").withBody(concatBytes(new byte[] {
                                        (byte) 0xEF, (byte) 0xBB, (byte) 0xBF },
                                        "<html>blocked</html>".getBytes(StandardCharsets.UTF_8))),
                                502, "domo-unavailable", "FAILED", 200, 1 },
                        new Object[] { "200 text beyond ASCII", aResponse().withStatus(200)
                                .withHeader("Content-Type", "text/plain; charset=utf-8")
                                .withBody("Überlastet".getBytes(StandardCharsets.UTF_8)),
                                502, "domo-unavailable", "FAILED", 200, 1 },
                        new Object[] { "200 JSON array", okJson("[\"COMPLETE\"]"), 502, "domo-unavailable", "UNKNOWN",
                                200, 1 },
                        new Object[] { "200 a key twice, whole", aResponse().withStatus(200)
                                .withHeader("Content-Type", "application/json").withHeader("Content-Length", "40")
                                .withBody("{\"state\":\"COMPLETE\",\"toe\":\"a\",\"toe\":\"b\"}"), 502,
                                "domo-unavailable", "UNKNOWN", 200, 1 }));
        List<Object[]> all = shapes.toList();
        return Stream.of("migrate", "reverse")
                .flatMap(kind -> all.stream().map(failure -> Arguments.of(concat(new Object[] { kind }, failure))));
    }

    @ParameterizedTest(name = "GET {0}, Domo {2}")
    @MethodSource("readFailureCases")
    void readFailures(String ourPath, String domoPath, String name, ResponseDefinitionBuilder answer, int status,
            String type, String state, Integer upstreamStatus, int getAttempts) {
        domo.stubFor(get(DOMO_PREFIX + domoPath).willReturn(answer));

        ValidatableResponse response = Api.asReader().when().get(ourPath)
                .then().statusCode(status).contentType(PROBLEM)
                .body("type", equalTo(TYPE + type))
                .body("status", equalTo(status))
                .body("requestId", notNullValue())
                .body("operationId", nullValue());
        assertNoUpstreamBodyEchoed(response);
        domo.verify(getAttempts, getRequestedFor(urlEqualTo(DOMO_PREFIX + domoPath)));
    }

    @ParameterizedTest(name = "POST {0}, Domo {1}")
    @MethodSource("migrationFailureCases")
    void migrationFailures(String kind, String name, ResponseDefinitionBuilder answer, int status, String type,
            String state, Integer upstreamStatus, int getAttempts) {
        String datasourceId = Api.uniqueDatasourceId();
        String domoPath = domoPath(kind, datasourceId);
        domo.stubFor(post(domoPath).willReturn(answer));

        ValidatableResponse response = send(kind, datasourceId).then().statusCode(status).contentType(PROBLEM)
                .body("type", equalTo(TYPE + type))
                .body("operationId", notNullValue());
        assertNoUpstreamBodyEchoed(response);
        String operationId = response.extract().path("operationId");

        // Never retried: the first attempt may have reached Domo.
        domo.verify(1, postRequestedFor(urlEqualTo(domoPath)));
        Map<String, Object> row = single(datasourceId);
        assertThat(row.get("operation_id")).hasToString(operationId);
        assertThat(row).containsEntry("state", state).containsEntry("upstream_status", upstreamStatus);
        assertThat(row.get("completed_at")).isNotNull();
        assertThat((String) row.get("error_message")).isNotBlank();
    }

    /** Where Domo is sent a migration ("migrate") or a reversal ("reverse") of the data source. */
    private static String domoPath(String kind, String datasourceId) {
        return DOMO_PREFIX + "/" + datasourceId + ("migrate".equals(kind) ? "/accounts/1" : "/reverse");
    }

    /** The operator's migration or reversal of the data source, through this service. */
    private static Response send(String kind, String datasourceId) {
        boolean migrate = "migrate".equals(kind);
        var request = migrate ? Api.asOperator().contentType("application/json").body(MIGRATION_BODY) : Api.asOperator();
        return request.when().post("/api/v1/datasources/" + datasourceId + (migrate ? "/migrations" : "/reversals"));
    }

    private static Object[] concat(Object[] first, Object[] second) {
        Object[] all = new Object[first.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    /**
     * A result naming the data source asked for as the same UUID in the other letter case is its result:
     * a UUID's letters are case-insensitive. The id is sent and recorded as asked. Another id is still
     * another data source's.
     */
    @Test
    void aResultNamingTheSameUuidInTheOtherCaseIsTheResult() {
        String asked = java.util.UUID.randomUUID().toString().toUpperCase(java.util.Locale.ROOT);
        String lower = asked.toLowerCase(java.util.Locale.ROOT);
        domo.stubFor(post(domoPath("reverse", asked)).willReturn(okJson("{\"state\":\"COMPLETE\",\"datasourceId\":\""
                + lower + "\",\"toe\":\"T-CASE\"}")));
        send("reverse", asked).then().statusCode(200).body("state", equalTo("COMPLETE"))
                .body("datasourceId", equalTo(asked));
        assertThat(DatasourceIds.same("ABC", "abc")).isFalse();
        assertThat(DatasourceIds.same(asked, lower)).isTrue();
        assertThat(DatasourceIds.same(asked, asked.substring(0, 35) + (asked.endsWith("0") ? "1" : "0"))).isFalse();
    }

    @Test
    void aGetThatFailsOnceIsRetriedAndSucceeds() {
        domo.stubFor(get(DOMO_PREFIX + "/types").inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("recovered"));
        domo.stubFor(get(DOMO_PREFIX + "/types").inScenario("flaky").whenScenarioStateIs("recovered")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody("[\"x\"]")));

        Api.asReader().when().get("/api/v1/integration-types").then().statusCode(200).body("[0]", equalTo("x"));
        domo.verify(2, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types")));
    }

    @Test
    void rateLimitPassesDomosRetryAfter() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "17")));
        Api.asReader().when().get("/api/v1/integration-types").then().statusCode(503).header("Retry-After", "17");

        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(429)));
        Api.asReader().when().get("/api/v1/integration-types").then().statusCode(503).header("Retry-After", "30");

        // An HTTP-date (RFC 9110 allows either form): the seconds until then, not the default.
        String inTwoMinutes = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
                .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(120));
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(429)
                .withHeader("Retry-After", inTwoMinutes)));
        String seconds = Api.asReader().when().get("/api/v1/integration-types").then().statusCode(503)
                .extract().header("Retry-After");
        org.assertj.core.api.Assertions.assertThat(Long.parseLong(seconds)).isBetween(100L, 120L);
        String past = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
                .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).minusHours(1));
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(429).withHeader("Retry-After", past)));
        Api.asReader().when().get("/api/v1/integration-types").then().statusCode(503).header("Retry-After", "1");
    }

    @Test
    void domoClientErrorsKeepTheirStatusMessageAndToe() {
        String datasourceId = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasourceId + "/accounts/1").willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"status\":404,\"statusReason\":\"Not Found\",\"message\":\"Datasource not found\","
                        + "\"toe\":\"TOE-404-XYZ\"}")));

        Api.asOperator().contentType("application/json").body(MIGRATION_BODY)
                .when().post("/api/v1/datasources/" + datasourceId + "/migrations")
                .then().statusCode(404).contentType(PROBLEM)
                .body("type", equalTo(TYPE + "domo-rejected-request"))
                .body("detail", equalTo("Datasource not found"))
                .body("domoToe", equalTo("TOE-404-XYZ"))
                .body("operationId", notNullValue());

        assertThat(single(datasourceId)).containsEntry("state", "FAILED").containsEntry("upstream_status", 404)
                .containsEntry("toe", "TOE-404-XYZ").containsEntry("error_message", "Datasource not found");
    }

    @Test
    void domoBadRequestOnAGetKeepsStatus() {
        domo.stubFor(get(DOMO_PREFIX + "/accounts/nope").willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"status\":400,\"statusReason\":\"Bad Request\",\"message\":\"Unknown type\",\"toe\":\"T4\"}")));

        Api.asReader().when().get("/api/v1/integration-types/nope/accounts")
                .then().statusCode(400).contentType(PROBLEM)
                .body("detail", equalTo("Unknown type"))
                .body("domoToe", equalTo("T4"));
    }

    @Test
    void domoClientErrorWithoutReadableBodyStillExplains() {
        domo.stubFor(get(DOMO_PREFIX + "/accounts/gone").willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "text/html").withBody("<h1>404</h1><script>x</script>")));

        Api.asReader().when().get("/api/v1/integration-types/gone/accounts")
                .then().statusCode(404)
                .body("detail", equalTo("Domo answered 404 without a readable message"))
                .body("domoToe", nullValue());
    }

    /** Domo's success naming the other direction: a migration answered as a reversal, and the reverse. */
    @ParameterizedTest
    @ValueSource(strings = { "migrate", "reverse" })
    void aSuccessOfTheOppositeDirectionIsUnknown(String kind) {
        String datasourceId = Api.uniqueDatasourceId();
        String domoPath = domoPath(kind, datasourceId);
        domo.stubFor(post(domoPath).willReturn(okJson("{\"datasourceId\":\"" + datasourceId + "\",\"direction\":\""
                + ("migrate".equals(kind) ? "V2_TO_V1" : "V1_TO_V2") + "\",\"state\":\"COMPLETE\"}")));

        send(kind, datasourceId).then().statusCode(502).contentType(PROBLEM)
                .body("type", equalTo(TYPE + "domo-unavailable"))
                .body("operationId", notNullValue());
        assertThat(single(datasourceId)).containsEntry("state", "UNKNOWN").containsEntry("upstream_status", 200);
    }

    @ParameterizedTest
    @Tag("timing")
    @ValueSource(strings = { "migrate", "reverse" })
    void slowOperationIsUnknownAfterTheDeadline(String kind) {
        String datasourceId = Api.uniqueDatasourceId();
        String domoPath = domoPath(kind, datasourceId);
        domo.stubFor(post(domoPath).willReturn(aResponse().withFixedDelay(15_000)
                .withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));

        long started = System.nanoTime();
        send(kind, datasourceId).then().statusCode(504).contentType(PROBLEM)
                .body("type", equalTo(TYPE + "domo-timeout"))
                .body("operationId", notNullValue());
        long elapsedMillis = (System.nanoTime() - started) / 1_000_000;

        // The configured migration deadline in tests is 3 s: the answer must not wait for Domo's 15 s.
        assertThat(elapsedMillis).isLessThan(10_000);
        assertThat(single(datasourceId)).containsEntry("state", "UNKNOWN").containsEntry("upstream_status", null);
        domo.verify(1, postRequestedFor(urlEqualTo(domoPath)));
    }

    @ParameterizedTest
    @ValueSource(strings = { "/types", "/accounts/mysql-federated", "/candidates/42" })
    void slowReadsTimeOutAtTheirDeadline(String domoPath) {
        domo.stubFor(get(DOMO_PREFIX + domoPath).willReturn(aResponse().withFixedDelay(15_000).withStatus(200)
                .withBody("[]")));
        String ourPath = switch (domoPath) {
            case "/types" -> "/api/v1/integration-types";
            case "/accounts/mysql-federated" -> "/api/v1/integration-types/mysql-federated/accounts";
            default -> "/api/v1/accounts/42/candidates";
        };
        long started = System.nanoTime();
        Api.asReader().when().get(ourPath).then().statusCode(504).body("type", equalTo(TYPE + "domo-timeout"));
        // The read deadline in tests is 2 s (Domo would take 15 s); a timeout is not retried.
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(10_000);
        domo.verify(1, getRequestedFor(urlEqualTo(DOMO_PREFIX + domoPath)));
    }

    /**
     * The read's deadline holds for its retries too: a gateway answering 503 just before it, and
     * Domo then silent, used to double the wait (a retry with a deadline of its own).
     */
    @Test
    @org.junit.jupiter.api.Tag("timing") // a wall-clock bound: once, in the first pass (flakiness review)
    void aRetryEndsWithTheReadsDeadline() {
        domo.stubFor(get(DOMO_PREFIX + "/types").inScenario("late").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withFixedDelay(1_200).withStatus(503)).willSetStateTo("silent"));
        domo.stubFor(get(DOMO_PREFIX + "/types").inScenario("late").whenScenarioStateIs("silent")
                .willReturn(aResponse().withFixedDelay(15_000).withStatus(200).withBody("[]")));
        long started = System.nanoTime();
        Api.asReader().when().get("/api/v1/integration-types").then().statusCode(504)
                .body("type", equalTo(TYPE + "domo-timeout"));
        // The read deadline in tests is 2 s: retried at about 1.2 s, the retry had 2 s more of its own
        // (3.2 s at least). The rest of the way for a slow machine's request and answer.
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(3_150);
        domo.verify(2, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types")));
    }

    @Test
    void redirectsAreNotFollowed() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(302)
                .withHeader("Location", domo.baseUrl() + "/blocked")));
        domo.stubFor(any(urlEqualTo("/blocked")).willReturn(aResponse().withStatus(200).withBody("[\"x\"]")));

        Api.asReader().when().get("/api/v1/integration-types").then().statusCode(502);

        domo.verify(0, anyRequestedFor(urlEqualTo("/blocked")));
        domo.verify(1, anyRequestedFor(anyUrl()));
    }

    @Test
    void domoMessagesAreSanitised() {
        domo.stubFor(get(DOMO_PREFIX + "/candidates/9").willReturn(aResponse().withStatus(422)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"message\":\"bad\\u0000 input\\nline " + "x".repeat(1000) + "\",\"toe\":\"T9\"}")));

        String detail = Api.asReader().when().get("/api/v1/accounts/9/candidates")
                .then().statusCode(422).extract().path("detail");
        assertThat(detail).startsWith("bad  input line x").doesNotContain("\u0000", "\n").hasSizeLessThanOrEqualTo(501);
    }

    private static ResponseDefinitionBuilder domoError(int status, String reason, String message) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"status\":" + status + ",\"statusReason\":\"" + reason + "\",\"message\":\"" + message
                        + "\",\"toe\":\"TOE-" + status + "\"}");
    }

    private static void assertNoUpstreamBodyEchoed(ValidatableResponse response) {
        response.body(not(containsString("<html"))).body(not(containsString("Login")))
                .body(not(containsString("boom"))).body(not(containsString("Not an admin")))
                .body(not(containsString("Exception")));
    }

    private Map<String, Object> single(String datasourceId) {
        var rows = OperationRows.forDatasource(dataSource, datasourceId);
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    private static byte[] concatBytes(byte[] first, byte[] second) {
        byte[] both = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
