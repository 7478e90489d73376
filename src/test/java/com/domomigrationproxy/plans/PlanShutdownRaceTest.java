package com.domomigrationproxy.plans;

import static com.domomigrationproxy.plans.PlanFixtures.createApproveStart;
import static com.domomigrationproxy.plans.PlanFixtures.jsonPlan;
import static com.domomigrationproxy.plans.PlanFixtures.stubCandidates;
import static com.domomigrationproxy.plans.PlanFixtures.stubMigrations;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.event.Event;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.PostgresAdmin;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A shutdown that begins while the executor's pass is already under way (here held on a row lock
 * in its sweep) sends nothing that pass claims: the pass checked for the shutdown only when it
 * started, and went on to claim an item and send it to Domo. Its own profile: the executor stays
 * stopped after the test.
 */
@QuarkusTest
@Tag("timing")
@TestProfile(PlanShutdownRaceTest.Stopping.class)
class PlanShutdownRaceTest {

    public static class Stopping implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("proxy.plan.replica-concurrency", "2");
        }
    }

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @Inject
    @Any
    Event<ShutdownDelayInitiatedEvent> shutdownStarts;

    @Test
    void anItemClaimedByAPassUnderWayWhenTheShutdownBeganIsNotSent() throws Exception {
        PlanFixtures.warmUp(domo);
        // An item whose claim ran out before it was sent: the sweep gives it back, and waits for the test's lock on it.
        PlanFixtures.Estate held = PlanFixtures.Estate.of(1);
        stubCandidates(domo, held.account(), held.datasources(), Set.of());
        String heldPlan = PlanFixtures.create(jsonPlan("held", held.account(), held.datasources(), 1)).getString("planId");
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(2);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        stubMigrations(domo, estate.account(), 0);
        PostgresAdmin.tamper("UPDATE plan_item SET state = 'RUNNING', lease_owner = 'gone', claim_token ="
                + " gen_random_uuid(), lease_until = now() + interval '2 seconds' WHERE plan_id = '" + heldPlan + "'");
        try (Connection lock = PostgresAdmin.ownConnections().getConnection()) {
            lock.setAutoCommit(false);
            try (Statement sql = lock.createStatement()) {
                sql.execute("SELECT 1 FROM plan_item WHERE plan_id = '" + heldPlan + "' FOR UPDATE");
            }
            // Once the claim has run out, the sweep of the next pass waits for the row.
            await().atMost(Duration.ofSeconds(10)).until(PlanShutdownRaceTest::sweepWaitsForTheLock);

            String planId = createApproveStart(jsonPlan("race", estate.account(), estate.datasources(), 1));
            try {
                shutdownStarts.fire(new ShutdownDelayInitiatedEvent());
                lock.rollback();
                // The pass goes on: it finds the plan running and claims its first item, but sends nothing.
                await().atMost(Duration.ofSeconds(10)).until(() -> !OperationRows.query(dataSource,
                        "SELECT 1 FROM plan_item WHERE plan_id = ?::uuid AND note LIKE '%shutting down%'", planId)
                        .isEmpty());
                Thread.sleep(1_000);
                assertThat(domo.findAll(postRequestedFor(urlMatching(DOMO_PREFIX + "/[^/]+/accounts/"
                        + estate.account())))).isEmpty();
                assertThat(OperationRows.query(dataSource, "SELECT state FROM plan_item WHERE plan_id = ?::uuid", planId))
                        .extracting(row -> row.get("state")).containsOnly("WAITING");
            } finally {
                PlanFixtures.pauseBehindTheService(planId);
            }
        }
    }

    /** The executor's sweep is blocked on the row the test holds. */
    private static boolean sweepWaitsForTheLock() throws SQLException {
        try (Connection connection = PostgresAdmin.ownConnections().getConnection();
                PreparedStatement waiting = connection.prepareStatement("SELECT count(*) FROM pg_stat_activity"
                        + " WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE plan_item SET state = ''WAITING''%'")) {
            try (ResultSet count = waiting.executeQuery()) {
                return count.next() && count.getInt(1) > 0;
            }
        }
    }
}
