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

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.event.Event;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.enterprise.inject.spi.ObserverMethod;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * When a shutdown starts, a replica sends no more items and takes no new request, while the HTTP
 * requests in flight are still being waited for; the item already sent records its outcome. Its own profile: the
 * executor stays stopped after the test.
 */
@QuarkusTest
@Tag("timing")
@TestProfile(PlanShutdownTest.OwnExecutor.class)
class PlanShutdownTest {

    public static class OwnExecutor implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("proxy.plan.replica-concurrency", "1");
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
    void noItemIsSentOnceTheShutdownStarts() throws Exception {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(4);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        stubMigrations(domo, estate.account(), 1500);
        String planId = createApproveStart(jsonPlan("shutdown", estate.account(), estate.datasources(), 1));
        try {
            shutDownWhileAnItemIsInFlight(planId, estate);
        } finally {
            PlanFixtures.pauseBehindTheService(planId);
        }
    }

    private void shutDownWhileAnItemIsInFlight(String planId, PlanFixtures.Estate estate) throws Exception {
        var migrations = postRequestedFor(urlMatching(DOMO_PREFIX + "/[^/]+/accounts/" + estate.account()));
        await().atMost(Duration.ofSeconds(20)).until(() -> domo.findAll(migrations).size() == 1);

        shutdownStarts.fire(new ShutdownDelayInitiatedEvent());

        // New requests are refused from now on (503 busy, to another replica), so the plan is read from the table.
        Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(503).header("Retry-After", "1")
                .body("detail", org.hamcrest.Matchers.containsString("shutting down"));
        // The item in flight completes; without the stop, the next would go within a poll (1 s).
        await().atMost(Duration.ofSeconds(10)).until(() -> items(planId, "COMPLETE") == 1);
        Thread.sleep(2_000); // two polls
        assertThat(domo.findAll(migrations)).hasSize(1);
        assertThat(items(planId, "WAITING")).isEqualTo(3);
    }

    private long items(String planId, String state) {
        return ((Number) OperationRows.query(dataSource, "SELECT count(*) AS n FROM plan_item WHERE plan_id = ?::uuid"
                + " AND state = ?", planId, state).get(0).get("n")).longValue();
    }

    @Inject
    BeanManager beans;

    /**
     * The executor's drain comes before the outcome store's last try at its backlog, so that an item
     * ending during the drain while the database is down still gets its "AUDIT OUTCOME NOT RECORDED"
     * line. Observers of one event run by priority, lowest first.
     */
    @Test
    void theDrainComesBeforeTheOutcomeStoresLastTry() {
        Map<Class<?>, Integer> priorities = new java.util.HashMap<>();
        for (ObserverMethod<? super ShutdownEvent> observer : beans.resolveObserverMethods(new ShutdownEvent())) {
            priorities.put(observer.getBeanClass(), observer.getPriority());
        }
        assertThat(priorities).containsKeys(PlanExecutor.class, OperationStore.class);
        assertThat(priorities.get(PlanExecutor.class)).isLessThan(priorities.get(OperationStore.class));
    }
}
