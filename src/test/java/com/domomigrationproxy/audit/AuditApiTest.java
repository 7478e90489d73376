package com.domomigrationproxy.audit;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Contract rows 6 and 7: filters, keyset paging, exports, single lookups and who may read. */
@QuarkusTest
class AuditApiTest {

    private static final String INVALID = "urn:problem-type:domo-migration-proxy:invalid-request";

    @InjectDomo
    WireMockServer domo;

    @BeforeEach
    void domoAnswers() {
        domo.resetAll();
        // Domo completes every migration, except those of a table named "abort-me".
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/.*")).willReturn(domoResult("COMPLETE")));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/.*"))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("abort-me"))
                .willReturn(domoResult("ABORTED")));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(aResponse().withStatus(500)));
    }

    @Test
    void filtersAloneAndCombined() {
        String who = "auditee-" + UUID.randomUUID();
        String jwt = Tokens.jwt(who, "operator");
        String dsA = Api.uniqueDatasourceId();
        String dsB = Api.uniqueDatasourceId();
        Instant before = Instant.now();
        migrate(jwt, dsA, "3", "t1");
        migrate(jwt, dsB, "4", "abort-me");
        reverse(jwt, dsA);
        Instant after = Instant.now();

        assertThat(ids(Map.of("requestedBy", who))).hasSize(3);
        assertThat(ids(Map.of("datasourceId", dsA))).hasSize(2);
        assertThat(ids(Map.of("requestedBy", who, "accountId", "4"))).hasSize(1);
        assertThat(ids(Map.of("requestedBy", who, "direction", "V2_TO_V1"))).hasSize(1);
        assertThat(ids(Map.of("requestedBy", who, "state", "ABORTED"))).hasSize(1);
        assertThat(ids(Map.of("requestedBy", who, "state", "FAILED"))).hasSize(1);
        assertThat(ids(Map.of("requestedBy", who, "state", "COMPLETE", "datasourceId", dsA))).hasSize(1);
        assertThat(ids(Map.of("requestedBy", who, "from", before.toString(), "to", after.toString()))).hasSize(3);
        assertThat(ids(Map.of("requestedBy", who, "to", before.toString()))).isEmpty();
        assertThat(ids(Map.of("requestedBy", who, "from", after.toString()))).isEmpty();

        JsonPath page = Api.asAuditor().queryParam("datasourceId", dsA).get("/api/v1/audit/operations")
                .then().statusCode(200).extract().jsonPath();
        assertThat(page.getString("items[0].direction")).isEqualTo("V2_TO_V1");
        assertThat(page.getString("items[1].direction")).isEqualTo("V1_TO_V2");
        assertThat(page.getString("items[0].chain.intent.hash")).matches("[0-9a-f]{64}");
        assertThat(page.getString("items[1].chain.outcome.prevHash")).matches("[0-9a-f]{64}");
        assertThat(page.getString("nextCursor")).isNull();
    }

    /**
     * PostgreSQL keeps microseconds and would round a finer bound to the nearest: a bound selects
     * exactly the rows it selects at its own precision, from inclusive and to exclusive, up to the
     * last instant of the year 9999.
     */
    @Test
    void boundsFinerThanAMicrosecondSelectExactlyTheirRange() {
        String who = "bounds-" + UUID.randomUUID();
        String id = migrate(Tokens.jwt(who, "operator"), Api.uniqueDatasourceId(), "1", "t");
        Instant at = Instant.parse(page(Map.of("requestedBy", who), null).getString("items[0].requestedAt"));
        String tenthAfter = at.plusNanos(100).toString();
        assertThat(ids(Map.of("requestedBy", who, "from", at.toString(), "to", tenthAfter))).containsExactly(id);
        assertThat(ids(Map.of("requestedBy", who, "from", at.minusNanos(100).toString(), "to", tenthAfter)))
                .containsExactly(id);
        assertThat(ids(Map.of("requestedBy", who, "from", tenthAfter, "to", at.plusNanos(1_000).toString()))).isEmpty();
        assertThat(ids(Map.of("requestedBy", who, "to", at.minusNanos(100).toString()))).isEmpty();
        assertThat(ids(Map.of("requestedBy", who, "to", "9999-12-31T23:59:59.999999999Z"))).containsExactly(id);
    }

    @Test
    void pagingIsStableWhileRowsArrive() {
        String who = "pager-" + UUID.randomUUID();
        String jwt = Tokens.jwt(who, "operator");
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            created.add(migrate(jwt, Api.uniqueDatasourceId(), "1", "t"));
        }
        List<String> seen = new ArrayList<>();
        JsonPath page = page(Map.of("requestedBy", who, "limit", "3"), null);
        seen.addAll(page.getList("items.operationId"));
        String cursor = page.getString("nextCursor");
        assertThat(cursor).isNotNull();

        migrate(jwt, Api.uniqueDatasourceId(), "1", "t");
        migrate(jwt, Api.uniqueDatasourceId(), "1", "t");

        while (cursor != null) {
            page = page(Map.of("requestedBy", who, "limit", "3"), cursor);
            seen.addAll(page.getList("items.operationId"));
            cursor = page.getString("nextCursor");
        }
        assertThat(seen).doesNotHaveDuplicates().containsExactlyElementsOf(reversed(created));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "state|DONE", "direction|SIDEWAYS", "from|yesterday", "to|2026-13-01T00:00:00Z", "limit|0", "limit|501",
            "limit|ten", "cursor|bm90LWEtY3Vyc29y", "cursor|%%%", "datasourceId|../etc", "accountId|a b",
            "from|+1000000000-12-31T23:59:59Z", "to|-0001-01-01T00:00:00Z", "planId|not-a-uuid", "needsReview|yes" })
    void invalidParametersAre400(String name, String value) {
        Api.asAuditor().queryParam(name, value).get("/api/v1/audit/operations")
                .then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo(INVALID)).body("errors.field", hasItem(name));
    }

    /**
     * A filter given twice is a 400 naming it, in a page and an export alike: bound as it comes, the first
     * value would win in silence, and the read's AUDIT_ACCESS event would name both. The events' type may repeat.
     */
    @Test
    void aFilterGivenTwiceIs400() {
        for (String accept : new String[] { "application/json", "text/csv" }) {
            Api.asAuditor().accept(accept).queryParam("datasourceId", "a").queryParam("datasourceId", "b")
                    .get("/api/v1/audit/operations").then().statusCode(400).contentType("application/problem+json")
                    .body("type", equalTo(INVALID)).body("errors.field", hasItem("datasourceId"));
        }
        Api.asAuditor().queryParam("state", "COMPLETE").queryParam("state", "BOGUS").get("/api/v1/audit/operations")
                .then().statusCode(400).body("errors.field", hasItem("state"));
        Api.asAuditor().queryParam("fromSeq", "1").queryParam("fromSeq", "2").get("/api/v1/audit/events")
                .then().statusCode(400).body("errors.field", hasItem("fromSeq"));
        migrate(Tokens.jwt("types-" + UUID.randomUUID(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        String cursor = Api.asAuditor().queryParam("type", "INTENT").queryParam("type", "OUTCOME").queryParam("limit", "1")
                .get("/api/v1/audit/events").then().statusCode(200).extract().path("nextCursor");
        // The same types in another order (a client's set) are the same filters for the cursor.
        Api.asAuditor().queryParam("type", "OUTCOME").queryParam("type", "INTENT").queryParam("limit", "1")
                .queryParam("cursor", cursor).get("/api/v1/audit/events").then().statusCode(200);
    }

    @Test
    void fromAfterToIs400AndCursorsAreBoundToTheirFilters() {
        Api.asAuditor().queryParam("from", "2026-02-01T00:00:00Z").queryParam("to", "2026-01-01T00:00:00Z")
                .get("/api/v1/audit/operations").then().statusCode(400).body("errors.field", hasItem("from"));

        String who = "cursor-" + UUID.randomUUID();
        String jwt = Tokens.jwt(who, "operator");
        migrate(jwt, Api.uniqueDatasourceId(), "1", "t");
        migrate(jwt, Api.uniqueDatasourceId(), "1", "t");
        String cursor = page(Map.of("requestedBy", who, "limit", "1"), null).getString("nextCursor");
        Api.asAuditor().queryParam("requestedBy", "someone-else").queryParam("limit", "1").queryParam("cursor", cursor)
                .get("/api/v1/audit/operations").then().statusCode(400).body("errors.field", hasItem("cursor"));
        // A cursor's digest only ties it to its filters, so a caller can forge its position: one out of
        // the range timestamps hold is a 400 too, never a 500 or a database error.
        String[] parts = new String(java.util.Base64.getUrlDecoder().decode(cursor),
                java.nio.charset.StandardCharsets.UTF_8).split("\\|", -1);
        for (String forgedTime : new String[] { "+1000000000-12-31T23:59:59Z", "+300000-01-01T00:00:00Z" }) {
            String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString((forgedTime + "|"
                    + parts[1] + "|" + parts[2]).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Api.asAuditor().queryParam("requestedBy", who).queryParam("limit", "1").queryParam("cursor", forged)
                    .get("/api/v1/audit/operations").then().statusCode(400).body("errors.field", hasItem("cursor"));
        }
    }

    @Test
    void exportsAreExactAndSafe() {
        String who = "exporter-" + UUID.randomUUID();
        String datasource = Api.uniqueDatasourceId();
        String catalog = "My \"Cat\", Zoë ☃";
        String table = "=HYPERLINK(\"http://x\",\"y\")";
        String operationId = given().auth().oauth2(Tokens.jwt(who, "operator")).contentType("application/json")
                .body(Map.of("accountId", "1", "catalog", catalog, "schema", "-s", "table", table))
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200)
                .extract().path("operationId");
        JsonPath stored = Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .extract().jsonPath();

        String csv = Api.asAuditor().accept("text/csv").queryParam("datasourceId", datasource)
                .get("/api/v1/audit/operations").then().statusCode(200)
                .contentType(org.hamcrest.Matchers.startsWith("text/csv"))
                .header("Content-Disposition", org.hamcrest.Matchers.containsString("operations.csv"))
                .extract().asString();
        String[] lines = csv.split("\r\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).isEqualTo("operationId,direction,datasourceId,accountId,catalog,schema,table,state,toe,"
                + "startTime,endTime,errorMessage,requestedBy,requestedAt,completedAt,requestId,upstreamStatus,authMethod,"
                + "clientAddress,durationMs,reconciledState,reconciledAt,reconciliationNote,intentSeq,intentPrevHash,intentHash,"
                + "outcomeSeq,outcomePrevHash,outcomeHash,reconciliationSeq,reconciliationPrevHash,reconciliationHash,"
                + "planId,reconciledBy,reviewReason,reviewFlaggedAt,reviewSeq,reviewPrevHash,reviewHash,scopes");
        assertThat(lines[1]).isEqualTo(String.join(",",
                q(operationId), q("V1_TO_V2"), q(datasource), q("1"), "\"My \"\"Cat\"\", Zoë ☃\"", "\"'-s\"",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"", q("COMPLETE"), q(stored.getString("toe")), q("s"), q("e"), "",
                q(stored.getString("requestedBy")), q(stored.getString("requestedAt")), q(stored.getString("completedAt")),
                q(stored.getString("requestId")), "200", q(stored.getString("authMethod")),
                q(stored.getString("clientAddress")), stored.getString("durationMs"), "", "", "",
                stored.getString("chain.intent.seq"), q(stored.getString("chain.intent.prevHash")),
                q(stored.getString("chain.intent.hash")), stored.getString("chain.outcome.seq"),
                q(stored.getString("chain.outcome.prevHash")), q(stored.getString("chain.outcome.hash")), "", "", "",
                "", "", "", "", "", "", "", q("{}")));

        String ndjson = Api.asAuditor().accept("application/x-ndjson").queryParam("datasourceId", datasource)
                .get("/api/v1/audit/operations").then().statusCode(200)
                .contentType(org.hamcrest.Matchers.startsWith("application/x-ndjson")).extract().asString();
        assertThat(ndjson).endsWith("\n");
        assertThat(ndjson.split("\n")).hasSize(1);
        JsonPath line = JsonPath.from(ndjson.trim());
        assertThat(line.getString("catalog")).isEqualTo(catalog);
        assertThat(line.getString("table")).isEqualTo(table);
        assertThat(line.getString("chain.outcome.hash")).isEqualTo(stored.getString("chain.outcome.hash"));
    }

    @Test
    void exportsIgnorePagingAndEscapeLineSeparators() {
        String datasource = Api.uniqueDatasourceId();
        String catalog = "before\u2028between\u2029after";
        given().auth().oauth2(Tokens.jwt("separator-" + UUID.randomUUID(), "operator")).contentType("application/json")
                .body(Map.of("accountId", "1", "catalog", catalog, "schema", "s", "table", "t"))
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200);
        String ndjson = Api.asAuditor().accept("application/x-ndjson").queryParam("datasourceId", datasource)
                .queryParam("limit", "1000").queryParam("cursor", "ignored-by-exports")
                .get("/api/v1/audit/operations").then().statusCode(200).extract().asString();
        assertThat(ndjson).doesNotContain("\u2028", "\u2029").contains("before\\u2028between\\u2029after");
        assertThat(JsonPath.from(ndjson.trim()).getString("catalog")).isEqualTo(catalog);
    }

    @Test
    void exportWithoutFiltersStreamsEverything() {
        int total = Api.asAuditor().accept("application/x-ndjson").get("/api/v1/audit/operations")
                .then().statusCode(200).extract().asString().split("\n").length;
        long rows = (long) com.domomigrationproxy.support.OperationRows.query(dataSource(),
                "SELECT count(*) AS n FROM operation").get(0).get("n");
        assertThat((long) total).isEqualTo(rows);
    }

    @Test
    void oneOperation() {
        String operationId = migrate(Tokens.jwt("single-" + UUID.randomUUID(), "operator"), Api.uniqueDatasourceId(),
                "1", "t");
        Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .body("operationId", equalTo(operationId)).body("chain.intent.seq", notNullValue());
        Api.asAuditor().get("/api/v1/audit/operations/" + UUID.randomUUID()).then().statusCode(404)
                .contentType("application/problem+json");
        Api.asAuditor().get("/api/v1/audit/operations/not-a-uuid").then().statusCode(400)
                .body("errors.field", hasItem("operationId"));
    }

    @Test
    void onlyAuditorsMayRead() {
        for (String path : List.of("/api/v1/audit/operations", "/api/v1/audit/operations/" + UUID.randomUUID(),
                "/api/v1/audit/integrity")) {
            Api.asReader().get(path).then().statusCode(403);
            Api.asOperator().get(path).then().statusCode(403);
            given().auth().oauth2(Tokens.jwt("op", "operator", "reader")).get(path).then().statusCode(403);
            given().get(path).then().statusCode(401);
        }
    }

    @Test
    void readsAreLogged() throws Exception {
        Api.asAuditor().queryParam("state", "UNKNOWN").get("/api/v1/audit/operations").then().statusCode(200);
        assertThat(Files.readString(Path.of("target", "quarkus-test.log")))
                .contains("Audit access by auditor-svc from ")
                .contains("listOperations GET /api/v1/audit/operations, query {state=UNKNOWN}, status 200, answered");
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder domoResult(String state) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"toe\":\"TOE-" + state + "\",\"state\":\"" + state
                        + "\",\"startTime\":\"s\",\"endTime\":\"e\",\"errorMessage\":null}");
    }

    private static String q(String text) {
        return "\"" + text.replace("\"", "\"\"") + "\"";
    }

    private static List<String> reversed(List<String> list) {
        List<String> copy = new ArrayList<>(list);
        java.util.Collections.reverse(copy);
        return copy;
    }

    static String migrate(String jwt, String datasourceId, String accountId, String table) {
        return given().auth().oauth2(jwt).contentType("application/json")
                .body("{\"accountId\":\"" + accountId + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"" + table + "\"}")
                .post("/api/v1/datasources/" + datasourceId + "/migrations").then().statusCode(200)
                .extract().path("operationId");
    }

    private static void reverse(String jwt, String datasourceId) {
        given().auth().oauth2(jwt).post("/api/v1/datasources/" + datasourceId + "/reversals").then().statusCode(502);
    }

    private static List<String> ids(Map<String, String> query) {
        return page(query, null).getList("items.operationId");
    }

    private static JsonPath page(Map<String, String> query, String cursor) {
        return Api.auditOperations(query, cursor);
    }

    @jakarta.inject.Inject
    javax.sql.DataSource dataSource;

    private javax.sql.DataSource dataSource() {
        return dataSource;
    }
}
