package com.domomigrationproxy.plans;

import static com.domomigrationproxy.plans.PlanFixtures.stubCandidates;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.containsStringIgnoringCase;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Sha256;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.OwnThreads;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.TestCredentials;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

/** Uploads: JSON and CSV, each bad item or line named in one 400, and nothing stored from a bad plan. */
@QuarkusTest
class PlanUploadTest {

    private static final String HEADER = "datasourceId,accountId,catalog,schema,table\r\n";

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @Inject
    PlanService plans;

    private long stored() {
        return (long) OperationRows.query(dataSource, "SELECT (SELECT count(*) FROM plan) + (SELECT count(*) FROM"
                + " plan_item) + (SELECT count(*) FROM audit_event WHERE kind = 'PLAN_CREATED') AS n").get(0).get("n");
    }

    private ValidatableResponse csv(byte[] body, String query) {
        return Api.asOperator().urlEncodingEnabled(false).contentType("text/csv; charset=utf-8").body(body)
                .post("/api/v1/plans" + query).then();
    }

    private ValidatableResponse refused(ValidatableResponse response) {
        return response.statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:invalid-request"));
    }

    /**
     * A service that retries an upload whose answer it lost gets the plan the first upload created,
     * not a second one awaiting approval; the key holds to that plan whichever format repeats it.
     */
    @Test
    void anUploadRepeatedWithItsIdempotencyKeyCreatesOnePlan() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(2);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        String key = "plan-upload-" + System.nanoTime();
        String body = PlanFixtures.jsonPlan("retried", estate.account(), estate.datasources(), 2);
        long before = stored();

        String planId = Api.asOperator().header("Idempotency-Key", key).contentType("application/json").body(body)
                .post("/api/v1/plans").then().statusCode(201).header("Idempotent-Replayed", (String) null)
                .extract().path("planId");
        long afterFirst = stored();
        domo.resetRequests();
        Api.asOperator().header("Idempotency-Key", key).contentType("application/json").body(body)
                .post("/api/v1/plans").then().statusCode(201).header("Idempotent-Replayed", "true")
                .header("Location", org.hamcrest.Matchers.endsWith("/api/v1/plans/" + planId))
                .body("planId", equalTo(planId))
                .body("state", equalTo("AWAITING_APPROVAL"));
        StringBuilder csv = new StringBuilder(HEADER);
        estate.datasources().forEach(id -> csv.append(id).append(',').append(estate.account()).append(",cat,NULL,t_")
                .append(id).append("\r\n"));
        Api.asOperator().header("Idempotency-Key", key).urlEncodingEnabled(false)
                .contentType("text/csv; charset=utf-8").body(csv.toString().getBytes(StandardCharsets.UTF_8))
                .post("/api/v1/plans?name=retried&maxConcurrency=2").then().statusCode(201)
                .header("Idempotent-Replayed", "true").body("planId", equalTo(planId));
        assertThat(stored()).as("rows of the first upload only").isEqualTo(afterFirst).isGreaterThan(before);
        domo.verify(0, anyRequestedFor(anyUrl()));

