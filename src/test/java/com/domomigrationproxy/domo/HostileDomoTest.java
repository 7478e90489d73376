package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.ConsoleSessions;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/**
 * What a misbehaving Domo cannot do to the service: make it buffer an answer of any size, keep an
 * outcome out of the audit trail with a character PostgreSQL refuses, or get the token out in any
 * encoding.
 */
@QuarkusTest
class HostileDomoTest {

    private static final String TYPE = "urn:problem-type:domo-migration-proxy:";

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @BeforeEach
    void reset() {
        domo.resetAll();
    }

    /**
     * A list goes out as the bytes Domo sent (no tree built and written again), but only when it is
     * exactly one JSON array: trailing content, a second value or another top-level type is a 502.
     */
    @Test
    void aListPassesThroughAsDomoSentItOnlyWhenItIsExactlyOneArray() {
        String asSent = "[ {\"migrated\" : false, \"id\":\"1\",  \"name\":\"caf\u00e9\"} ,\n{\"id\":\"2\"} ]";
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/passthrough"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody(asSent.getBytes(StandardCharsets.UTF_8))));
        byte[] answered = Api.asReader().get("/api/v1/accounts/passthrough/candidates").then().statusCode(200)
                .contentType("application/json").extract().asByteArray();
        assertThat(answered).isEqualTo(asSent.getBytes(StandardCharsets.UTF_8));

        for (String notOneArray : List.of("[{\"id\":\"1\"}] [{\"id\":\"2\"}]", "[{\"id\":\"1\"}] trailing",
                "[{\"id\":\"1\"}", "{\"id\":\"1\"}")) {
            domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/not-one-array"))
                    .willReturn(okJson(notOneArray)));
            Api.asReader().get("/api/v1/accounts/not-one-array/candidates").then().statusCode(502)
                    .contentType("application/problem+json")
                    .body("type", equalTo(TYPE + "domo-unavailable"));
        }
    }

    @Test
    void anAnswerLongerThanTheLimitIsCutOffAnd502() {
        // 9 MB of candidates: one more than DOMO_MAX_RESPONSE_SIZE's default of 8 MiB.
        String padding = "x".repeat(9 * 1024 * 1024);
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/.*"))
                .willReturn(okJson("[{\"id\":\"1\",\"name\":\"" + padding + "\",\"migrated\":false}]")));
        Api.asReader().get("/api/v1/accounts/huge/candidates").then().statusCode(502)
                .contentType("application/problem+json")
                .body("type", equalTo(TYPE + "domo-response-too-large"));

        // A migration whose answer is too long: Domo acted or not, nobody can read which.
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/" + datasource + "/accounts/.*"))
                .willReturn(okJson("{\"state\":\"COMPLETE\",\"toe\":\"" + padding + "\"}")));
        Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(502)
                .body("type", equalTo(TYPE + "domo-response-too-large"))
                .body("operationId", org.hamcrest.Matchers.notNullValue());
        // Domo did answer, with a 200 whose end was not read: its status is recorded, not "no answer came".
        assertThat(OperationRows.forDatasource(dataSource, datasource)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("state", "UNKNOWN").containsEntry("upstream_status", 200));
    }

    /** A broken Domo's request id or times cannot fill every log line and audit row, nor forge a log line. */
    @Test
    void domosShortFieldsAreBoundedAndKeptOnOneLine() {
        String datasource = Api.uniqueDatasourceId();
        String forged = "\\n2026-12-05 10:00:00,000 INFO  [io.quarkus] (main) forged";
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/" + datasource + "/accounts/.*")).willReturn(okJson(
                "{\"state\":\"COMPLETE\",\"toe\":\"T" + forged + "\",\"startTime\":\"" + "9".repeat(100_000)
                        + "\",\"endTime\":\"e\\r\\u001b[31m\"}")));
        Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200)
                .body("toe", equalTo("T\uFFFD2026-12-05 10:00:00,000 INFO  [io.quarkus] (main) forged"))
                .body("startTime", equalTo("9".repeat(128) + "…"))
                .body("endTime", equalTo("e\uFFFD\uFFFD[31m"));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("toe", "T\uFFFD2026-12-05 10:00:00,000 INFO  [io.quarkus] (main) forged")
                .containsEntry("start_time", "9".repeat(128) + "…"));
    }

    /**
     * A lone surrogate in Domo's refusal is the same U+FFFD in the caller's problem, the audit row and
     * the answer replayed to a repeated Idempotency-Key: the problem kept the surrogate, the row had
     * U+FFFD and the replay a '?'.
     */
    @Test
    void aLoneSurrogateInDomosRefusalReadsTheSameInTheAnswerTheRowAndTheReplay() {
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/" + datasource + "/accounts/.*")).willReturn(aResponse()
                .withStatus(404).withHeader("Content-Type", "application/json")
                .withBody("{\"message\":\"no account \\ud800 here\",\"toe\":\"T\\ud800\"}")));
        String key = "surrogate-" + datasource;
        ExtractableResponse<Response> first = refusedMigration(datasource,
                key);
        assertThat(first.<String>path("detail")).isEqualTo("no account \uFFFD here");
        assertThat(first.<String>path("domoToe")).isEqualTo("T\uFFFD");
        assertThat(OperationRows.forDatasource(dataSource, datasource)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("state", "FAILED").containsEntry("error_message", "no account \uFFFD here")
                .containsEntry("toe", "T\uFFFD"));
        ExtractableResponse<Response> repeat = refusedMigration(datasource,
                key);
        assertThat(repeat.statusCode()).isEqualTo(first.statusCode());
        assertThat(repeat.<String>path("detail")).isEqualTo("no account \uFFFD here");
        assertThat(repeat.<String>path("domoToe")).isEqualTo("T\uFFFD");
        assertThat(repeat.<String>path("operationId")).isEqualTo(first.path("operationId"));
    }

    private static ExtractableResponse<Response> refusedMigration(
            String datasource, String key) {
        return Api.asOperator().header("Idempotency-Key", key).contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(404).extract();
    }

    @Test
    void nulAndLoneSurrogatesFromDomoAreRecordedAsReplacementCharacters() {
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/" + datasource + "/accounts/.*")).willReturn(okJson(
                "{\"state\":\"COMPLETE\",\"toe\":\"T\\ud800OE\",\"startTime\":\"2026-11-29T10:00:00\\u0000Z\","
                        + "\"endTime\":\"\\u0000\",\"errorMessage\":null}")));
        String operationId = Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200)
                .body("state", equalTo("COMPLETE"))
                .body("startTime", equalTo("2026-11-29T10:00:00\uFFFDZ"))
                .body("toe", equalTo("T\uFFFDOE"))
                .extract().path("operationId");

        Map<String, Object> row = OperationRows.forDatasource(dataSource, datasource).get(0);
        assertThat(row).containsEntry("state", "COMPLETE").containsEntry("start_time", "2026-11-29T10:00:00\uFFFDZ")
                .containsEntry("end_time", "\uFFFD");
        // Not held: the next operation on the datasource is not refused with 409.
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/" + datasource + "/reverse"))
                .willReturn(okJson("{\"state\":\"COMPLETE\"}")));
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200);
        Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .body("chain.outcome.hash", org.hamcrest.Matchers.matchesPattern("[0-9a-f]{64}"));
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    @Test
    void noFormOfTheTokenLeavesThroughListsOperationsOrLogs() throws Exception {
        byte[] token = CANARY_TOKEN.getBytes(StandardCharsets.UTF_8);
        List<String> echoes = List.of(CANARY_TOKEN, CANARY_TOKEN.toUpperCase(Locale.ROOT),
                Base64.getEncoder().encodeToString(token),
                Base64.getUrlEncoder().withoutPadding().encodeToString(("x" + CANARY_TOKEN).getBytes(StandardCharsets.UTF_8)),
                Base64.getEncoder().encodeToString(("ab" + CANARY_TOKEN).getBytes(StandardCharsets.UTF_8)),
                percentEncodedEveryByte(CANARY_TOKEN),
                URLEncoder.encode("token=" + CANARY_TOKEN + "&x", StandardCharsets.UTF_8),
                jsonEscapedEveryChar(CANARY_TOKEN),
                java.util.HexFormat.of().formatHex(token), java.util.HexFormat.of().withUpperCase().formatHex(token));
        StringBuilder types = new StringBuilder("[");
        StringBuilder candidates = new StringBuilder("[");
        for (int i = 0; i < echoes.size(); i++) {
            String echo = echoes.get(i);
            types.append(i == 0 ? "" : ",").append('"').append("type-").append(echo).append('"');
            candidates.append(i == 0 ? "" : ",").append("{\"id\":\"c").append(i).append("\",\"name\":\"see ")
                    .append(echo).append("\",\"migrated\":false}");
        }
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(okJson(types.append("]").toString())));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/.*")).willReturn(okJson(candidates.append("]").toString())));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/accounts/.*")).willReturn(okJson(
                "[{\"id\":\"2\",\"type\":\"t\",\"name\":\"n\",\"" + echoes.get(2) + "\":\"as a key\"}]")));
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/" + datasource + "/accounts/.*")).willReturn(okJson(
                "{\"state\":\"ABORTED\",\"toe\":\"" + echoes.get(2) + "\",\"startTime\":\"" + echoes.get(5)
                        + "\",\"errorMessage\":\"" + echoes.get(1) + " and " + echoes.get(7) + "\"}")));

        List<String> answers = List.of(
                Api.asReader().get("/api/v1/integration-types").then().statusCode(200).extract().asString(),
                Api.asReader().get("/api/v1/integration-types/t/accounts").then().statusCode(200).extract().asString(),
                Api.asReader().get("/api/v1/accounts/2/candidates").then().statusCode(200).extract().asString(),
                Api.asOperator().contentType("application/json")
                        .body("{\"accountId\":\"2\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                        .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200)
                        .body("state", equalTo("ABORTED")).extract().asString());
        String operationId = JsonPath.from(answers.get(3)).getString("operationId");
        // The console shows the same lists and operations, rendered by its own templates.
        ConsoleSessions.Session person = ConsoleSessions.signIn(ConsoleSessions.EVERY_ROLE);
        List<String> pages = new ArrayList<>();
        for (String page : List.of("/console/domo", "/console/domo/types/t", "/console/domo/accounts/2",
                "/console/operations/" + operationId, "/console/history?datasourceId=" + datasource,
                "/console/history/export.csv?datasourceId=" + datasource,
                "/console/history/export.ndjson?datasourceId=" + datasource)) {
            pages.add(person.request().get(page).then().statusCode(200).extract().asString());
        }
        // Each page shows what Domo sent, with the token's place marked.
        assertThat(pages.get(0)).as("the types page").contains("type-[redacted]");
        assertThat(pages.get(2)).as("the candidates page").contains("c0", "see [redacted]");
        assertThat(pages.get(3)).as("the operation page").contains("ABORTED", "[redacted]");
        String rows = OperationRows.forDatasource(dataSource, datasource).toString();
        String log = Files.readString(Path.of("target", "quarkus-test.log"));
        for (String echo : echoes) {
            for (String page : pages) {
                assertThat(page).as("console page").doesNotContain(echo).doesNotContainIgnoringCase(CANARY_TOKEN);
            }
            for (String answer : answers) {
                assertThat(answer).as("answer").doesNotContain(echo).doesNotContainIgnoringCase(CANARY_TOKEN);
            }
            assertThat(rows).as("audit row").doesNotContain(echo);
            assertThat(log).as("log").doesNotContain(echo);
        }
        // What is not the token passes untouched.
        assertThat(answers.get(2)).contains("\"id\":\"c0\"", "\"migrated\":false");
        assertThat(answers.get(1)).contains("\"id\":\"2\"");
    }

    /**
     * Domo's headers are never read into an answer, a problem or a log: a redirect whose Location
     * and a refusal whose WWW-Authenticate quote the token, on a read and on a migration.
     */
    @Test
    void theTokenInDomosLocationOrWwwAuthenticateHeaderGoesNowhere() throws Exception {
        String quoted = "https://elsewhere.example/login?token=" + CANARY_TOKEN;
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(302).withHeader("Location", quoted)
                .withHeader("Refresh", "0; url=" + quoted).withBody("moved to " + CANARY_TOKEN)));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/.*")).willReturn(aResponse().withStatus(401)
                .withHeader("WWW-Authenticate", "Bearer error=\"invalid_token\", token=\"" + CANARY_TOKEN + "\"")));
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/" + datasource + "/accounts/.*")).willReturn(aResponse()
                .withStatus(401).withHeader("WWW-Authenticate", "Bearer realm=\"" + CANARY_TOKEN + "\"")
                .withHeader("Location", quoted)));
        List<Response> answers = List.of(Api.asReader().get("/api/v1/integration-types"),
                Api.asReader().get("/api/v1/accounts/2/candidates"),
                Api.asOperator().contentType("application/json")
                        .body("{\"accountId\":\"2\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                        .post("/api/v1/datasources/" + datasource + "/migrations"));
        for (Response answer : answers) {
            assertThat(answer.statusCode()).as(answer.asString()).isBetween(400, 599);
            assertThat(answer.asString() + answer.headers()).doesNotContainIgnoringCase(CANARY_TOKEN)
                    .doesNotContain("elsewhere.example");
            assertThat(answer.header("Location")).isNull();
            assertThat(answer.header("WWW-Authenticate")).as("the service's own challenge, if any, not Domo's")
                    .satisfiesAnyOf(header -> assertThat(header).isNull(),
                            header -> assertThat(header).doesNotContainIgnoringCase(CANARY_TOKEN));
        }
        assertThat(OperationRows.forDatasource(dataSource, datasource).toString()).doesNotContainIgnoringCase(CANARY_TOKEN)
                .doesNotContain("elsewhere.example");
        assertThat(Files.readString(Path.of("target", "quarkus-test.log"))).doesNotContainIgnoringCase(CANARY_TOKEN)
                .doesNotContain("elsewhere.example");
    }

    /**
     * JSON in UTF-16 or UTF-32, which the parser reads as well as UTF-8, spreads the token's bytes
     * out with NUL bytes: such a list is parsed, redacted and passed on as UTF-8, never as it came.
     */
    @Test
    void aListInAnotherUnicodeEncodingIsRedactedToo() {
        String list = "[{\"id\":\"c1\",\"name\":\"see " + CANARY_TOKEN + "\",\"migrated\":false}]";
        for (Charset charset : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE, Charset.forName("UTF-32LE"))) {
            domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/.*")).willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Type", "application/json").withBody(list.getBytes(charset))));
            byte[] answer = Api.asReader().get("/api/v1/accounts/2/candidates").then().statusCode(200).extract()
                    .asByteArray();
            assertThat(new String(answer, StandardCharsets.UTF_8)).as(charset.name())
                    .contains("\"id\":\"c1\"").doesNotContainIgnoringCase(CANARY_TOKEN);
            assertThat(new String(answer, charset)).as(charset.name()).doesNotContainIgnoringCase(CANARY_TOKEN);
        }
    }

    /**
     * Every character of the token in an overlong UTF-8 form (two bytes for an ASCII one), which no
     * valid UTF-8 holds but JSON parsers may read as the character: such a list is parsed, redacted
     * and passed on, never as it came.
     */
    @Test
    void aListWithTheTokenInOverlongUtf8IsRedactedToo() throws Exception {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        list.writeBytes("[{\"id\":\"c1\",\"name\":\"".getBytes(StandardCharsets.US_ASCII));
        for (byte b : CANARY_TOKEN.getBytes(StandardCharsets.US_ASCII)) {
            list.write(0xC0 | (b >> 6));
            list.write(0x80 | (b & 0x3F));
        }
        list.writeBytes("\",\"migrated\":false}]".getBytes(StandardCharsets.US_ASCII));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(list.toByteArray())));
        Response answer = Api.asReader().get("/api/v1/accounts/2/candidates");
        if (answer.statusCode() == 200) {
            // As a lenient reader of the answer would take it.
            assertThat(new ObjectMapper().readTree(answer.asByteArray()).toString())
                    .contains("\"id\":\"c1\"").doesNotContainIgnoringCase(CANARY_TOKEN);
        } else {
            assertThat(answer.statusCode()).isEqualTo(502);
        }
    }

    private static String percentEncodedEveryByte(String text) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            encoded.append('%').append(String.format("%02X", b));
        }
        return encoded.toString();
    }

    /** Every character as a JSON \\u escape: inside a JSON string it decodes to the token itself. */
    private static String jsonEscapedEveryChar(String text) {
        StringBuilder escaped = new StringBuilder();
        for (char c : text.toCharArray()) {
            escaped.append(String.format("\\u%04x", (int) c));
        }
        return escaped.toString();
    }
}
