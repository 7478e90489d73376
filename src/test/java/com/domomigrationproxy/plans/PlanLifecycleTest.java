package com.domomigrationproxy.plans;

import static com.domomigrationproxy.plans.PlanFixtures.awaitState;
import static com.domomigrationproxy.plans.PlanFixtures.chainKinds;
import static com.domomigrationproxy.plans.PlanFixtures.createApproveStart;
import static com.domomigrationproxy.plans.PlanFixtures.jsonPlan;
import static com.domomigrationproxy.plans.PlanFixtures.plan;
import static com.domomigrationproxy.plans.PlanFixtures.stubCandidates;
import static com.domomigrationproxy.plans.PlanFixtures.stubMigrations;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.URL;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.PrometheusScrape;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** A plan from upload to report: preflight, approval, a run bounded by maxConcurrency, pause, resume, cancel, retry, rollback. */
@QuarkusTest
class PlanLifecycleTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    PlanMetrics metrics;

    @Inject
    com.domomigrationproxy.ledger.OperationStore operations;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metricsUrl;

    @Test
    void aPlanIsPreflightedApprovedRunAndReported() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(20);
        List<String> items = new ArrayList<>(estate.datasources());
        String done = items.get(0);
        String unknown = estate.account() + "-not-listed";
        items.add(unknown);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of(done));
        stubMigrations(domo, estate.account(), 0);

        JsonPath created = PlanFixtures.create(jsonPlan("lifecycle", estate.account(), items, 4));
        String planId = created.getString("planId");
        assertThat(created.getString("state")).isEqualTo("AWAITING_APPROVAL");
        assertThat(created.getString("createdBy")).isEqualTo("operator-svc");
        assertThat(created.getString("createdByAuthMethod")).isEqualTo("api-key");
        assertThat(created.getInt("counts.total")).isEqualTo(21);
        assertThat(created.getInt("counts.READY")).isEqualTo(19);
        assertThat(created.getInt("counts.ALREADY_DONE")).isEqualTo(1);
        assertThat(created.getInt("counts.BLOCKED")).isEqualTo(1);
        // The candidates of an account are fetched once, however many items name it.
        domo.verify(1, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/candidates/" + estate.account())));
        Api.asReader().get("/api/v1/plans/" + planId + "/items?verdict=BLOCKED").then().statusCode(200)
                .body("items[0].datasourceId", equalTo(unknown))
                .body("items[0].reason", org.hamcrest.Matchers.containsString("not among the candidates"));

        PlanFixtures.approve(planId, created.getString("contentHash"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(200)
                .body("state", equalTo("RUNNING")).body("startedBy", equalTo("operator-svc"));
        JsonPath finished = awaitState(planId, "FINISHED", Duration.ofSeconds(30));

        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(19);
        assertThat(finished.getInt("counts.SKIPPED")).isEqualTo(2);
        assertThat(finished.getInt("counts.FAILED")).isZero();
        domo.verify(19, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*/accounts/" + estate.account())));
        for (String datasource : estate.datasources().subList(1, 20)) {
            domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/" + estate.account())));
        }
        // Every operation the plan ran carries its id, through the audited path of a single request.
        List<Map<String, Object>> operations = Api.asAuditor().get("/api/v1/audit/operations?limit=100&planId=" + planId)
                .then().statusCode(200).extract().jsonPath().getList("items");
        assertThat(operations).hasSize(19).allSatisfy(operation -> {
            assertThat(operation).containsEntry("planId", planId).containsEntry("state", "COMPLETE")
                    .containsEntry("requestedBy", "operator-svc");
            assertThat(operation.get("chain")).isNotNull();
        });
        assertThat(chainKinds(planId)).containsExactly("PLAN_CREATED", "PLAN_APPROVED", "PLAN_STARTED",
                "PLAN_FINISHED");
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));

        // The report: every item, one CSV row each.
        String report = Api.asReader().accept("text/csv").get("/api/v1/plans/" + planId + "/items").then()
                .statusCode(200).extract().asString();
        assertThat(report.split("\r\n")).hasSize(22);
        assertThat(report).startsWith("itemId,datasourceId,accountId,catalog,schema,table,verdict,reason,state,")
                .contains("\"" + done + "\"").contains("\"ALREADY_DONE\"").contains("\"T-PLAN\"");
        String itemsCursor = Api.asReader().get("/api/v1/plans/" + planId + "/items?state=COMPLETE&limit=10").then()
                .statusCode(200).body("items.size()", equalTo(10)).body("items[0].state", equalTo("COMPLETE"))
                .body("nextCursor", org.hamcrest.Matchers.notNullValue()).extract().jsonPath().getString("nextCursor");

        // Listed, newest first, and counted by the gauges.
        Api.asAuditor().get("/api/v1/plans?createdBy=operator-svc&state=FINISHED&limit=1").then().statusCode(200)
                .body("items[0].planId", equalTo(planId));
        // A cursor's position forged out of the range timestamps hold: 400, not a 500.
        PlanFixtures.create(jsonPlan("second", estate.account(), List.of(done), 1));
        String cursor = Api.asAuditor().get("/api/v1/plans?limit=1").then().statusCode(200).extract().jsonPath()
                .getString("nextCursor");
        String[] parts = new String(java.util.Base64.getUrlDecoder().decode(cursor),
                java.nio.charset.StandardCharsets.UTF_8).split("\\|", -1);
        String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(("+1000000000-12-31T23:59:59Z|"
                + parts[1] + "|" + parts[2]).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Api.asAuditor().get("/api/v1/plans?limit=1&cursor=" + forged).then().statusCode(400)
                .body("errors.field", org.hamcrest.Matchers.hasItem("cursor"));
        // An items cursor pages the plan that issued it, and no other.
        String second = Api.asAuditor().get("/api/v1/plans?limit=1").then().statusCode(200).extract().jsonPath()
                .getString("items[0].planId");
        Api.asReader().get("/api/v1/plans/" + second + "/items?state=COMPLETE&limit=10&cursor=" + itemsCursor).then()
                .statusCode(400).body("errors.message", org.hamcrest.Matchers.hasItem(
                        "is not a cursor issued for this plan's items and these filters"));
        Api.asReader().get("/api/v1/plans/" + planId + "/items?state=COMPLETE&limit=10&cursor=" + itemsCursor).then()
                .statusCode(200).body("items[0].itemId", org.hamcrest.Matchers.greaterThan(10));
        metrics.refresh();
        assertThat(PrometheusScrape.of(metricsUrl).value("proxy_plans", Map.of("state", "FINISHED"))).isPositive();
    }

    @Test
    void eventsStreamEveryTransitionAndResumeAfterLastEventId() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(3);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        stubMigrations(domo, estate.account(), 0);
        String planId = createApproveStart(jsonPlan("events", estate.account(), estate.datasources(), 2));
        awaitState(planId, "FINISHED", Duration.ofSeconds(30));

        // The plan is done: the stream sends its history and ends.
        String stream = Api.asReader().accept("text/event-stream").get("/api/v1/plans/" + planId + "/events").then()
                .statusCode(200).extract().asString();
        List<Long> ids = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String line : stream.split("\n")) {
            if (line.startsWith("id:")) {
                ids.add(Long.parseLong(line.substring(3).strip()));
            } else if (line.startsWith("event:")) {
                names.add(line.substring(6).strip());
            }
        }
        assertThat(names.stream().filter("plan"::equals)).hasSize(4);
        assertThat(names.stream().filter("item"::equals)).hasSize(6); // each item: RUNNING, then COMPLETE
        assertThat(stream).contains("\"event\":\"PLAN_FINISHED\"").contains("\"state\":\"COMPLETE\"");
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(stream).doesNotContain("content-type");

        String resumed = Api.asReader().accept("text/event-stream").header("Last-Event-ID", ids.get(ids.size() - 2).toString())
                .get("/api/v1/plans/" + planId + "/events").then().statusCode(200).extract().asString();
        assertThat(resumed).contains("id:" + ids.get(ids.size() - 1)).doesNotContain("id:" + ids.get(ids.size() - 2));
        Api.asReader().accept("text/event-stream").header("Last-Event-ID", "x")
                .get("/api/v1/plans/" + planId + "/events").then().statusCode(400);
        Api.asReader().accept("text/event-stream").header("Last-Event-ID", "20").header("Last-Event-ID", "2")
                .get("/api/v1/plans/" + planId + "/events").then().statusCode(400)
                .body("errors.field", org.hamcrest.Matchers.hasItem("Last-Event-ID"));
    }

    @Test
    void pauseStopsNewItemsResumeContinuesCancelSkipsTheRest() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(12);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        stubMigrations(domo, estate.account(), 400);
        String planId = createApproveStart(jsonPlan("pause", estate.account(), estate.datasources(), 2));

        await().atMost(Duration.ofSeconds(20)).until(() -> plan(planId).getInt("counts.COMPLETE") >= 2);
        assertThat(plan(planId).getInt("counts.RUNNING")).isLessThanOrEqualTo(2);
        Api.asOperator().post("/api/v1/plans/" + planId + "/pause").then().statusCode(200)
                .body("state", equalTo("PAUSED"));
        // Items in flight finish; none starts.
        await().atMost(Duration.ofSeconds(10)).until(() -> plan(planId).getInt("counts.RUNNING") == 0);
        int sent = domo.findAll(postRequestedFor(urlMatching(DOMO_PREFIX + "/.*"))).size();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() ->
                domo.findAll(postRequestedFor(urlMatching(DOMO_PREFIX + "/.*"))).size() == sent);
        Api.asOperator().post("/api/v1/plans/" + planId + "/pause").then().statusCode(409)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:plan-state"));

        Api.asOperator().post("/api/v1/plans/" + planId + "/resume").then().statusCode(200)
                .body("state", equalTo("RUNNING"));
        await().atMost(Duration.ofSeconds(10)).until(() -> domo.findAll(postRequestedFor(urlMatching(DOMO_PREFIX
                + "/.*"))).size() > sent);
        JsonPath running = plan(planId);
        assertThat(running.getDouble("progress.itemsPerMinute")).isPositive();
        assertThat(running.getInt("progress.remaining")).isPositive();

        Api.asOperator().post("/api/v1/plans/" + planId + "/cancel").then().statusCode(200)
                .body("state", equalTo("CANCELLED"));
        await().atMost(Duration.ofSeconds(10)).until(() -> plan(planId).getInt("counts.RUNNING") == 0);
        JsonPath cancelled = plan(planId);
        int complete = cancelled.getInt("counts.COMPLETE");
        assertThat(complete).isLessThan(12);
        assertThat(cancelled.getInt("counts.SKIPPED")).isEqualTo(12 - complete);
        assertThat(cancelled.getInt("counts.WAITING")).isZero();
        domo.verify(complete, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
        Api.asOperator().post("/api/v1/plans/" + planId + "/resume").then().statusCode(409);
        assertThat(chainKinds(planId)).containsExactly("PLAN_CREATED", "PLAN_APPROVED", "PLAN_STARTED", "PLAN_PAUSED",
                "PLAN_RESUMED", "PLAN_CANCELLED");
    }

    /**
     * A replica's workers (16 here) are shared by the plans that want them: a plan started second
     * runs while the first, which took every worker, still has items waiting.
     */
    @Test
    void aSecondPlanGetsItsShareOfTheWorkersWhileTheFirstStillHasItemsWaiting() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate big = PlanFixtures.Estate.of(48);
        PlanFixtures.Estate small = PlanFixtures.Estate.of(2);
        stubCandidates(domo, big.account(), big.datasources(), Set.of());
        stubCandidates(domo, small.account(), small.datasources(), Set.of());
        stubMigrations(domo, big.account(), 2000);
        stubMigrations(domo, small.account(), 0);
        String first = createApproveStart(jsonPlan("big", big.account(), big.datasources(), 16));
        await().atMost(Duration.ofSeconds(10)).until(() -> plan(first).getInt("counts.RUNNING") == 16);

        String second = createApproveStart(jsonPlan("small", small.account(), small.datasources(), 2));
        await().atMost(Duration.ofSeconds(10)).until(() -> plan(second).getInt("counts.COMPLETE") == 2);
        assertThat(plan(first).getInt("counts.WAITING")).as("the first plan still had items waiting").isPositive();
        stubMigrations(domo, big.account(), 0); // shown: the rest need not take 2 s each
        awaitState(first, "FINISHED", Duration.ofSeconds(60));
        assertThat(plan(first).getInt("counts.COMPLETE")).isEqualTo(48);
    }

    /** Items still in flight when a plan is cancelled may end COMPLETE: no rollback until they have ended. */
    @Test
    void aCancelledPlanIsRolledBackOnlyOnceItsItemsInFlightHaveEnded() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(2);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        // Answers a second inside the tests' 3 s migration deadline (a loaded machine's connection and token
        // read come on top), long enough for the cancel and the refused rollback below.
        stubMigrations(domo, estate.account(), 2000);
        String planId = createApproveStart(jsonPlan("cancel-in-flight", estate.account(), estate.datasources(), 2));
        await().atMost(Duration.ofSeconds(10)).until(() -> domo.findAll(postRequestedFor(urlMatching(DOMO_PREFIX
                + "/.*"))).size() == 2);
        Api.asOperator().post("/api/v1/plans/" + planId + "/cancel").then().statusCode(200)
                .body("state", equalTo("CANCELLED"));
        JsonPath cancelled = JsonPath.from(Api.asAuditor().get("/api/v1/audit/events?type=PLAN_CANCELLED&subject="
                + planId).then().statusCode(200).extract().jsonPath().getString("items[0].payload"));
        assertThat(cancelled.getInt("skipped")).isZero();
        assertThat(cancelled.getInt("inFlight")).isEqualTo(2);
        Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(409)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:plan-state"))
                .body("detail", org.hamcrest.Matchers.containsString("still running"));

        await().atMost(Duration.ofSeconds(15)).until(() -> plan(planId).getInt("counts.RUNNING") == 0);
        assertThat(plan(planId).getInt("counts.COMPLETE")).isEqualTo(2);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.copyOf(estate.datasources()));
        JsonPath rollback = Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(201)
                .body("rollbackOf", equalTo(planId)).body("counts.total", equalTo(2)).extract().jsonPath();

        // A cancelled rollback whose reversals were sent still reverses them: no second rollback until they end.
        String rollbackId = rollback.getString("planId");
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/[^/]+/reverse")).willReturn(aResponse().withFixedDelay(2000)
                .withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        PlanFixtures.approve(rollbackId, rollback.getString("contentHash"));
        com.domomigrationproxy.support.ConsoleSessions.Session console = com.domomigrationproxy.support.ConsoleSessions
                .signIn(com.domomigrationproxy.support.ConsoleSessions.OPERATOR);
        Api.asOperator().post("/api/v1/plans/" + rollbackId + "/start").then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> domo.findAll(postRequestedFor(urlMatching(DOMO_PREFIX
                + "/.*/reverse"))).size() == 2);
        Api.asOperator().post("/api/v1/plans/" + rollbackId + "/cancel").then().statusCode(200);
        // Its console page neither offers the rollback the service refuses meanwhile, nor hides the one cancelled.
        console.request().get("/console/plans/" + planId).then().statusCode(200)
                .body(org.hamcrest.Matchers.not(containsString(">Create the rollback plan</button>")))
                .body(containsString(rollbackId + "</code></a> (CANCELLED)"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(409)
                .body("detail", containsString(rollbackId + " (CANCELLED) with 2 reversal(s) still running"));
        await().atMost(Duration.ofSeconds(15)).until(() -> plan(rollbackId).getInt("counts.RUNNING") == 0);
        // Both were reversed by the cancelled rollback: nothing the plan migrated is left in place to reverse (a
        // second rollback reversed them again, and anything migrated since, which its approver never saw).
        Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(409)
                .body("detail", containsString("another operation has changed each since"));
        // Nor does its page offer one: it says why (console review: the button led to this 409).
        console.request().get("/console/plans/" + planId).then().statusCode(200)
                .body(org.hamcrest.Matchers.not(containsString(">Create the rollback plan</button>")))
                .body(containsString("id=\"nothing-to-roll-back\""));
    }

    /**
     * A rollback reverses only what the plan left in place: a data source reversed by hand since, then
     * migrated again by another plan, is not reversed with it, which would undo that plan's work (plans
     * review).
     */
    @Test
    void aRollbackLeavesOutWhatAnotherOperationChangedSince() {
        PlanFixtures.Estate estate = PlanFixtures.estateOnV1(domo, 2, 0);
        String planId = createApproveStart(jsonPlan("rolled-back-in-part", estate.account(), estate.datasources(), 2));
        awaitState(planId, "FINISHED", Duration.ofSeconds(30));
        String movedAgain = estate.datasources().get(0);
        domo.stubFor(post(DOMO_PREFIX + "/" + movedAgain + "/reverse").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        Api.asOperator().post("/api/v1/datasources/" + movedAgain + "/reversals").then().statusCode(200);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of(estate.datasources().get(1)));
        String other = createApproveStart(jsonPlan("moved-again", estate.account(), List.of(movedAgain), 1));
        awaitState(other, "FINISHED", Duration.ofSeconds(30));
        stubCandidates(domo, estate.account(), estate.datasources(), Set.copyOf(estate.datasources()));

        JsonPath rollback = Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(201)
                .body("counts.total", equalTo(1)).extract().jsonPath();
        Api.asReader().get("/api/v1/plans/" + rollback.getString("planId") + "/items").then().statusCode(200)
                .body("items.datasourceId", org.hamcrest.Matchers.contains(estate.datasources().get(1)));
    }

    /**
     * An item whose outcome is unknown when its plan is cancelled may still be found to have taken
     * effect: the cancellation's record counts it in flight, as one still running.
     */
    @Test
    void aCancellationCountsAnItemOfUnknownOutcomeInFlight() {
        PlanFixtures.Estate estate = PlanFixtures.estateOnV1(domo, 3, 2500);
        List<String> sources = estate.datasources();
        // A gateway's 504 in front of Domo: the operation's outcome is UNKNOWN.
        domo.stubFor(post(DOMO_PREFIX + "/" + sources.get(0) + "/accounts/" + estate.account())
                .willReturn(aResponse().withStatus(504)));
        String planId = createApproveStart(jsonPlan("unknown-in-flight", estate.account(), sources, 1));
        await().atMost(Duration.ofSeconds(10)).until(() -> plan(planId).getInt("counts.UNKNOWN") == 1
                && plan(planId).getInt("counts.RUNNING") == 1);
        Api.asOperator().post("/api/v1/plans/" + planId + "/cancel").then().statusCode(200);
        JsonPath cancelled = JsonPath.from(Api.asAuditor().get("/api/v1/audit/events?type=PLAN_CANCELLED&subject="
                + planId).then().statusCode(200).extract().jsonPath().getString("items[0].payload"));
        assertThat(cancelled.getInt("skipped")).isEqualTo(1);
        assertThat(cancelled.getInt("inFlight")).isEqualTo(2);
        await().atMost(Duration.ofSeconds(15)).until(() -> plan(planId).getInt("counts.RUNNING") == 0);
    }

    /**
     * A rollback reverses what changed Domo or may have: COMPLETE, INCOMPLETE (changes were made) and
     * FAILED on a 5xx, also when a retry then ended otherwise; not FAILED on Domo's 4xx, which left the
     * data source where it was.
     */
    @Test
    void aRollbackTakesEveryItemThatMayHaveChangedDomo() {
        PlanFixtures.Estate estate = PlanFixtures.estateOnV1(domo, 4, 0);
        List<String> sources = estate.datasources();
        domo.stubFor(post(DOMO_PREFIX + "/" + sources.get(1) + "/accounts/" + estate.account()).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"state\":\"INCOMPLETE\"}")));
        domo.stubFor(post(DOMO_PREFIX + "/" + sources.get(2) + "/accounts/" + estate.account()).willReturn(aResponse()
                .withStatus(500).withBody("boom")));
        domo.stubFor(post(DOMO_PREFIX + "/" + sources.get(3) + "/accounts/" + estate.account()).willReturn(aResponse()
                .withStatus(404).withHeader("Content-Type", "application/json").withBody("{\"message\":\"no such table\"}")));
        String planId = createApproveStart(jsonPlan("mixed", estate.account(), sources, 4));
        JsonPath finished = awaitState(planId, "FINISHED", Duration.ofSeconds(30));
        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(1);
        assertThat(finished.getInt("counts.INCOMPLETE")).isEqualTo(1);
        assertThat(finished.getInt("counts.FAILED")).isEqualTo(2);

        // Retried, the item Domo failed with a 500 is refused as already migrated: it still counts.
        domo.stubFor(post(DOMO_PREFIX + "/" + sources.get(2) + "/accounts/" + estate.account()).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"ABORTED\",\"errorMessage\":\"already migrated\"}")));
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/3/retry").then().statusCode(200);
        assertThat(awaitState(planId, "FINISHED", Duration.ofSeconds(30)).getInt("counts.ABORTED")).isEqualTo(1);
        // An item shows its latest operation's outcome (read without the rest of the operation's row).
        Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200)
                .body("items.find { it.itemId == 3 }.errorMessage", equalTo("already migrated"))
                .body("items.find { it.itemId == 3 }.state", equalTo("ABORTED"));

        stubCandidates(domo, estate.account(), sources, Set.copyOf(sources.subList(0, 3)));
        String rollbackId = Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(201)
                .body("counts.total", equalTo(3)).extract().path("planId");
        Api.asReader().get("/api/v1/plans/" + rollbackId + "/items").then().statusCode(200)
                .body("items.datasourceId", equalTo(sources.subList(0, 3)));
    }

    /**
     * An item whose operation was resolved ABORTED while Domo was still working on it (another replica's
     * reconciliation), and whose late answer then said INCOMPLETE, may have changed Domo: the rollback
     * takes it, as the trail's own account rule counts that migration (plans review).
     */
    @Test
    void aRollbackTakesAnItemWhoseLateAnswerContradictsItsResolution() {
        PlanFixtures.Estate estate = PlanFixtures.estateOnV1(domo, 1, 0);
        String source = estate.datasources().get(0);
        domo.stubFor(post(DOMO_PREFIX + "/" + source + "/accounts/" + estate.account()).willReturn(aResponse()
                .withFixedDelay(2000).withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"INCOMPLETE\"}")));
        String planId = createApproveStart(jsonPlan("late-answer", estate.account(), List.of(source), 1));
        String[] operationId = new String[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> (operationId[0] = Api.asReader()
                .get("/api/v1/plans/" + planId + "/items").then().statusCode(200).extract()
                .path("items[0].operationId")) != null);
        assertThat(operations.recordReconciliation(java.util.UUID.fromString(operationId[0]),
                com.domomigrationproxy.ledger.OperationState.ABORTED, "another replica's reconciliation", null))
                .isPresent();
        // The item shows Domo's answer; its operation stays resolved ABORTED, with the answer as a LATE_OUTCOME.
        assertThat(awaitState(planId, "FINISHED", Duration.ofSeconds(30)).getInt("counts.INCOMPLETE")).isEqualTo(1);
        assertThat(operations.find(java.util.UUID.fromString(operationId[0])).orElseThrow().effect())
                .isEqualTo(com.domomigrationproxy.ledger.OperationState.ABORTED);
        await().atMost(Duration.ofSeconds(10)).until(() -> Api.asAuditor().queryParam("type", "LATE_OUTCOME")
                .queryParam("subject", operationId[0]).get("/api/v1/audit/events").then().statusCode(200).extract()
                .jsonPath().getList("items").size() == 1);
        assertThat(operations.lastMigrationAccounts(List.of(source))).containsEntry(source, estate.account());

        stubCandidates(domo, estate.account(), List.of(source), Set.of(source));
        String rollbackId = Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(201)
                .body("counts.total", equalTo(1)).extract().path("planId");
        Api.asReader().get("/api/v1/plans/" + rollbackId + "/items").then().statusCode(200)
                .body("items.datasourceId", equalTo(List.of(source)));
    }

    /**
     * A rollback cancelled after it reversed an item has run for that item: a retry of the item in
     * the plan it rolls back would migrate it again, so it takes a new plan, as after a rollback that
     * finished. An item the cancelled rollback never reached may still be retried.
     */
    @Test
    void anItemACancelledRollbackReversedIsNotRetried() {
        PlanFixtures.Estate estate = PlanFixtures.estateOnV1(domo, 2, 0);
        String reversed = estate.datasources().get(0);
        String untouched = estate.datasources().get(1);
        for (String datasource : estate.datasources()) {
            domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/accounts/" + estate.account()).willReturn(aResponse()
                    .withStatus(200).withHeader("Content-Type", "application/json")
                    .withBody("{\"state\":\"INCOMPLETE\",\"toe\":\"T-half\"}")));
        }
        String planId = createApproveStart(jsonPlan("half", estate.account(), estate.datasources(), 1));
        awaitState(planId, "FINISHED", Duration.ofSeconds(30));

        stubCandidates(domo, estate.account(), estate.datasources(), Set.copyOf(estate.datasources()));
        domo.stubFor(post(DOMO_PREFIX + "/" + reversed + "/reverse").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        domo.stubFor(post(DOMO_PREFIX + "/" + untouched + "/reverse").willReturn(aResponse().withStatus(429)
                .withHeader("Retry-After", "3").withHeader("Content-Type", "application/json")
                .withBody("{\"status\":429}")));
        JsonPath rollback = Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(201)
                .extract().jsonPath();
        String rollbackId = rollback.getString("planId");
        PlanFixtures.approve(rollbackId, rollback.getString("contentHash"));
        Api.asOperator().post("/api/v1/plans/" + rollbackId + "/start").then().statusCode(200);
        // The first reversed; the second refused by Domo (429) and waiting its turn when the rollback is cancelled.
        await().atMost(Duration.ofSeconds(30)).until(() -> domo.findAll(postRequestedFor(
                urlEqualTo(DOMO_PREFIX + "/" + untouched + "/reverse"))).size() == 1
                && plan(rollbackId).getInt("counts.COMPLETE") == 1 && plan(rollbackId).getInt("counts.RUNNING") == 0);
        Api.asOperator().post("/api/v1/plans/" + rollbackId + "/cancel").then().statusCode(200);
        awaitState(rollbackId, "CANCELLED", Duration.ofSeconds(30));

        Api.asOperator().post("/api/v1/plans/" + planId + "/items/1/retry").then().statusCode(409)
                .body("detail", containsString(rollbackId)).body("detail", containsString(reversed));
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/2/retry").then().statusCode(200);
        awaitState(planId, "FINISHED", Duration.ofSeconds(30));
    }

    @Test
    void aFailedItemIsReportedAndSentAgainOnlyOnRetryThenRolledBack() throws SQLException {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(3);
        String failing = estate.datasources().get(1);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        stubMigrations(domo, estate.account(), 0);
        domo.stubFor(post(DOMO_PREFIX + "/" + failing + "/accounts/" + estate.account()).willReturn(aResponse()
                .withStatus(500).withBody("boom")));
        String planId = createApproveStart(jsonPlan("retry", estate.account(), estate.datasources(), 3));
        JsonPath finished = awaitState(planId, "FINISHED", Duration.ofSeconds(30));
        assertThat(finished.getInt("counts.FAILED")).isEqualTo(1);
        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(2);
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + failing + "/accounts/" + estate.account())));

        Api.asOperator().post("/api/v1/plans/" + planId + "/items/1/retry").then().statusCode(409)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:plan-item-state"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/99/retry").then().statusCode(404);
        stubMigrations(domo, estate.account(), 0);
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/2/retry").then().statusCode(200)
                .body("state", equalTo("WAITING")).body("attempts", equalTo(1));
        JsonPath again = awaitState(planId, "FINISHED", Duration.ofSeconds(30));
        assertThat(again.getInt("counts.COMPLETE")).isEqualTo(3);
        domo.verify(2, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + failing + "/accounts/" + estate.account())));
        Api.asReader().get("/api/v1/plans/" + planId + "/items?state=COMPLETE").then()
                .body("items.find { it.itemId == 2 }.attempts", equalTo(2));
        assertThat(chainKinds(planId)).containsExactly("PLAN_CREATED", "PLAN_APPROVED", "PLAN_STARTED",
                "PLAN_FINISHED", "PLAN_ITEM_RETRIED", "PLAN_FINISHED");

        // Rollback: a new reversal plan of the completed items, awaiting its own approval.
        stubCandidates(domo, estate.account(), estate.datasources(), Set.copyOf(estate.datasources()));
        JsonPath rollback = Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(201)
                .extract().jsonPath();
        assertThat(rollback.getString("direction")).isEqualTo("V2_TO_V1");
        assertThat(rollback.getString("rollbackOf")).isEqualTo(planId);
        assertThat(rollback.getString("state")).isEqualTo("AWAITING_APPROVAL");
        assertThat(rollback.getInt("counts.READY")).isEqualTo(3);
        String rollbackId = rollback.getString("planId");
        Api.asReader().get("/api/v1/plans/" + rollbackId + "/items").then().statusCode(200)
                .body("items.datasourceId", equalTo(estate.datasources())).body("items[0].accountId", equalTo(null));
        Api.asOperator().post("/api/v1/plans/" + rollbackId + "/start").then().statusCode(409)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:plan-not-approved"));
        Api.asOperator().post("/api/v1/plans/" + rollbackId + "/rollback").then().statusCode(409);

        // One rollback at a time: a second would reverse the same items again once both ran, and a
        // retry of the plan would migrate what the rollback reverses.
        Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(409)
                .body("detail", containsString(rollbackId));
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/2/retry").then().statusCode(409)
                .body("detail", containsString(rollbackId));
        Api.asOperator().post("/api/v1/plans/" + rollbackId + "/cancel").then().statusCode(200);
        Api.asOperator().post("/api/v1/plans/" + planId + "/rollback").then().statusCode(201)
                .body("rollbackOf", equalTo(planId));
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
        // Every refusal above reads the plan's rollback plans: through an index, not a scan of every plan.
        assertThat(planOf("SELECT * FROM plan WHERE rollback_of = '" + planId + "' ORDER BY created_at"))
                .contains("ix_plan_rollback_of");
    }

    /** The query plan PostgreSQL would choose if it had many plans to scan (no sequential scan). */
    private static String planOf(String query) throws SQLException {
        try (Connection connection = PostgresAdmin.ownConnections().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("SET enable_seqscan = off");
            StringBuilder plan = new StringBuilder();
            try (ResultSet rows = statement.executeQuery("EXPLAIN " + query)) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
            return plan.toString();
        }
    }
}
