package com.domomigrationproxy.plans;

import static com.domomigrationproxy.plans.PlanFixtures.awaitState;
import static com.domomigrationproxy.plans.PlanFixtures.createApproveStart;
import static com.domomigrationproxy.plans.PlanFixtures.jsonPlan;
import static com.domomigrationproxy.plans.PlanFixtures.plan;
import static com.domomigrationproxy.plans.PlanFixtures.stubCandidates;
import static com.domomigrationproxy.plans.PlanFixtures.stubMigrations;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.migration.OperationReconciler;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PostgresAdmin;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Domo's 429s slow a plan down and fail no item; an unknown outcome waits for reconciliation and is never sent again. */
@QuarkusTest
@Tag("timing")
class PlanResilienceTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    OperationReconciler reconciler;

    @Inject
    PlanItems items;

    @Inject
    OperationStore store;

    @Test
    void aBurstOf429sSlowsThePlanAndFailsNoItem() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(6);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        String migrations = DOMO_PREFIX + "/[^/]+/accounts/" + estate.account();
        String[] states = { Scenario.STARTED, "second", "third", "over" };
        for (int i = 0; i < 3; i++) {
            domo.stubFor(post(urlMatching(migrations)).inScenario("burst").whenScenarioStateIs(states[i])
                    .willSetStateTo(states[i + 1]).willReturn(slowDown()));
        }
        // WireMock may match a request that arrives while another moves the scenario on against no state
        // at all (a 404 for an item, seen once in CI): below the scenario's stubs, such a request gets a 429 too.
        domo.stubFor(post(urlMatching(migrations)).atPriority(10).willReturn(slowDown()));
        domo.stubFor(post(urlMatching(migrations)).inScenario("burst").whenScenarioStateIs("over")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-429\"}")));

        String planId = createApproveStart(jsonPlan("429", estate.account(), estate.datasources(), 2));
        JsonPath finished = awaitState(planId, "FINISHED", Duration.ofSeconds(60));
        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(6);
        assertThat(finished.getInt("counts.FAILED")).isZero();

        // Each refused item was sent again only after Domo's Retry-After. (Requests in flight together may
        // both see the scenario's 429 state: at least three 429s, each followed by a later attempt.)
        List<Map<String, Object>> operations = Api.asAuditor().get("/api/v1/audit/operations?limit=100&planId=" + planId)
                .then().statusCode(200).extract().jsonPath().getList("items");
        Map<String, List<Map<String, Object>>> byDatasource = operations.stream()
                .collect(Collectors.groupingBy(operation -> (String) operation.get("datasourceId")));
        long refused = 0;
        for (List<Map<String, Object>> history : byDatasource.values()) {
            history.sort((a, b) -> ((String) a.get("requestedAt")).compareTo((String) b.get("requestedAt")));
            assertThat(history.get(history.size() - 1)).containsEntry("state", "COMPLETE");
            for (int i = 0; i < history.size() - 1; i++) {
                assertThat(history.get(i)).containsEntry("state", "FAILED").containsEntry("upstreamStatus", 429);
                Instant answered = Instant.parse((String) history.get(i).get("completedAt"));
                Instant sentAgain = Instant.parse((String) history.get(i + 1).get("requestedAt"));
                assertThat(Duration.between(answered, sentAgain)).isGreaterThanOrEqualTo(Duration.ofMillis(950));
                refused++;
            }
        }
        assertThat(refused).isGreaterThanOrEqualTo(3);
        domo.verify((int) (6 + refused), postRequestedFor(urlMatching(migrations)));
        assertThat(Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200).extract()
                .jsonPath().<Integer>getList("items.attempts").stream().mapToInt(Integer::intValue).sum())
                .isEqualTo(6 + refused);
    }

    /**
     * Domo turning the service itself away (here its token, refused with 401) ends the item in flight
     * as its operation did, FAILED, and holds the rest back until Domo answers a GET again: a rotated
     * or expired token does not fail every item of an estate in turn.
     */
    @Test
    void aRefusedTokenFailsTheItemInFlightAndHoldsTheRestUntilDomoAnswersAgain() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(4);
        String migrations = DOMO_PREFIX + "/[^/]+/accounts/" + estate.account();
        String planId = startWithEveryMigrationRefused(estate, "turned-away", 401, aResponse().withStatus(401));
        await().atMost(Duration.ofSeconds(20)).until(() -> plan(planId).getInt("counts.FAILED") == 1);
        // Passes of the executor and a recheck of Domo go by: nothing more is sent, and the plan runs on.
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7)) // the recheck comes at 3 s
                .until(() -> domo.countRequestsMatching(postRequestedFor(urlMatching(migrations)).build()).getCount() == 1);
        JsonPath held = plan(planId);
        assertThat(held.getString("state")).isEqualTo("RUNNING");
        assertThat(held.getInt("counts.WAITING")).isEqualTo(3);
        Api.asAuditor().get("/api/v1/audit/operations?planId=" + planId).then().statusCode(200)
                .body("items.state", equalTo(List.of("FAILED"))).body("items[0].upstreamStatus", equalTo(401));

        // The token is replaced: Domo answers again, and the items that waited are sent.
        stubMigrations(domo, estate.account(), 0);
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(typesListed()));
        JsonPath finished = awaitState(planId, "FINISHED", Duration.ofSeconds(30));
        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(3);
        assertThat(finished.getInt("counts.FAILED")).isEqualTo(1);
        domo.verify(4, postRequestedFor(urlMatching(migrations)));
    }

    /** Domo's Retry-After outlives a pause: a resume within it still waits for it. */
    @Test
    void aResumeWithinDomosRetryAfterStillWaitsForIt() {
        PlanFixtures.warmUp(domo);
        String planId = pausedAfterOne429(PlanFixtures.Estate.of(1), "resume-429", 4);
        Api.asOperator().post("/api/v1/plans/" + planId + "/resume").then().statusCode(200)
                .body("progress.throttledUntil", org.hamcrest.Matchers.notNullValue());
        awaitState(planId, "FINISHED", Duration.ofSeconds(30));

        List<Map<String, Object>> history = Api.asAuditor().get("/api/v1/audit/operations?limit=10&planId=" + planId)
                .then().statusCode(200).extract().jsonPath().getList("items");
        history.sort((a, b) -> ((String) a.get("requestedAt")).compareTo((String) b.get("requestedAt")));
        assertThat(history).hasSize(2);
        Instant refused = Instant.parse((String) history.get(0).get("completedAt"));
        Instant sentAgain = Instant.parse((String) history.get(1).get("requestedAt"));
        assertThat(Duration.between(refused, sentAgain)).isGreaterThanOrEqualTo(Duration.ofMillis(3900));
    }

    /** A plan that cannot be finished now (its row refuses the change) holds up no other plan. */
    @Test
    void aPlanThatCannotBeFinishedHoldsUpNoOther() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate stuck = PlanFixtures.Estate.of(1);
        PlanFixtures.Estate other = PlanFixtures.Estate.of(2);
        for (PlanFixtures.Estate estate : List.of(stuck, other)) {
            stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
            stubMigrations(domo, estate.account(), 0);
        }
        JsonPath created = PlanFixtures.create(jsonPlan("cannot finish", stuck.account(), stuck.datasources(), 1));
        String stuckId = created.getString("planId");
        PlanFixtures.approve(stuckId, created.getString("contentHash"));
        String function = "refuse_finish_" + stuckId.replace("-", "_");
        PostgresAdmin.tamper("CREATE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " RAISE EXCEPTION 'this plan cannot be finished (test)'; END $$",
                "CREATE TRIGGER " + function + " BEFORE UPDATE ON plan FOR EACH ROW WHEN (NEW.plan_id = '" + stuckId
                        + "' AND NEW.state = 'FINISHED') EXECUTE FUNCTION " + function + "()");
        String otherId = null;
        try {
            Api.asOperator().post("/api/v1/plans/" + stuckId + "/start").then().statusCode(200);
            await().atMost(Duration.ofSeconds(20)).until(() -> plan(stuckId).getInt("counts.COMPLETE") == 1);
            otherId = createApproveStart(jsonPlan("finishes", other.account(), other.datasources(), 1));
            awaitState(otherId, "FINISHED", Duration.ofSeconds(20));
            assertThat(plan(stuckId).getString("state")).isEqualTo("RUNNING");
        } finally {
            PostgresAdmin.tamper("DROP TRIGGER " + function + " ON plan", "DROP FUNCTION " + function + "()");
            Api.asOperator().post("/api/v1/plans/" + stuckId + "/cancel"); // cleanup: not asserted, not hiding a failure
            if (otherId != null) {
                Api.asOperator().post("/api/v1/plans/" + otherId + "/cancel");
            }
        }
    }

    /**
     * An item claimed just before another item's 429 made the whole plan wait is not sent within
     * Domo's Retry-After: its link, in the intent's transaction, refuses (nothing recorded, nothing
     * sent) until the plan's wait is over.
     */
    @Test
    void anItemClaimedBeforeAnotherItems429IsNotSentWithinTheRetryAfter() {
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(1);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        JsonPath created = PlanFixtures.create(jsonPlan("claimed before a 429", estate.account(), estate.datasources(), 1));
        String planId = created.getString("planId");
        PlanFixtures.approve(planId, created.getString("contentHash"));
        UUID token = UUID.randomUUID();
        Operation pending = null;
        // What a worker holds between its claim and its send, once another item's 429 has slowed the plan down.
        PostgresAdmin.tamper("UPDATE plan SET state = 'RUNNING', not_before = now() + interval '1 minute' WHERE plan_id = '"
                + planId + "'", "UPDATE plan_item SET state = 'RUNNING', claim_token = '" + token + "', lease_owner = 'test',"
                + " lease_until = now() + interval '1 minute' WHERE plan_id = '" + planId + "' AND item_id = 1");
        try {
            PlanItems.Claim claim = new PlanItems.Claim(UUID.fromString(planId), 1, token,
                    new PlanItemSpec(estate.datasources().get(0), estate.account(), "estate", "NULL", "table"),
                    com.domomigrationproxy.ledger.Direction.V1_TO_V2, "operator-svc", "api-key",
                    com.domomigrationproxy.security.Scopes.UNRESTRICTED);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> items.link(claim, UUID.randomUUID(), "test",
                    Duration.ofMinutes(1)))
                    .isInstanceOfSatisfying(com.domomigrationproxy.problem.ProblemException.class,
                            e -> assertThat(e.type()).isEqualTo(com.domomigrationproxy.problem.ProblemType.PLAN_ITEM_STATE));
            // Control: once the wait is over, the same claim links.
            pending = store.recordIntent(OperationIntent.migration(estate.datasources().get(0), estate.account(),
                    "estate", "NULL", "table", new Requester("operator-svc", "api-key", "req-" + UUID.randomUUID(),
                            "10.0.0.7", com.domomigrationproxy.security.Scopes.UNRESTRICTED)), none -> {
                    });
            PostgresAdmin.tamper("UPDATE plan SET not_before = NULL WHERE plan_id = '" + planId + "'");
            items.link(claim, pending.operationId(), "test", Duration.ofMinutes(1));
        } finally {
            Api.asOperator().post("/api/v1/plans/" + planId + "/cancel"); // cleanup: not asserted, not hiding a failure
            if (pending != null) {
                // Never sent: no PENDING operation is left for other tests' reconciliation runs.
                store.recordOutcome(pending, com.domomigrationproxy.ledger.Outcome.withoutResult(
                        com.domomigrationproxy.ledger.OperationState.FAILED, null, "test: never sent", null, 0));
            }
        }
    }

    /** A retry of an item a preflight skipped after it was sent runs it: the operator's decision stands. */
    @Test
    void anItemSkippedAfterItWasSentRunsOnRetry() {
        String planId = skippedByAPreflightAfterOne429(PlanFixtures.Estate.of(1), "skipped-then-retried");
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/1/retry").then().statusCode(200)
                .body("reason", org.hamcrest.Matchers.startsWith(
                        "sent again on an operator's retry; a preflight had found it ALREADY_DONE: "));
        // The chain says which finding the retry overrode, as a preflight's event says which it changed.
        Api.asAuditor().get("/api/v1/audit/events?subject=" + planId + "&type=PLAN_ITEM_RETRIED").then()
                .statusCode(200).body("items.size()", equalTo(1))
                .body("items[0].payload", org.hamcrest.Matchers.containsString("\"overriddenVerdict\":\"ALREADY_DONE\""))
                .body("items[0].payload", org.hamcrest.Matchers.containsString("\"overriddenReason\":"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/resume").then().statusCode(200);
        JsonPath finished = awaitState(planId, "FINISHED", Duration.ofSeconds(30));
        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(1);

        // A sent item skipped for another reason keeps its READY verdict (the run skips a reversal whose data
        // source left the grant): no preflight skipped it, so it is not sent again (own-diff review).
        String item = "UPDATE plan_item SET state = '%s' WHERE plan_id = '" + planId + "' AND item_id = 1";
        PostgresAdmin.tamper(item.formatted("SKIPPED"));
        try {
            Api.asOperator().post("/api/v1/plans/" + planId + "/items/1/retry").then().statusCode(409)
                    .body("type", org.hamcrest.Matchers.endsWith(":plan-item-state"));
        } finally {
            PostgresAdmin.tamper(item.formatted("COMPLETE"));
        }
    }

    /**
     * An item refused once by Domo (it has an operation) that a preflight then skipped is looked at
     * again by the next preflight: found READY, it waits for its turn, without the skip's note.
     */
    @Test
    void anItemWithAnEarlierAttemptSkippedByAPreflightIsSentAgainAfterTheNextOne() {
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(1);
        String planId = skippedByAPreflightAfterOne429(estate, "preflight-again");
        Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200)
                .body("items[0].state", equalTo("SKIPPED")).body("items[0].finishedAt", org.hamcrest.Matchers.notNullValue());
        // Sent before it was skipped: an operator may send it again (a retry undone by a preflight left
        // the item SKIPPED for good; plans review), and the next preflight looks at it again.
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/1/retry").then().statusCode(200)
                .body("state", equalTo("WAITING")).body("verdict", equalTo("READY"))
                .body("reason", org.hamcrest.Matchers.containsString("a preflight had found it ALREADY_DONE"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/preflight").then().statusCode(200);
        Api.asReader().get("/api/v1/plans/" + planId + "/items").then().body("items[0].state", equalTo("SKIPPED"));
        // Not any more: the next preflight finds it READY, and it waits for its turn again.
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        Api.asOperator().post("/api/v1/plans/" + planId + "/preflight").then().statusCode(200);
        Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200)
                .body("items[0].state", equalTo("WAITING")).body("items[0].verdict", equalTo("READY"))
                .body("items[0].note", org.hamcrest.Matchers.nullValue())
                .body("items[0].finishedAt", org.hamcrest.Matchers.nullValue());
        // The chain names the items each preflight changed, by their new verdict: the auditor sees which
        // item now runs although an earlier preflight had skipped it.
        int itemId = Api.asReader().get("/api/v1/plans/" + planId + "/items").then().extract().path("items[0].itemId");
        Api.asAuditor().get("/api/v1/audit/events?subject=" + planId + "&type=PLAN_PREFLIGHT").then().statusCode(200)
                .body("items.size()", equalTo(3))
                .body("items[0].payload", org.hamcrest.Matchers.containsString(
                        "\"verdictsChanged\":{\"ALREADY_DONE\":{\"count\":1,\"itemIds\":[" + itemId + "]}}"))
                .body("items[2].payload", org.hamcrest.Matchers.containsString(
                        "\"verdictsChanged\":{\"READY\":{\"count\":1,\"itemIds\":[" + itemId + "]}}"));

        Api.asOperator().post("/api/v1/plans/" + planId + "/resume").then().statusCode(200);
        JsonPath finished = awaitState(planId, "FINISHED", Duration.ofSeconds(30));
        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(1);
    }

    @Test
    void anUnknownOutcomeWaitsForReconciliationAndIsNeverSentAgain() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(3);
        String slow = estate.datasources().get(0);
        String planId = startWithTheFirstOutcomeUnknown(estate, "unknown", 3);

        await().atMost(Duration.ofSeconds(30)).until(() -> plan(planId).getInt("counts.UNKNOWN") == 1);
        // The plan waits for it: not finished, and the item is not sent again.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> // two passes (1 s each)
                "RUNNING".equals(plan(planId).getString("state")));
        assertThat(plan(planId).getInt("counts.COMPLETE")).isEqualTo(2);
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + slow + "/accounts/" + estate.account())));
        // Nothing left to run, and no time to foretell: the plan waits for reconciliation (it said 0 s).
        Api.asReader().get("/api/v1/plans/" + planId).then().body("progress.remaining", equalTo(0))
                .body("progress.estimatedSecondsLeft", org.hamcrest.Matchers.nullValue())
                .body("progress.itemsPerMinute", org.hamcrest.Matchers.greaterThan(0f));

        // Domo's candidates now show it migrated after the request: reconciled COMPLETE, and the plan finishes.
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + estate.account()).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[{\"id\":\"" + slow
                        + "\",\"name\":\"x\",\"migrated\":true,\"migrationDate\":\"" + Instant.now() + "\"}]")));
        assertThat(reconciler.reconcileNow()).isGreaterThanOrEqualTo(1);
        JsonPath finished = awaitState(planId, "FINISHED", Duration.ofSeconds(30));
        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(3);
        assertThat(finished.getInt("counts.UNKNOWN")).isZero();
        Api.asReader().get("/api/v1/plans/" + planId + "/items?limit=1").then()
                .body("items[0].state", equalTo("COMPLETE")).body("items[0].attempts", equalTo(1));
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + slow + "/accounts/" + estate.account())));
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    /**
     * A token that may still read but no longer migrate: Domo answers the GET that lets items go
     * again, then refuses the next item. Each refusal in a row doubles the wait (3 s in the tests,
     * then 6 s; 5 s and 10 s by default), so such a token fails a few items an hour rather than one
     * every few seconds.
     */
    @Test
    void aTokenThatMayReadButNotMigrateIsTriedLessAndLessOften() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(3);
        String planId = startWithEveryMigrationRefused(estate, "read-only-token", 403, typesListed());
        await().atMost(Duration.ofSeconds(40)).until(() -> plan(planId).getInt("counts.FAILED") == 3);
        List<Instant> sent = Api.asAuditor().get("/api/v1/audit/operations?planId=" + planId).then().statusCode(200)
                .extract().jsonPath().<String>getList("items.requestedAt").stream().map(Instant::parse).sorted().toList();
        assertThat(sent).hasSize(3);
        assertThat(Duration.between(sent.get(0), sent.get(1))).isGreaterThan(Duration.ofMillis(2_700));
        assertThat(Duration.between(sent.get(1), sent.get(2))).isGreaterThan(Duration.ofMillis(5_700));
        awaitState(planId, "FINISHED", Duration.ofSeconds(10));
    }

    /**
     * An item of unknown outcome keeps its place in maxConcurrency while Domo may still be carrying
     * it out (twice the migration deadline after it was sent: 6 s in the tests), so that Domo never
     * works on more of the plan's items at once than the plan allows.
     */
    @Test
    void anUnknownOutcomeHoldsItsSlotWhileDomoMayStillBeWorking() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(2);
        String slow = estate.datasources().get(0);
        String next = estate.datasources().get(1);
        String planId = startWithTheFirstOutcomeUnknown(estate, "unknown-slot", 1);

        await().atMost(Duration.ofSeconds(30)).until(() -> plan(planId).getInt("counts.COMPLETE") == 1);
        Map<String, Instant> requested = Api.asAuditor().get("/api/v1/audit/operations?planId=" + planId).then()
                .statusCode(200).extract().jsonPath().<Map<String, Object>>getList("items").stream()
                .collect(Collectors.toMap(operation -> (String) operation.get("datasourceId"),
                        operation -> Instant.parse((String) operation.get("requestedAt"))));
        assertThat(plan(planId).getInt("counts.UNKNOWN")).isEqualTo(1);
        // Not sent when the first became UNKNOWN (3 s), only once Domo could no longer be working on it.
        assertThat(Duration.between(requested.get(slow), requested.get(next))).isGreaterThan(Duration.ofMillis(5_500));
        Api.asOperator().post("/api/v1/plans/" + planId + "/cancel").then().statusCode(200);
    }

    /**
     * An item whose replica died after sending it, its operation still PENDING (no outcome, not yet
     * resolved): once its lease has run out it is UNKNOWN, and holds the plan's one slot only while
     * Domo may still be working on it; it stayed RUNNING, and the plan stalled until a person
     * resolved the operation.
     */
    @Test
    void anItemWhoseSenderDiedWithItsOperationPendingGivesItsSlotBack() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(2);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        stubMigrations(domo, estate.account(), 0);
        JsonPath created = PlanFixtures.create(jsonPlan("dead sender", estate.account(), estate.datasources(), 1));
        String planId = created.getString("planId");
        PlanFixtures.approve(planId, created.getString("contentHash"));
        // What a replica killed after sending item 1 leaves: the operation's intent and a RUNNING item whose lease
        // ran out, sent longer ago than twice the tests' migration deadline (3 s).
        Operation pending = store.recordIntent(OperationIntent.migration(estate.datasources().get(0), estate.account(),
                "estate", "NULL", "table", new Requester("operator-svc", "api-key", "req-" + UUID.randomUUID(),
                        "10.0.0.7", com.domomigrationproxy.security.Scopes.UNRESTRICTED)), none -> {
                });
        PostgresAdmin.tamper("UPDATE plan_item SET state = 'RUNNING', operation_id = '" + pending.operationId()
                + "', attempts = 1, sent_at = now() - interval '10 seconds', lease_owner = 'killed', claim_token = gen_random_uuid(),"
                + " lease_until = now() - interval '1 second' WHERE plan_id = '" + planId + "' AND item_id = 1");
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(200);
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> plan(planId).getInt("counts.COMPLETE") == 1);
            assertThat(plan(planId).getInt("counts.RUNNING")).isZero();
            domo.verify(0, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + estate.datasources().get(0) + "/accounts/"
                    + estate.account())));
        } finally {
            Api.asOperator().post("/api/v1/plans/" + planId + "/cancel"); // cleanup: not asserted, not hiding a failure
        }
    }

    /** A started plan of the estate, maxConcurrency 1, whose every migration Domo refuses with {@code status}. */
    private String startWithEveryMigrationRefused(PlanFixtures.Estate estate, String name, int status,
            ResponseDefinitionBuilder types) {
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/[^/]+/accounts/" + estate.account())).willReturn(aResponse()
                .withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"message\":\"not with this token\"}")));
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(types));
        return createApproveStart(jsonPlan(name, estate.account(), estate.datasources(), 1));
    }

    private static ResponseDefinitionBuilder typesListed() {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("[\"mysql-federated\"]");
    }

    /**
     * A started plan of the estate whose first item Domo answers after the tests' migration deadline
     * (3 s), so that its outcome is unknown; the others complete at once.
     */
    private String startWithTheFirstOutcomeUnknown(PlanFixtures.Estate estate, String name, int maxConcurrency) {
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        stubMigrations(domo, estate.account(), 0);
        domo.stubFor(post(urlEqualTo(DOMO_PREFIX + "/" + estate.datasources().get(0) + "/accounts/" + estate.account()))
                .willReturn(aResponse().withFixedDelay(5_000).withStatus(200)
                        .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        return createApproveStart(jsonPlan(name, estate.account(), estate.datasources(), maxConcurrency));
    }

    /**
     * A started one-item plan whose first send Domo refused with 429 (Retry-After {@code retryAfter}
     * seconds; the next one completes), paused while it waits for that.
     */
    /** A one-item plan paused after Domo's 429 to its item, which a preflight then skipped: Domo lists it migrated. */
    private String skippedByAPreflightAfterOne429(PlanFixtures.Estate estate, String name) {
        PlanFixtures.warmUp(domo);
        String planId = pausedAfterOne429(estate, name, 3);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of(estate.datasources().get(0)));
        Api.asOperator().post("/api/v1/plans/" + planId + "/preflight").then().statusCode(200);
        return planId;
    }

    private String pausedAfterOne429(PlanFixtures.Estate estate, String name, int retryAfter) {
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        String migrations = DOMO_PREFIX + "/[^/]+/accounts/" + estate.account();
        domo.stubFor(post(urlMatching(migrations)).inScenario(name).whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("over").willReturn(aResponse().withStatus(429)
                        .withHeader("Retry-After", Integer.toString(retryAfter))
                        .withHeader("Content-Type", "application/json").withBody("{\"status\":429}")));
        domo.stubFor(post(urlMatching(migrations)).inScenario(name).whenScenarioStateIs("over")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-" + name + "\"}")));
        String planId = createApproveStart(jsonPlan(name, estate.account(), estate.datasources(), 1));
        await().atMost(Duration.ofSeconds(10)).until(() -> plan(planId).getString("progress.throttledUntil") != null);
        Api.asOperator().post("/api/v1/plans/" + planId + "/pause").then().statusCode(200);
        return planId;
    }

    /** Domo's 429, asking for a second's pause. */
    private static ResponseDefinitionBuilder slowDown() {
        return aResponse().withStatus(429).withHeader("Retry-After", "1").withHeader("Content-Type", "application/json")
                .withBody("{\"status\":429,\"message\":\"slow down\"}");
    }

    /**
     * The sweep reads unsettled items a batch at a time, in item order, each pass after where the
     * last full batch of its kind stopped: read with no order, the same first batch came back every
     * pass, and an item beyond it whose operation was resolved elsewhere stayed UNKNOWN. The passes
     * that look only at lapsed claims come between (each second) and keep a place of their own: with
     * one place for both, each sent the sweep of unknown outcomes back to the first batch.
     */
    @Test
    void theSweepGoesRoundEveryUnsettledItemHoweverManyThereAre() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(5);
        PlanFixtures.stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        String planId = PlanFixtures.create(PlanFixtures.jsonPlan("sweep", estate.account(), estate.datasources(), 1))
                .getString("planId");
        // As if their operations' outcomes were unknown (no operation: the executor's sweep leaves them be).
        PostgresAdmin.tamper("UPDATE plan_item SET state = 'UNKNOWN' WHERE plan_id = '" + planId + "'");
        try {
            List<Integer> seen = new java.util.ArrayList<>();
            UnsettledSweeps sweeps = new UnsettledSweeps(2);
            for (int pass = 0; pass < 10_000; pass++) {
                sweeps.next(items, false);
                sweeps.next(items, true).stream().filter(item -> item.planId().toString().equals(planId))
                        .forEach(item -> seen.add(item.itemId()));
                if (!sweeps.goesOn(true)) {
                    break;
                }
            }
            assertThat(seen).containsExactly(1, 2, 3, 4, 5);
        } finally {
            PostgresAdmin.tamper("UPDATE plan_item SET state = 'SKIPPED' WHERE plan_id = '" + planId + "'");
        }
    }
}