        // The key belongs to that plan: another under it is refused; other callers have keys of their own.
        Api.asOperator().header("Idempotency-Key", key).contentType("application/json")
                .body(body.replace("\"retried\"", "\"another\"")).post("/api/v1/plans").then().statusCode(422)
                .body("type", org.hamcrest.Matchers.endsWith("idempotency-key-reused"));
        Api.asOperator().header("Idempotency-Key", key).header("Idempotency-Key", key).contentType("application/json")
                .body(body).post("/api/v1/plans").then().statusCode(400)
                .body("errors[0].field", equalTo("Idempotency-Key"));
        assertThat(stored()).isEqualTo(afterFirst);
    }

    /**
     * A preflight answers by PROXY_PLAN_PREFLIGHT_TIMEOUT (10 s in tests) however many accounts wait
     * on the fetch pool every preflight shares (8 at a time; each read here takes the whole 2 s read
     * deadline): those not read by then block their items, named so, and would otherwise have kept
     * the upload 16 s. Its Idempotency-Key counts as abandoned that long plus the abandon margin (5 s
     * in tests) after its claim, not the migration deadline plus that margin (8 s in tests): a repeat
     * meanwhile is 409, not a second preflight and plan.
     */
    @Test
    @Tag("timing")
    void aPreflightEndsByItsDeadlineAndAnUploadsKeyHoldsUntilThen() {
        PlanFixtures.warmUp(domo);
        String tag = java.util.UUID.randomUUID().toString().substring(0, 8);
        List<String> accounts = IntStream.rangeClosed(1, 64).mapToObj(i -> "slow-" + tag + "-" + i).toList();
        domo.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(com.github.tomakehurst.wiremock.client.WireMock
                .urlPathMatching(com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX + "/candidates/slow-" + tag + "-.*"))
                .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withFixedDelay(2_500)
                        .withStatus(200).withHeader("Content-Type", "application/json").withBody("[]")));
        String body = "{\"name\":\"slow estate\",\"direction\":\"V1_TO_V2\",\"items\":" + accounts.stream()
                .map(account -> "{\"datasourceId\":\"ds-" + account + "\",\"accountId\":\"" + account
                        + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .collect(Collectors.joining(",", "[", "]")) + "}";
        String key = "slow-upload-" + tag;
        long started = System.nanoTime();
        String planId = Api.asOperator().header("Idempotency-Key", key).contentType("application/json").body(body)
                .post("/api/v1/plans").then().statusCode(201).extract().path("planId");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(14));
        List<String> reasons = Api.asReader().queryParam("verdict", "BLOCKED").queryParam("limit", 500)
                .get("/api/v1/plans/" + planId + "/items").then().statusCode(200).extract().path("items.reason");
        assertThat(reasons).hasSize(64);
        assertThat(reasons.stream().filter(reason -> reason.contains("could not be read within the preflight's 10 s"
                + " (PROXY_PLAN_PREFLIGHT_TIMEOUT); run the preflight again"))).hasSizeGreaterThanOrEqualTo(16);

        // As if that upload still ran, claimed 11 s ago: past a migration's 8 s, within an upload's 15 s.
        OperationRows.execute(dataSource, "UPDATE idempotency_key SET response_status = NULL, response_body = NULL,"
                + " operation_id = NULL, created_at = now() - interval '11 seconds' WHERE idempotency_key = ?", key);
        long before = stored();
        Api.asOperator().header("Idempotency-Key", key).contentType("application/json").body(body)
                .post("/api/v1/plans").then().statusCode(409)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:idempotent-request-in-progress"));
        assertThat(stored()).isEqualTo(before);
        OperationRows.execute(dataSource, "DELETE FROM idempotency_key WHERE idempotency_key = ?", key);
    }

    /** The same upload sent twice at once (a client's retry after its own timeout): one plan, both told it. */
    @Test
    void twoUploadsWithOneKeyAtOnceMakeOnePlan() throws Exception {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(1);
        domo.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(
                com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX + "/candidates/" + estate.account())
                .willReturn(com.github.tomakehurst.wiremock.client.WireMock.okJson("[{\"id\":\""
                        + estate.datasources().get(0) + "\",\"name\":\"n\",\"migrated\":false}]")
                        .withFixedDelay(1_500)));
        String key = "plan-at-once-" + System.nanoTime();
        String body = PlanFixtures.jsonPlan("at once", estate.account(), estate.datasources(), 1);
        java.util.function.Supplier<io.restassured.response.Response> upload = () -> Api.asOperator()
                .header("Idempotency-Key", key).contentType("application/json").body(body).post("/api/v1/plans");
        CompletableFuture<io.restassured.response.Response> first = OwnThreads.supply(upload);
        Thread.sleep(300);
        io.restassured.response.Response second = upload.get();
        List<io.restassured.response.Response> answers = List.of(first.get(), second);
        assertThat(answers).allSatisfy(answer -> assertThat(answer.statusCode()).isEqualTo(201));
        assertThat(answers.stream().map(answer -> answer.jsonPath().getString("planId")).distinct()).hasSize(1);
        assertThat(answers.stream().map(answer -> answer.header("Idempotent-Replayed")))
                .containsExactlyInAnyOrder(null, "true");
    }

    @Test
    void aCsvPlanIsStoredWithTheHashOfItsCanonicalContent() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(2);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        String a = estate.datasources().get(0);
        String b = estate.datasources().get(1);
        // A byte order mark, a header with quoted names, a quoted field with a comma and a doubled quote, LF and
        // CRLF line ends, a blank line.
        String body = "\uFEFF\"datasourceId\",\"accountId\",catalog,\"schema\",\"table\"\n" + a + "," + estate.account() + ",\"Sales, \"\"EU\"\"\",NULL,Orders\n\n" + b + ","
                + estate.account() + ",café,dbo,t\r\n";
        String planId = csv(body.getBytes(StandardCharsets.UTF_8), "?name=Wave%201&maxConcurrency=3").statusCode(201)
                .header("Location", endsWithPlan())
                .body("name", equalTo("Wave 1")).body("maxConcurrency", equalTo(3)).body("itemCount", equalTo(2))
                .body("contentHash", equalTo(Sha256.hex("{\"direction\":\"V1_TO_V2\",\"items\":[{\"accountId\":\""
                        + estate.account() + "\",\"catalog\":\"Sales, \\\"EU\\\"\",\"datasourceId\":\"" + a
                        + "\",\"schema\":\"NULL\",\"table\":\"Orders\"},{\"accountId\":\"" + estate.account()
                        + "\",\"catalog\":\"café\",\"datasourceId\":\"" + b + "\",\"schema\":\"dbo\",\"table\":\"t\"}],"
                        + "\"maxConcurrency\":3,\"name\":\"Wave 1\"}")))
                .extract().path("planId");
        Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200)
                .body("items[0].catalog", equalTo("Sales, \"EU\"")).body("items[1].catalog", equalTo("café"))
                .body("items.itemId", equalTo(List.of(1, 2)));
    }

    private static org.hamcrest.Matcher<String> endsWithPlan() {
        return org.hamcrest.Matchers.matchesPattern(".*/api/v1/plans/[0-9a-f-]{36}");
    }

    @Test
    void everyBadCsvLineIsNamedWithItsFieldAndNothingIsStored() {
        PlanFixtures.warmUp(domo);
        long before = stored();
        String body = HEADER
                + "ds-1,2,c,s,t\r\n"
                + "ds/2,2,c,s,t\r\n"
                + "ds-3,,c,s,t\r\n"
                + "ds-4,2,c,s\r\n"
                + "ds-1,2,c,s,t\r\n"
                + "ds-6,2,\"c,s,t\r\n"
                + "ds-7,2," + "x".repeat(256) + ",s,t\r\n"
                + "ds-8,2,c,\u0007,t\r\n"
                + "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01,2,c,s,t\r\n"
                + "495E28EC-0A3B-4C5E-9A4F-0C6F6B1D2A01,2,c,s,t\r\n";
        refused(csv(body.getBytes(StandardCharsets.UTF_8), "?name=bad")).body("errors", hasSize(8))
                .body("errors.find { it.line == 3 }.field", equalTo("datasourceId"))
                .body("errors.find { it.line == 4 }.field", equalTo("accountId"))
                .body("errors.find { it.line == 4 }.message", equalTo("is required"))
                .body("errors.find { it.line == 5 }.message", containsString("has 4 field(s)"))
                .body("errors.find { it.line == 6 }.message", containsString("first at line 2"))
                .body("errors.find { it.line == 7 }.message", containsString("quoted field"))
                .body("errors.find { it.line == 8 }.field", equalTo("catalog"))
                .body("errors.find { it.line == 9 }.message", equalTo("must not contain control characters"))
                .body("errors.find { it.line == 11 }.message", containsString("first at line 10"));
        assertThat(stored()).isEqualTo(before);
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    /** Blank lines (here six million, about 6 MiB) are skipped as they are read, and line numbers still count them. */
    @Test
    void blankLinesAreSkippedAndStillCounted() {
        PlanFixtures.warmUp(domo);
        long before = stored();
        String body = HEADER + "\n".repeat(6_000_000) + "ds-1,2,c,s\n";
        refused(csv(body.getBytes(StandardCharsets.UTF_8), "?name=blank")).body("errors", hasSize(1))
                .body("errors[0].line", equalTo(6_000_002)).body("errors[0].message", containsString("has 4 field(s)"));
        assertThat(stored()).isEqualTo(before);
    }

    /**
     * What plans.md promises an exporter's file: blank lines before the header are skipped as blank
     * lines after it are; UTF-8 under either of its names, or US-ASCII, is read as JSON is; and the
     * report ignores a page size it does not use.
     */
    @Test
    void aLeadingBlankLineOrAnotherNameOfUtf8IsAcceptedAndTheReportIgnoresLimit() {
        PlanFixtures.warmUp(domo);
        String planId = csv(("\uFEFF\r\n\n" + HEADER + "\r\n" + "ds-lead-" + System.nanoTime() + ",2,c,s,t\r\n")
                .getBytes(StandardCharsets.UTF_8), "?name=leading-blank").statusCode(201).body("counts.total", equalTo(1))
                .extract().path("planId");
        for (String charset : new String[] { "utf8", "US-ASCII" }) {
            Api.asOperator().urlEncodingEnabled(false).contentType("text/csv; charset=" + charset)
                    .body((HEADER + "ds-" + charset + "-" + System.nanoTime() + ",2,c,s,t\r\n").getBytes(StandardCharsets.UTF_8))
                    .post("/api/v1/plans?name=" + charset).then().statusCode(201);
        }
        Api.asReader().accept("text/csv").queryParam("limit", 0).get("/api/v1/plans/" + planId + "/items").then()
                .statusCode(200).body(containsString("ds-lead-"));
        Api.asReader().queryParam("limit", 0).get("/api/v1/plans/" + planId + "/items").then().statusCode(400);
    }

    @Test
    void aWrongHeaderNonUtf8OrTooManyRowsIsRefusedWhole() {
        PlanFixtures.warmUp(domo);
        long before = stored();
        refused(csv("datasource,account,catalog,schema,table\nds-1,2,c,s,t\n".getBytes(StandardCharsets.UTF_8),
                "?name=x")).body("errors[0].field", equalTo("header")).body("errors[0].line", equalTo(1));

        ByteArrayOutputStream latin1 = new ByteArrayOutputStream();
        latin1.writeBytes((HEADER + "ds-1,2,c,s,t\r\n").getBytes(StandardCharsets.UTF_8));
        latin1.writeBytes("ds-2,2,caf\u00e9,s,t\r\n".getBytes(StandardCharsets.ISO_8859_1));
        refused(csv(latin1.toByteArray(), "?name=x")).body("errors[0].line", equalTo(3))
                .body("errors[0].message", containsString("UTF-8"));

        String tooMany = HEADER + IntStream.rangeClosed(1, 10_001).mapToObj(i -> "ds-" + i + ",2,c,s,t")
                .collect(Collectors.joining("\r\n"));
        refused(csv(tooMany.getBytes(StandardCharsets.UTF_8), "?name=x")).body("errors[0].field", equalTo("items"))
                .body("detail", containsString("10001"));

        refused(csv(HEADER.getBytes(StandardCharsets.UTF_8), "?name=x"));
        refused(csv((HEADER + "ds-1,2,c,s,t\r\n").getBytes(StandardCharsets.UTF_8), ""))
                .body("errors.field", hasItem("name"));
        refused(csv((HEADER + "ds-1,2,c,s,t\r\n").getBytes(StandardCharsets.UTF_8), "?name=x&maxConcurrency=65"))
                .body("errors.field", hasItem("maxConcurrency"));
        Api.asOperator().contentType("text/csv; charset=ISO-8859-1").body(HEADER).post("/api/v1/plans").then()
                .statusCode(415);
        // A reversal plan names datasources only.
        refused(csv((HEADER + "ds-1,2,c,s,t\r\n").getBytes(StandardCharsets.UTF_8), "?name=x&direction=V2_TO_V1"))
                .body("errors.field", hasItem("accountId"));
        assertThat(stored()).isEqualTo(before);
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    /**
     * Each account a plan names is one call to Domo in its preflight, with the service's token: a
     * plan naming more than PROXY_PLAN_MAX_ACCOUNTS (1,000) is refused before any is made (one upload
     * of 3,000 accounts made 3,000 calls and held up everyone else's preflights; security review).
     */
    @Test
    void aPlanNamingMoreAccountsThanTheLimitIsRefusedBeforeDomoIsCalled() {
        PlanFixtures.warmUp(domo);
        long before = stored();
        String items = java.util.stream.IntStream.range(0, 1_001).mapToObj(i -> "{\"datasourceId\":\"ds-many-" + i
                + "\",\"accountId\":\"acct-" + i + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .collect(java.util.stream.Collectors.joining(",", "[", "]"));
        refused(Api.asOperator().contentType("application/json").body("{\"name\":\"many\",\"items\":" + items + "}")
                .post("/api/v1/plans").then())
                .body("detail", containsString("at most 1000 accounts"))
                .body("errors[0].field", equalTo("items"));
        assertThat(stored()).isEqualTo(before);
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    /**
     * A reversal plan's preflight reads a data source's candidates where its latest migration went,
     * latest in the order intents were recorded: a migration requested before another and recorded
     * after it (it waited for the audit store) is the one Domo carried out last.
     */
    @Test
    void aReversalPlansPreflightLooksWhereTheLastRecordedMigrationWent() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate first = PlanFixtures.Estate.of(1);
        PlanFixtures.Estate second = PlanFixtures.Estate.of(1);
        String datasource = first.datasources().get(0);
        PlanFixtures.stubMigrations(domo, first.account(), 0);
        PlanFixtures.stubMigrations(domo, second.account(), 0);
        String earlier = migrate(datasource, first.account());
        String later = migrate(datasource, second.account());
        String requestedAt = OperationRows.query(dataSource, "SELECT requested_at::text AS t FROM operation"
                + " WHERE operation_id = ?::uuid", later).get(0).get("t").toString();
        PostgresAdmin.tamper("UPDATE operation SET requested_at = (SELECT requested_at - interval '1 second'"
                + " FROM operation WHERE operation_id = '" + earlier + "') WHERE operation_id = '" + later + "'");
        try {
            stubCandidates(domo, first.account(), List.of(), Set.of());
            stubCandidates(domo, second.account(), List.of(datasource), Set.of(datasource));
            Api.asOperator().contentType("application/json").body("{\"name\":\"back\",\"direction\":\"V2_TO_V1\","
                    + "\"items\":[{\"datasourceId\":\"" + datasource + "\"}]}").post("/api/v1/plans").then()
                    .statusCode(201).body("counts.READY", equalTo(1));
        } finally {
            PostgresAdmin.tamper("UPDATE operation SET requested_at = '" + requestedAt + "'::timestamptz"
                    + " WHERE operation_id = '" + later + "'");
        }
    }

    private static String migrate(String datasource, String account) {
        return Api.asOperator().contentType("application/json").body("{\"accountId\":\"" + account
                + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200).extract()
                .path("operationId");
    }

    /**
     * What no plan holds is refused before it is held (security review: each of these stopped the
     * service on the chart's heap): a string past 16 KiB, an object of more than 16 fields (a plan,
     * an item), a CSV line past 16 KiB. A duplicate key is still invalid JSON, wherever it is.
     */
    @Test
    void stringsObjectsAndLinesNoPlanHoldsAreRefusedBeforeTheyAreHeld() {
        PlanFixtures.warmUp(domo);
        long before = stored();
        String item = "{\"datasourceId\":\"ds-1\",\"accountId\":\"2\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"";
        refused(json("{\"name\":\"" + "a".repeat(PlanJson.MAX_STRING + 1) + "\",\"items\":[" + item + "}]}"))
                .body("detail", containsString("not valid JSON"));
        StringBuilder fields = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            fields.append(",\"f").append(i).append("\":1");
        }
        refused(json("{\"name\":\"n\",\"items\":[" + item + fields + "}]}"))
                .body("detail", equalTo("A plan item has at most 16 fields"));
        refused(json("{\"name\":\"n\"" + fields + ",\"items\":[" + item + "}]}"))
                .body("detail", equalTo("A plan has at most 16 fields"));
        refused(json("{\"name\":\"n\",\"items\":[" + item + ",\"table\":\"u\"}]}"))
                .body("detail", containsString("not valid JSON"));
        refused(Api.asOperator().contentType("text/csv; charset=utf-8").body("datasourceId,accountId,catalog,schema,table\nds-1,2,c,s,"
                + "t".repeat(PlanUpload.MAX_LINE)).post("/api/v1/plans?name=long-line").then())
                .body("detail", equalTo("Line 2 is longer than 16 KiB; no line of a plan is"));
        assertThat(stored()).isEqualTo(before);
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    private static ValidatableResponse json(String body) {
        return Api.asOperator().contentType("application/json").body(body).post("/api/v1/plans").then();
    }

    @Test
    void everyBadJsonItemIsNamedByItsPosition() {
        PlanFixtures.warmUp(domo);
        long before = stored();
        String body = "{\"name\":\"\",\"direction\":\"SIDEWAYS\",\"maxConcurrency\":0,\"color\":1,\"items\":[]}";
        refused(Api.asOperator().contentType("application/json").body(body).post("/api/v1/plans").then())
                .body("errors.field", org.hamcrest.Matchers.containsInAnyOrder("name", "direction", "maxConcurrency",
                        "color", "items"));
        String items = "{\"name\":\"n\",\"items\":[{\"datasourceId\":\"ds-1\",\"accountId\":\"2\",\"catalog\":\"c\","
                + "\"schema\":\"s\",\"table\":\"t\"},{\"datasourceId\":\"ds-1\",\"accountId\":\"2\",\"catalog\":\"c\","
                + "\"schema\":\"s\",\"table\":\"t\"},{\"datasourceId\":7,\"accountId\":\"2\",\"catalog\":\"c\",\"schema\":\"s\","
                + "\"tabel\":\"t\"},\"x\"]}";
        refused(Api.asOperator().contentType("application/json").body(items).post("/api/v1/plans").then())
                .body("errors.field", org.hamcrest.Matchers.containsInAnyOrder("items[1].datasourceId",
                        "items[2].tabel", "items[2].datasourceId", "items[2].table", "items[3]"))
                .body("errors.find { it.field == 'items[1].datasourceId' }.message", containsString("first at items[0]"));
        String reversal = "{\"name\":\"r\",\"direction\":\"V2_TO_V1\",\"items\":[{\"datasourceId\":\"ds-1\","
                + "\"accountId\":\"2\"}]}";
        refused(Api.asOperator().contentType("application/json").body(reversal).post("/api/v1/plans").then())
                .body("errors[0].field", equalTo("items[0].accountId"));
        refused(Api.asOperator().contentType("application/json").body("{\"name\":\"n\",\"items\":[").post("/api/v1/plans")
                .then()).body("detail", containsString("not valid JSON"));
        refused(Api.asOperator().contentType("application/json").body("{\"name\":\"n\",\"name\":\"m\",\"items\":[]}")
                .post("/api/v1/plans").then());
        refused(Api.asOperator().contentType("application/json")
                .body("{\"name\":\"n\",\"items\":[{\"datasourceId\":\"ds-1\",\"accountId\":\"2\",\"catalog\":\"c\","
                        + "\"schema\":\"s\",\"table\":\"t\"}]}")
                .post("/api/v1/plans?name=other").then()).body("errors[0].field", equalTo("name"));
        assertThat(stored()).isEqualTo(before);
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void aPlanOfTenThousandItemsFitsWhileOtherBodiesStaySmall() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(10_000);
        stubCandidates(domo, estate.account(), List.of(), Set.of());
        String body = HEADER + estate.datasources().stream()
                .map(id -> id + "," + estate.account() + ",catalog_name,schema_name,table_" + id)
                .collect(Collectors.joining("\r\n"));
        assertThat(body.length()).isGreaterThan(64 * 1024);
        Map<String, Object> counts = csv(body.getBytes(StandardCharsets.UTF_8), "?name=big").statusCode(201)
                .extract().jsonPath().getMap("counts");
        assertThat(counts).containsEntry("total", 10_000).containsEntry("BLOCKED", 10_000);

        String bigMigration = "{\"accountId\":\"1\",\"catalog\":\"" + "c".repeat(70_000) + "\",\"schema\":\"s\",\"table\":\"t\"}";
        Api.asOperator().contentType("application/json").body(bigMigration)
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then().statusCode(413)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:payload-too-large"));
    }

    /**
     * Uploads are read one at a time on a replica (two 8 MiB plans at once took more than the chart's
     * heap): another waits up to 10 s for its turn, then gets 503 busy. One that stops arriving loses
     * its connection after PROXY_PLAN_UPLOAD_TIMEOUT (12 s in tests), and the next is read.
     */
    @Test
    @Tag("timing")
    void anUploadThatStopsArrivingHoldsTheOthersUpOnlyUntilItsTimeout() throws Exception {
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(1);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        String plan = PlanFixtures.jsonPlan("after-a-stalled-upload", estate.account(), estate.datasources(), 1);
        String waiting = PlanFixtures.create(PlanFixtures.jsonPlan("preflight-waits", estate.account(),
                estate.datasources(), 1)).getString("planId");
        long before = stored();
        HttpClient http2 = HttpClient.newHttpClient();
        // Upgrades the connection to HTTP/2 (h2c) with a small answer. Not with /q/openapi: Java's
        // client misreads 1 to 3 in 100 upgrades that answer it (docs/api.md, "Java's HttpClient over
        // http://"), which failed CI once.
        http2.send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/audit/operations?limit=1"))
                .header("X-API-Key", TestCredentials.AUDITOR_KEY).build(), HttpResponse.BodyHandlers.discarding());
        try (java.net.Socket stalled = new java.net.Socket("127.0.0.1", io.restassured.RestAssured.port)) {
            stalled.setSoTimeout(20_000);
            stalled.getOutputStream().write(("POST /api/v1/plans HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: "
                    + TestCredentials.OPERATOR_KEY + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                    + "{\"name\":\"stalled\",\"items\":[").getBytes(StandardCharsets.US_ASCII));
            stalled.getOutputStream().flush();
            // Its turn has come: it is being read.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(plans::turnTaken);

            // A preflight run again, sent with no body as an HTTP/2 stream, waits for the same turn.
            CompletableFuture<HttpResponse<String>> preflight = http2.sendAsync(HttpRequest.newBuilder(
                    URI.create(base() + "/api/v1/plans/" + waiting + "/preflight"))
                    .header("X-API-Key", TestCredentials.OPERATOR_KEY).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            json(plan).statusCode(503).contentType("application/problem+json")
                    .header("Retry-After", "5")
                    .body("type", equalTo("urn:problem-type:domo-migration-proxy:busy"))
                    .body("detail", containsString("Another plan upload or preflight is being handled"));
            HttpResponse<String> busy = preflight.get();
            assertThat(busy.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(busy.statusCode()).isEqualTo(503);
            // The stalled one loses its connection 12 s into its turn, and this one is read then.
            json(plan).statusCode(201).body("name", equalTo("after-a-stalled-upload"));
            assertThat(stalled.getInputStream().read()).as("the stalled upload's connection is closed unanswered")
                    .isEqualTo(-1);
        } catch (java.net.SocketException reset) {
            // the connection was reset rather than closed: also ended
        }
        assertThat(stored() - before).as("only the second plan is stored").isEqualTo(3);
    }

    private static String base() {
        return "http://127.0.0.1:" + io.restassured.RestAssured.port;
    }

    /**
     * A reason quotes Domo's migrationDate; PostgreSQL stores no U+0000, so it becomes U+FFFD, not a
     * 500; a "date" of any length is cut, since the reason is stored with every item; and one that
     * echoes the Domo token is stored without it.
     */
    @Test
    void aPreflightReasonQuotingDomoIsStoredWhateverDomoSent() {
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(3);
        String datasource = estate.datasources().get(0);
        domo.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(
                com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX + "/candidates/" + estate.account())
                .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(200)
                        .withHeader("Content-Type", "application/json").withBody("[{\"id\":\"" + datasource
                                + "\",\"name\":\"x\",\"migrated\":true,\"migrationDate\":\"2026-01-01\\u0000T\"},"
                                + "{\"id\":\"" + estate.datasources().get(1) + "\",\"name\":\"y\",\"migrated\":true,"
                                + "\"migrationDate\":\"" + "9".repeat(10_000) + "\"},"
                                + "{\"id\":\"" + estate.datasources().get(2) + "\",\"name\":\"z\",\"migrated\":true,"
                                + "\"migrationDate\":\"2026-01-01 " + DomoWireMock.CANARY_TOKEN + "\"}]")));
        String planId = PlanFixtures.create(PlanFixtures.jsonPlan("nul", estate.account(), estate.datasources(), 1))
                .getString("planId");
        Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200)
                .body("items[0].verdict", equalTo("ALREADY_DONE"))
                .body("items[0].reason", equalTo("already migrated (since 2026-01-01\uFFFDT)"))
                .body("items[1].reason", equalTo("already migrated (since " + "9".repeat(64) + "…)"))
                .body("items[2].reason", org.hamcrest.Matchers.startsWith("already migrated (since 2026-01-01 "))
                .body("items[2].reason", not(containsStringIgnoringCase(DomoWireMock.CANARY_TOKEN)));
        assertThat(OperationRows.query(dataSource, "SELECT count(*) AS n FROM plan_item WHERE plan_id = ?::uuid"
                + " AND reason ILIKE ?", planId, "%" + DomoWireMock.CANARY_TOKEN + "%").get(0).get("n")).isEqualTo(0L);
    }

    /** JSON or CSV must be said: a body without a Content-Type, or with a wildcard, is not guessed at. */
    @Test
    void anUploadWithoutAConcreteContentTypeIsRefusedAs415() {
        long before = stored();
        byte[] body = "{\"name\":\"n\",\"items\":[]}".getBytes(StandardCharsets.UTF_8);
        Api.asOperator().noContentType().body(body).post("/api/v1/plans").then().statusCode(415)
                .contentType("application/problem+json").body("detail", containsString("application/json or as text/csv"));
        Api.asOperator().contentType("text/*").body(body).post("/api/v1/plans").then().statusCode(415)
                .contentType("application/problem+json");
        assertThat(stored()).isEqualTo(before);
    }

    @Test
    void csvFieldsFollowRfc4180() {
        assertThat(PlanUpload.fields("a,\"b,c\",\"d\"\"e\",")).containsExactly("a", "b,c", "d\"e", "");
        assertThat(PlanUpload.fields("")).containsExactly("");
        assertThat(PlanUpload.fields("\"open")).isNull();
    }
}
