package com.domomigrationproxy.console;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.ConsoleSessions;
import com.domomigrationproxy.support.ConsoleSessions.Session;
import com.domomigrationproxy.support.HeldAnswers;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.TestCredentials;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/**
 * The plan page's forms as the browser posts them, with the person's session and the page's CSRF
 * token: pause, resume, cancel, retry an item, roll back, reject, and the CSV upload's errors; the
 * report and the event stream under the console's session. Each answer is checked against what the
 * API then says about the plan.
 */
@QuarkusTest
class ConsolePlanActionsTest {

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource("/")
    URI base;

    private String account;
    private List<String> datasources;

    @BeforeEach
    void estate() {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(json("[\"mysql-federated\"]")));
        // The first Domo call of a fresh JVM can outlast the tests' read deadline; a preflight would find everything BLOCKED.
        Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
        String tag = UUID.randomUUID().toString().substring(0, 8);
        account = "acc-" + tag;
        datasources = listed("ds-" + tag + "-", 8);
    }

    @Test
    void anOperatorStartsPausesResumesAndCancelsAPlanFromItsPage() {
        // One item at a time, 2 s each: items are still waiting when the cancel page is read, however
        // slowly the sign-ins and pages go (at 2 a time and 1 s each, a slow second could leave none).
        migrationsTake(2000);
        String planId = approvedPlan(datasources, 1).getString("planId");
        try {
            startPauseResumeAndCancel(planId);
        } finally {
            // A failure would leave a RUNNING plan for the next test application's executor.
            Api.asOperator().post("/api/v1/plans/" + planId + "/cancel");
        }
    }

    private void startPauseResumeAndCancel(String planId) {
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);

        act(operator, planId, "start").then().statusCode(303)
                .header("Location", containsString("/console/plans/" + planId + "?done=start"));
        await().atMost(Duration.ofSeconds(20)).until(() -> plan(planId).getInt("counts.COMPLETE") >= 1);
        operator.request().get("/console/plans/" + planId).then().statusCode(200)
                .body(containsString(">Pause</button>")).body(not(containsString(">Start</button>")))
                .body(containsString("items a minute"));
        act(operator, planId, "pause").then().statusCode(303);
        assertThat(plan(planId).getString("state")).isEqualTo("PAUSED");
        // A second pause: the page again, saying why the service refused.
        act(operator, planId, "pause").then().statusCode(409)
                .body(containsString("Not done: Cannot pause plan " + planId + ": it is PAUSED"))
                .body(containsString(">Resume</button>")).body(not(containsString(">Pause</button>")));
        act(operator, planId, "resume").then().statusCode(303);
        assertThat(plan(planId).getString("state")).isEqualTo("RUNNING");
        // Cancelling is final: the plan page's button only leads to a page that asks, and looking
        // at that page changes nothing.
        String cancelPage = "/console/plans/" + planId + "/cancellation";
        operator.request().get("/console/plans/" + planId).then().statusCode(200)
                .body(containsString("<a class=\"button danger\" href=\"" + cancelPage + "\">Cancel the plan…</a>"));
        operator.request().get(cancelPage).then().statusCode(200)
                .body(containsString("Cancelling is final"))
                .body(matchesPattern("(?s).*<strong id=\"cancel-waiting\">[1-9][0-9]*</strong> items not yet sent.*"))
                .body(containsString("<form method=\"post\" action=\"/console/plans/" + planId + "/cancel\">"))
                .body(containsString(">Yes, cancel the plan</button>"));
        assertThat(plan(planId).getString("state")).isEqualTo("RUNNING");
        ConsoleSessions.signIn(ConsoleSessions.READER).request().get(cancelPage).then().statusCode(403);
        Response cancel = act(operator, planId, "cancel");
        cancel.then().statusCode(303);
        JsonPath cancelled = plan(planId);
        assertThat(cancelled.getString("state")).isEqualTo("CANCELLED");
        operator.follow(cancel).then().statusCode(200)
                .body(containsString("Cancelled: items that had not started are skipped."))
                .body(not(containsString("Cancel the plan…")));
        // Once: the page again (or a link anyone can craft) says nothing was done.
        operator.request().get("/console/plans/" + planId + "?done=cancel").then().statusCode(200)
                .body(not(containsString("Cancelled: items that had not started")));
        operator.request().get(cancelPage).then().statusCode(200)
                .body(containsString("there is nothing left to cancel"))
                .body(not(containsString("Yes, cancel the plan")));
    }

    /**
     * A plan cancelled while an item waits at Domo is watched until that item has ended, and offers
     * its rollback only then: the page stopped watching at the cancel, froze its RUNNING count, and
     * offered a rollback the service refused (409) while the item could still end COMPLETE.
     */
    @Test
    void aCancelledPlanIsWatchedUntilItsItemInFlightEndsAndOnlyThenOffersARollback() throws InterruptedException {
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/[^/]+/accounts/" + account)).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-CONSOLE\"}").withTransformers(HeldAnswers.NAME)));
        String planId = approvedPlan(datasources, 1).getString("planId");
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        String page = "/console/plans/" + planId;
        HeldAnswers.hold(HeldAnswers.UNDER_MIGRATION_TIMEOUT);
        try {
            act(operator, planId, "start").then().statusCode(303);
            HeldAnswers.awaitHeld(Duration.ofSeconds(20));
            act(operator, planId, "cancel").then().statusCode(303);
            assertThat(operator.request().get(page).then().statusCode(200).extract().asString())
                    .contains("data-plan-events=", "data-live=\"true\"", "id=\"rollback-waits\"")
                    .doesNotContain("Create the rollback plan");
        } finally {
            HeldAnswers.release();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> plan(planId).getInt("counts.RUNNING") == 0);
        // The watching page's next progress says so, for the actions it shows are out of date.
        assertThat(operator.request().get(page + "/progress?shown=CANCELLED").then().statusCode(200).extract()
                .asString()).contains("data-live=\"false\"", "Its items in flight have ended.", "Reload the page");
        assertThat(operator.request().get(page).then().statusCode(200).extract().asString())
                .contains("data-live=\"false\"", ">Create the rollback plan</button>")
                .doesNotContain("data-plan-events=", "rollback-waits", "Its items in flight have ended.");
    }

    /**
     * A cancelled plan whose item has an unknown outcome can still move: reconciliation settles it.
     * Its page and event stream stopped at the cancel, and the rollback never showed up until a reload.
     */
    @Test
    void aCancelledPlanIsWatchedWhileAnItemsOutcomeIsUnknown() throws Exception {
        String planId = approvedPlan(datasources.subList(0, 1), 1).getString("planId");
        Api.asOperator().post("/api/v1/plans/" + planId + "/cancel").then().statusCode(200);
        // As if item 1 had been sent before the cancel and Domo's answer never came.
        String item = "UPDATE plan_item SET state = '%s' WHERE plan_id = '" + planId + "' AND item_id = 1";
        PostgresAdmin.tamper(item.formatted("UNKNOWN"));
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        String page = "/console/plans/" + planId;
        assertThat(operator.request().get(page).then().statusCode(200).extract().asString())
                .contains("data-live=\"true\"", "id=\"rollback-waits\"");
        CompletableFuture<HttpResponse<String>> stream = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(
                base.resolve("/api/v1/plans/" + planId + "/events")).header("X-API-Key", TestCredentials.READER_KEY)
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofString());
        try {
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> !stream.isDone());

            // Reconciled: the item ends, the stream with it, and the page stops watching.
            PostgresAdmin.tamper(item.formatted("COMPLETE"));
            assertThat(stream.get(10, TimeUnit.SECONDS).body()).contains("PLAN_CANCELLED");
            assertThat(operator.request().get(page).then().statusCode(200).extract().asString())
                    .contains("data-live=\"false\"").doesNotContain("rollback-waits");
        } finally {
            stream.cancel(true);
            PostgresAdmin.tamper(item.formatted("SKIPPED"));
        }
    }

    @Test
    void aFailedItemIsRetriedAndThePlanRolledBackFromItsPageAndItsReportAndEventsRead() {
        List<String> three = datasources.subList(0, 3);
        String failing = three.get(1);
        migrationsTake(0);
        domo.stubFor(post(DOMO_PREFIX + "/" + failing + "/accounts/" + account).willReturn(aResponse()
                .withStatus(500).withBody("boom")));
        String planId = approvedPlan(three, 3).getString("planId");
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        act(operator, planId, "start").then().statusCode(303);
        awaitState(planId, "FINISHED");

        String page = operator.request().get("/console/plans/" + planId).then().statusCode(200).extract().asString();
        assertThat(page).contains("/console/plans/" + planId + "/items/2/retry")
                .doesNotContain("/items/1/retry", "/items/3/retry").contains(">Create the rollback plan</button>");
        migrationsTake(0);
        operator.request().formParam("csrf-token", operator.csrfToken())
                .post("/console/plans/" + planId + "/items/2/retry").then().statusCode(303)
                .header("Location", containsString("done=retried"));
        await().atMost(Duration.ofSeconds(30)).until(() -> plan(planId).getInt("counts.COMPLETE") == 3
                && "FINISHED".equals(plan(planId).getString("state")));

        String report = operator.request().get("/console/plans/" + planId + "/report.csv").then().statusCode(200)
                .header("Content-Disposition", containsString("plan-" + planId + "-items.csv")).extract().asString();
        assertThat(report.split("\r\n")).hasSize(4);
        assertThat(report).startsWith("itemId,datasourceId,").contains("\"" + failing + "\"");
        // The plan's events under the console's session: the stream ends by itself, the plan being done.
        String events = operator.request().accept("text/event-stream").get("/console/plans/" + planId
                + "/events?after=0").then().statusCode(200).extract().asString();
        assertThat(events).contains("event:plan", "event:item", "PLAN_ITEM_RETRIED");
        given().redirects().follow(false).get("/console/plans/" + planId + "/events").then().statusCode(302);

        Response rollback = act(operator, planId, "rollback");
        rollback.then().statusCode(303).header("Location", containsString("done=rollback"));
        String rollbackId = rollback.header("Location").replaceAll(".*/plans/([^?]+).*", "$1");
        JsonPath reversal = plan(rollbackId);
        assertThat(reversal.getString("rollbackOf")).isEqualTo(planId);
        assertThat(reversal.getString("direction")).isEqualTo("V2_TO_V1");
        assertThat(reversal.getString("createdBy")).isEqualTo(ConsoleSessions.OPERATOR);
        operator.follow(rollback).then().statusCode(200)
                .body(containsString("This is the rollback plan")).body(containsString("— (reversals)"));
        // The plan rolled back links its rollback, and offers neither another rollback nor a retry, which
        // the service refuses (console review: the buttons stayed, a dead end with a 409).
        operator.request().get("/console/plans/" + planId).then().statusCode(200)
                .body(containsString("<a href=\"/console/plans/" + rollbackId + "\"><code>" + rollbackId
                        + "</code></a> (AWAITING_APPROVAL)"))
                .body(not(containsString(">Create the rollback plan</button>")))
                .body(not(containsString("/retry\"")));
    }

    @Test
    void anApproverRejectsWithACommentAndADecisionOnAnotherHashIsRefused() {
        JsonPath created = Api.asOperator().contentType("application/json").body(jsonPlan(datasources.subList(0, 2), 2))
                .post("/api/v1/plans").then().statusCode(201).extract().jsonPath();
        String planId = created.getString("planId");
        Session approver = ConsoleSessions.signIn(ConsoleSessions.APPROVER);
        approver.request().get("/console/plans/" + planId).then().statusCode(200)
                .body(containsString("value=\"" + created.getString("contentHash") + "\""))
                .body(containsString(">Approve</button>")).body(containsString(">Reject</button>"));

        decide(approver, planId, "APPROVE", "0".repeat(64), "looked at another").then().statusCode(409)
                .body(containsString("look at the plan again"));
        // A comment of the form's 1,000 characters is read whatever its script: 240 CJK characters are 2,160
        // bytes percent-encoded, past the 2 KiB Quarkus REST reads of a form field by default (a 413 page).
        String comment = "Wrong wave\r\nsee CHG-7 " + "承認".repeat(120);
        Response rejection = decide(approver, planId, "REJECT", created.getString("contentHash"), comment);
        rejection.then().statusCode(303).header("Location", containsString("done=rejected"));
        JsonPath rejected = plan(planId);
        assertThat(rejected.getString("state")).isEqualTo("REJECTED");
        assertThat(rejected.getString("approvals[0].by")).isEqualTo(ConsoleSessions.APPROVER);
        assertThat(rejected.getString("approvals[0].comment")).isEqualTo("Wrong wave\nsee CHG-7 " + "承認".repeat(120));
        approver.follow(rejection).then().statusCode(200)
                .body(containsString("Your rejection is recorded")).body(not(containsString(">Approve</button>")));
        // An operator has no say: the role is checked, whatever the form carries.
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        decide(operator, planId, "APPROVE", created.getString("contentHash"), null).then().statusCode(403)
                .body(containsString("Not for your role"));
    }

    /**
     * A form field or an uploaded plan that carries a credential is refused, the field (or line)
     * named and the page not showing it again, as the form that keeps what was typed would.
     */
    @Test
    void aFormOrUploadThatCarriesACredentialIsRefusedWithoutShowingIt() {
        JsonPath created = Api.asOperator().contentType("application/json").body(jsonPlan(datasources.subList(0, 2), 2))
                .post("/api/v1/plans").then().statusCode(201).extract().jsonPath();
        String planId = created.getString("planId");
        Session approver = ConsoleSessions.signIn(ConsoleSessions.APPROVER);
        String secret = com.domomigrationproxy.support.TestCredentials.READER_KEY;
        String refused = decide(approver, planId, "APPROVE", created.getString("contentHash"), "with " + secret)
                .then().statusCode(400).body(containsString("carries a credential")).body(containsString("comment"))
                .extract().asString();
        assertThat(refused).doesNotContain(secret);
        // A comment the plan page refuses is said beside it, tied to it for a screen reader (console review).
        decide(approver, planId, "APPROVE", created.getString("contentHash"), "bell\u0007").then().statusCode(400)
                .body(containsString("aria-invalid=\"true\" aria-describedby=\"e-comment\""))
                .body(containsString("<p class=\"field-error\" id=\"e-comment\">"));
        assertThat(plan(planId).getString("state")).isEqualTo("AWAITING_APPROVAL");

        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        String csv = "datasourceId,accountId,catalog,schema,table\r\n" + datasources.get(0) + "," + account
                + ",estate,NULL,t1\r\n" + datasources.get(1) + "," + account + ",estate,"
                + com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN + ",t2\r\n";
        String name = "Credential " + UUID.randomUUID();
        String upload = operator.request().multiPart("csrf-token", operator.csrfToken()).multiPart("name", name)
                .multiPart("direction", "V1_TO_V2").multiPart("maxConcurrency", "2")
                .multiPart("file", "plan.csv", csv.getBytes(StandardCharsets.UTF_8), "text/csv")
                .post("/console/plans").then().statusCode(400).body(containsString("carries a credential"))
                .body(containsString("Line 3")).extract().asString();
        assertThat(upload).doesNotContainIgnoringCase(com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN);
        Api.asReader().get("/api/v1/plans?createdBy=" + ConsoleSessions.OPERATOR + "&limit=100").then()
                .statusCode(200).body("items.name", not(org.hamcrest.Matchers.hasItem(name)));
    }

    @Test
    void aCsvWithBadLinesIsRefusedWholeAndEachLineNamed() {
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        String csv = "datasourceId,accountId,catalog,schema,table\r\n" + datasources.get(0) + "," + account
                + ",estate,NULL,t1\r\n" + datasources.get(1) + ",,estate,NULL,t2\r\n" + datasources.get(0) + ","
                + account + ",estate,NULL,t3\r\n";
        String name = "Bad lines " + UUID.randomUUID();
        operator.request().multiPart("csrf-token", operator.csrfToken()).multiPart("name", name)
                .multiPart("direction", "V1_TO_V2").multiPart("maxConcurrency", "2")
                .multiPart("file", "plan.csv", csv.getBytes(StandardCharsets.UTF_8), "text/csv")
                .post("/console/plans").then().statusCode(400)
                .body(containsString("Not uploaded: The plan is invalid: 2 error(s)"))
                .body(containsString("Line 3: <code>accountId</code> is required"))
                .body(containsString("Line 4: <code>datasourceId</code> datasource " + datasources.get(0)
                        + " appears twice in the plan (first at line 2)"))
                // The form keeps what was typed.
                .body(containsString("value=\"" + name + "\""));
        Api.asReader().get("/api/v1/plans?createdBy=" + ConsoleSessions.OPERATOR + "&limit=100").then()
                .statusCode(200).body("items.name", not(org.hamcrest.Matchers.hasItem(name)));
        // Without the form's token, nothing is read.
        operator.request().multiPart("name", name)
                .multiPart("file", "plan.csv", csv.getBytes(StandardCharsets.UTF_8), "text/csv")
                .post("/console/plans").then().statusCode(403).body(containsString("Form not accepted"));
    }

    /** The upload form sent twice (a double click, a reload of its answer) makes one plan. */
    @Test
    void anUploadFormSentTwiceMakesOnePlan() {
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        String page = operator.request().get("/console/plans/new").then().statusCode(200).extract().asString();
        String submission = page.replaceAll("(?s).*name=\"submission\" value=\"([^\"]+)\".*", "$1");
        assertThat(submission).matches("[0-9a-f-]{36}");
        assertThat(operator.request().get("/console/plans/new").asString()).doesNotContain(submission);
        String csv = "datasourceId,accountId,catalog,schema,table\r\n" + datasources.get(0) + "," + account
                + ",estate,NULL,t1\r\n";
        String name = "Twice " + UUID.randomUUID();
        List<String> answers = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            answers.add(operator.request().multiPart("csrf-token", operator.csrfToken()).multiPart("name", name)
                    .multiPart("submission", submission)
                    .multiPart("file", "plan.csv", csv.getBytes(StandardCharsets.UTF_8), "text/csv")
                    .post("/console/plans").then().statusCode(303).extract().header("Location"));
        }
        assertThat(answers.get(1)).isEqualTo(answers.get(0)).contains("done=created");
        assertThat(Api.asReader().get("/api/v1/plans?createdBy=" + ConsoleSessions.OPERATOR + "&limit=100").then()
                .statusCode(200).extract().jsonPath().getList("items.name")).containsOnlyOnce(name);

        // Sent again while another replica still checks and stores the first (played by the key's row as
        // that replica leaves it): said beside the form, where a failure page named no plan (review).
        String again = UUID.randomUUID().toString();
        com.domomigrationproxy.support.PostgresAdmin.tamper("INSERT INTO idempotency_key (principal, auth_method,"
                + " idempotency_key, fingerprint, created_at, expires_at) SELECT principal, auth_method, '" + again
                + "', fingerprint, now(), now() + interval '1 hour' FROM idempotency_key WHERE idempotency_key = '"
                + submission + "'");
        operator.request().multiPart("csrf-token", operator.csrfToken()).multiPart("name", name)
                .multiPart("submission", again)
                .multiPart("file", "plan.csv", csv.getBytes(StandardCharsets.UTF_8), "text/csv")
                .post("/console/plans").then().statusCode(409)
                .body(containsString("that first submission is still being checked and stored"))
                .body(containsString("value=\"" + name + "\""));
        assertThat(Api.asReader().get("/api/v1/plans?createdBy=" + ConsoleSessions.OPERATOR + "&limit=100").then()
                .statusCode(200).extract().jsonPath().getList("items.name")).containsOnlyOnce(name);
    }

    /** A plan's CSV may be larger than the 64 KiB every other body is held to, in the console as in the API. */
    @Test
    void aPlanCsvMayBeLargerThanOtherForms() {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        List<String> many = listed("ds-" + tag + "-large-", 1_500);
        StringBuilder csv = new StringBuilder("datasourceId,accountId,catalog,schema,table\r\n");
        many.forEach(id -> csv.append(id).append(',').append(account).append(",estate,NULL,table_").append(id)
                .append("\r\n"));
        assertThat(csv.length()).isGreaterThan(64 * 1024);
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        Response uploaded = operator.request().multiPart("csrf-token", operator.csrfToken())
                .multiPart("name", "Large " + tag)
                .multiPart("file", "plan.csv", csv.toString().getBytes(StandardCharsets.UTF_8), "text/csv")
                .post("/console/plans");
        uploaded.then().statusCode(303);
        JsonPath plan = plan(uploaded.header("Location").replaceAll(".*/plans/([^?]+).*", "$1"));
        assertThat(plan.getInt("itemCount")).isEqualTo(1_500);
        assertThat(plan.getInt("counts.READY")).isEqualTo(1_500);
        // A review note of 400 Cyrillic characters (up to 1,000 are allowed) is read: an unknown operation.
        operator.request().contentType("application/x-www-form-urlencoded; charset=UTF-8")
                .formParam("csrf-token", operator.csrfToken()).formParam("state", "COMPLETE")
                .formParam("note", "проверено ".repeat(40)).post("/console/reviews/" + UUID.randomUUID()).then()
                .statusCode(404);
        // Any other console form that large is refused before it is read.
        operator.request().formParam("csrf-token", operator.csrfToken()).formParam("state", "COMPLETE")
                .formParam("note", "n".repeat(70_000)).post("/console/reviews/" + UUID.randomUUID()).then()
                .statusCode(413);
    }

    /**
     * The Domo browser's selection of an account of 600 candidates, as the page posts it (multipart,
     * two fields a candidate): a plan. The same as an urlencoded form is more fields than Quarkus REST
     * reads, and a multipart body cut short cannot be read: each a 400 page, not a 500.
     */
    @Test
    void aSelectionOfManyCandidatesBecomesAPlanAndAnUnreadableFormIsA400() {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        List<String> many = listed("ds-" + tag + "-pick-", 600);
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        String page = operator.request().get("/console/domo/accounts/" + account).then().statusCode(200).extract()
                .asString();
        assertThat(page).contains("enctype=\"multipart/form-data\"");
        var multipart = operator.request().multiPart("csrf-token", operator.csrfToken())
                .multiPart("name", "Picked " + tag).multiPart("catalog", "estate").multiPart("schema", "s");
        var urlencoded = operator.request().formParam("csrf-token", operator.csrfToken())
                .formParam("name", "Picked " + tag).formParam("catalog", "estate").formParam("schema", "s");
        for (String id : many) {
            multipart.multiPart("row", id).multiPart("table", "t_" + id);
            urlencoded.formParam("row", id).formParam("table", "t_" + id);
        }
        multipart.multiPart("item", many.get(0)).multiPart("item", many.get(599));
        Response created = multipart.post("/console/domo/accounts/" + account + "/plan");
        created.then().statusCode(303);
        JsonPath plan = plan(created.header("Location").replaceAll(".*/plans/([^?]+).*", "$1"));
        assertThat(plan.getInt("itemCount")).isEqualTo(2);

        urlencoded.post("/console/domo/accounts/" + account + "/plan").then().statusCode(400)
                .body(containsString("The form could not be read"));
        operator.request().contentType("multipart/form-data; boundary=x").body("garbage".getBytes(StandardCharsets.US_ASCII))
                .post("/console/plans").then().statusCode(400).body(containsString("The form could not be read"));
    }

    /**
     * A refused selection is shown again as it was sent, also when Domo's list cannot be read again
     * (throttled here): nothing ticked or typed is lost with a failure page (console review).
     */
    @Test
    void aRefusedSelectionKeepsWhatWasTypedWhenDomoCannotListAgain() {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        List<String> picks = listed("ds-" + tag + "-again-", 2);
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(aResponse().withStatus(429)
                .withHeader("Retry-After", "30")));
        operator.request().multiPart("csrf-token", operator.csrfToken()).multiPart("name", "Again " + tag)
                .multiPart("catalog", "estate").multiPart("schema", "s")
                .multiPart("row", picks.get(0)).multiPart("table", "kept_" + tag)
                .multiPart("row", picks.get(1)).multiPart("table", "")
                .multiPart("item", picks.get(0)).multiPart("item", picks.get(1))
                .post("/console/domo/accounts/" + account + "/plan").then().statusCode(400)
                .body(containsString("value=\"kept_" + tag + "\""))
                .body(containsString("value=\"Again " + tag + "\""))
                .body(containsString("could not be read again")).body(containsString("not known"))
                .body(not(containsString(">on V1<")));
    }

    /**
     * The largest selection a plan can hold: 10,000 candidates, all ticked, three fields each (its
     * row, its table, its tick) is a plan of 10,000 items. A form of more fields than the service
     * reads is a 400 page that says so, not a 500.
     */
    @Test
    void aSelectionOfTenThousandTickedCandidatesBecomesAPlanAndMoreFieldsAre400() {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        List<String> many = listed("ds-" + tag + "-all-", 10_000);
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        var multipart = operator.request().multiPart("csrf-token", operator.csrfToken())
                .multiPart("name", "All " + tag).multiPart("catalog", "estate").multiPart("schema", "s");
        for (String id : many) {
            multipart.multiPart("row", id).multiPart("table", "t_" + id).multiPart("item", id);
        }
        Response created = multipart.post("/console/domo/accounts/" + account + "/plan");
        created.then().statusCode(303);
        assertThat(plan(created.header("Location").replaceAll(".*/plans/([^?]+).*", "$1")).getInt("itemCount"))
                .isEqualTo(10_000);

        var tooMany = operator.request().multiPart("csrf-token", operator.csrfToken())
                .multiPart("name", "Too many " + tag).multiPart("catalog", "estate").multiPart("schema", "s");
        for (int i = 0; i < 30_100; i++) {
            tooMany.multiPart("row", "ds-" + tag + "-none-" + i);
        }
        tooMany.post("/console/domo/accounts/" + account + "/plan").then().statusCode(400)
                .body(containsString("The form could not be read"));

        // One candidate more than a plan holds, all ticked (30,003 fields, which are read): the page says so,
        // and does not also ask for at least one tick.
        List<String> tooLarge = listed("ds-" + tag + "-over-", 10_001);
        var overLimit = operator.request().multiPart("csrf-token", operator.csrfToken())
                .multiPart("name", "Over " + tag).multiPart("catalog", "estate").multiPart("schema", "s");
        for (String id : tooLarge) {
            overLimit.multiPart("row", id).multiPart("table", "t_" + id).multiPart("item", id);
        }
        overLimit.post("/console/domo/accounts/" + account + "/plan").then().statusCode(400)
                .body(containsString("Too many candidates ticked: a plan must list at most 10000 items (10001 given)."))
                .body(not(containsString("Tick at least one candidate")));
    }

    /** {@code count} candidates of the test's account, named {@code prefix} and a number, as Domo lists them. */
    private List<String> listed(String prefix, int count) {
        List<String> ids = java.util.stream.IntStream.rangeClosed(1, count).mapToObj(i -> prefix + i).toList();
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(json(ids.stream()
                .map(id -> "{\"id\":\"" + id + "\",\"name\":\"" + id + "\",\"migrated\":false,\"migrationDate\":null}")
                .collect(Collectors.joining(",", "[", "]")))));
        return ids;
    }

    private void migrationsTake(int millis) {
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/[^/]+/accounts/" + account)).willReturn(aResponse()
                .withFixedDelay(millis).withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-CONSOLE\"}")));
    }

    private JsonPath approvedPlan(List<String> items, int maxConcurrency) {
        JsonPath created = Api.asOperator().contentType("application/json").body(jsonPlan(items, maxConcurrency))
                .post("/api/v1/plans").then().statusCode(201).extract().jsonPath();
        given().header("Authorization", "Bearer " + Tokens.jwt("approver-" + UUID.randomUUID(), "approver"))
                .contentType("application/json").body("{\"decision\":\"APPROVE\",\"contentHash\":\""
                        + created.getString("contentHash") + "\"}")
                .post("/api/v1/plans/" + created.getString("planId") + "/approvals").then().statusCode(200);
        return created;
    }

    private String jsonPlan(List<String> items, int maxConcurrency) {
        return "{\"name\":\"Console actions " + UUID.randomUUID() + "\",\"maxConcurrency\":" + maxConcurrency
                + ",\"items\":" + items.stream().map(id -> "{\"datasourceId\":\"" + id + "\",\"accountId\":\""
                        + account + "\",\"catalog\":\"estate\",\"schema\":\"NULL\",\"table\":\"t_" + id + "\"}")
                        .collect(Collectors.joining(",", "[", "]")) + "}";
    }

    private static Response act(Session person, String planId, String action) {
        return person.request().formParam("csrf-token", person.csrfToken())
                .post("/console/plans/" + planId + "/" + action);
    }

    private static Response decide(Session person, String planId, String decision, String hash, String comment) {
        // UTF-8, as a browser sends a page's form (REST Assured would encode it in ISO-8859-1).
        var request = person.request().contentType("application/x-www-form-urlencoded; charset=UTF-8")
                .formParam("csrf-token", person.csrfToken()).formParam("decision", decision)
                .formParam("contentHash", hash);
        if (comment != null) {
            request.formParam("comment", comment);
        }
        return request.post("/console/plans/" + planId + "/decision");
    }

    private static JsonPath plan(String planId) {
        return Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(200).extract().jsonPath();
    }

    private static void awaitState(String planId, String state) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> state.equals(plan(planId).getString("state")));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }
}
