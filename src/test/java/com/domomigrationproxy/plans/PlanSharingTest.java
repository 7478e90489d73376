package com.domomigrationproxy.plans;

import static com.domomigrationproxy.plans.PlanFixtures.awaitState;
import static com.domomigrationproxy.plans.PlanFixtures.approve;
import static com.domomigrationproxy.plans.PlanFixtures.create;
import static com.domomigrationproxy.plans.PlanFixtures.jsonPlan;
import static com.domomigrationproxy.plans.PlanFixtures.plan;
import static com.domomigrationproxy.plans.PlanFixtures.stubCandidates;
import static com.domomigrationproxy.plans.PlanFixtures.stubMigrations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

/**
 * With more running plans than a replica has slots, the slots go round: every plan moves, none waits
 * for another to drain, and a slot given back goes to the next plan at once, not at the next poll.
 */
@QuarkusTest
@Tag("timing")
@TestProfile(PlanSharingTest.TwoSlots.class)
class PlanSharingTest {

    public static class TwoSlots implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // Polls far apart: a slot that waited for the next one would show.
            return Map.of("proxy.plan.replica-concurrency", "2", "proxy.plan.poll-interval", "5s");
        }
    }

    @InjectDomo
    WireMockServer domo;

    @Test
    void threePlansOnTwoSlotsAllMoveBeforeAnyFinishes() {
        PlanFixtures.warmUp(domo);
        List<String> plans = new ArrayList<>();
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            PlanFixtures.Estate estate = PlanFixtures.Estate.of(6);
            accounts.add(estate.account());
            stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
            stubMigrations(domo, estate.account(), 1000);
            JsonPath plan = create(jsonPlan("sharing-" + i, estate.account(), estate.datasources(), 4));
            approve(plan.getString("planId"), plan.getString("contentHash"));
            plans.add(plan.getString("planId"));
        }
        // Started back to back: a plan created while the first already ran could find it two items on.
        for (String id : plans) {
            Api.asOperator().post("/api/v1/plans/" + id + "/start").then().statusCode(200);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> plans.stream().allMatch(id -> plan(id).getInt(
                "counts.COMPLETE") >= 1));
        for (String id : plans) {
            assertThat(plan(id).getInt("counts.WAITING")).as("plan %s still has items waiting", id).isPositive();
        }
        for (String account : accounts) { // shown: the rest need not take a second each
            stubMigrations(domo, account, 0);
        }
        // The slots keep going round as items end: waiting for a poll, each slot would run one item per 5 s,
        // and the items still waiting took about half a minute (this failed so before the hand-over).
        await().atMost(Duration.ofSeconds(12)).until(() -> plans.stream().allMatch(id -> plan(id).getInt(
                "counts.COMPLETE") == 6));
        for (String id : plans) {
            assertThat(awaitState(id, "FINISHED", Duration.ofSeconds(60)).getInt("counts.COMPLETE")).isEqualTo(6);
        }
    }
}
