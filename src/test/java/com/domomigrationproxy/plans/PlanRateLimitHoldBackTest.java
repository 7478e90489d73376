package com.domomigrationproxy.plans;

import static com.domomigrationproxy.plans.PlanFixtures.awaitState;
import static com.domomigrationproxy.plans.PlanFixtures.createApproveStart;
import static com.domomigrationproxy.plans.PlanFixtures.jsonPlan;
import static com.domomigrationproxy.plans.PlanFixtures.plan;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.endsWith;

import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PrometheusScrape;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

/**
 * Domo limits the service's token, not a plan: its 429 to a migration holds every plan's items back
 * on the replica, for the Retry-After or PROXY_PLAN_RATE_LIMIT_HOLD_BACK_MAX. With the tests' own cap
 * of 5 s here (2 s in the other classes, whose 429s would otherwise hold their plans back).
 */
@QuarkusTest
@Tag("timing")
@TestProfile(PlanRateLimitHoldBackTest.TenSecondHoldBack.class)
class PlanRateLimitHoldBackTest {

    public static class TenSecondHoldBack implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // A breaker that opens after two failures and tries Domo again 2 s later.
            return Map.of("proxy.plan.rate-limit-hold-back-max", "5s", "domo.circuit-breaker.failure-threshold", "2",
                    "domo.circuit-breaker.open-duration", "2s");
        }
    }

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    /**
     * Domo's rate limit is on the service's token, not on a plan: a 429 to one plan holds back every
     * plan's items on this replica for its Retry-After, not the plan that got it alone.
     */
    @Test
    void aDomo429ToOnePlanHoldsBackTheOtherPlansToo() {
        PlanFixtures.Estate estate = PlanFixtures.estateOnV1(domo, 2, 0);
        List<String> first = estate.datasources().subList(0, 1);
        List<String> second = estate.datasources().subList(1, 2);
        String limited = DOMO_PREFIX + "/" + first.get(0) + "/accounts/" + estate.account();
        domo.stubFor(post(urlEqualTo(limited)).inScenario("limited").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("over").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "4")
                        .withHeader("Content-Type", "application/json").withBody("{\"status\":429}")));
        domo.stubFor(post(urlEqualTo(limited)).inScenario("limited").whenScenarioStateIs("over")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-held\"}")));

        String firstPlan = createApproveStart(jsonPlan("429-first", estate.account(), first, 1));
        await().atMost(Duration.ofSeconds(30)).until(() -> operations(firstPlan).stream()
                .anyMatch(operation -> Integer.valueOf(429).equals(operation.get("upstreamStatus"))));
        Instant answered = Instant.parse((String) operations(firstPlan).stream()
                .filter(operation -> Integer.valueOf(429).equals(operation.get("upstreamStatus"))).findFirst()
                .orElseThrow().get("completedAt"));
        String secondPlan = createApproveStart(jsonPlan("429-second", estate.account(), second, 1));
        awaitState(secondPlan, "FINISHED", Duration.ofSeconds(60));
        Instant sent = Instant.parse((String) operations(secondPlan).get(0).get("requestedAt"));
        assertThat(Duration.between(answered, sent)).as("the other plan's item waited out the Retry-After")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(3));
        awaitState(firstPlan, "FINISHED", Duration.ofSeconds(60));
    }

    /**
     * Domo's 429 to a single migration (no plan's) holds the plans back too: its limit is on the
     * service's token, whoever's call got the 429. (Only a plan's own 429 did, and the plans then sent
     * into the limit, each refusal one more FAILED operation.)
     */
    @Test
    void aDomo429ToASingleMigrationHoldsBackThePlans() {
        PlanFixtures.Estate estate = PlanFixtures.estateOnV1(domo, 2, 0);
        String single = estate.datasources().get(0);
        domo.stubFor(post(urlEqualTo(DOMO_PREFIX + "/" + single + "/accounts/" + estate.account()))
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "4")
                        .withHeader("Content-Type", "application/json").withBody("{\"status\":429}")));
        Instant answered = Instant.now();
        Api.asOperator().contentType("application/json").body("{\"accountId\":\"" + estate.account()
                + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + single + "/migrations").then().statusCode(503)
                .header("Retry-After", "4").body("type", endsWith("domo-rate-limited"));
        // Operators see the hold: the seconds it still has.
        assertThat(PrometheusScrape.of(metrics).value("proxy_plan_held_back_seconds", Map.of())).isBetween(2.0, 5.0);

        String planId = createApproveStart(jsonPlan("429-single", estate.account(),
                estate.datasources().subList(1, 2), 1));
        awaitState(planId, "FINISHED", Duration.ofSeconds(60));
        Instant sent = Instant.parse((String) operations(planId).get(0).get("requestedAt"));
        assertThat(Duration.between(answered, sent)).as("the plan's item waited out the single migration's Retry-After")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(3));
    }

    /**
     * A 429 to the replica's probe of a half-open breaker (its GET of the types, the breaker's trial)
     * holds the items back no longer than the cap either: the probe took Domo's whole Retry-After, a
     * day here, for every plan on the replica.
     */
    @Test
    void aDomo429ToTheProbeOfAnOpenBreakerHoldsThePlansBackNoLongerThanTheCap() {
        PlanFixtures.Estate estate = PlanFixtures.estateOnV1(domo, 1, 0);
        JsonPath created = PlanFixtures.create(jsonPlan("429-probe", estate.account(), estate.datasources(), 1));
        String planId = created.getString("planId");
        PlanFixtures.approve(planId, created.getString("contentHash"));
        // Domo fails two reads: the breaker opens.
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(500)));
        for (int i = 0; i < 2; i++) {
            Api.asReader().get("/api/v1/integration-types");
        }
        // The replica's probe, once the breaker lets a trial through, gets a 429 asking for a day.
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "86400")
                .withHeader("Content-Type", "application/json").withBody("{\"status\":429}")));
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> domo.getAllServeEvents().stream()
                .anyMatch(event -> event.getRequest().getUrl().endsWith("/types") && event.getResponse().getStatus() == 429));
        awaitState(planId, "FINISHED", Duration.ofSeconds(45));
    }

    /**
     * A read's 429 holds no plan back: reads have no per-caller limit here, and a caller polling
     * through Domo's limit would hold the plans for as long as it polled.
     */
    @Test
    void aDomo429ToAReadHoldsNoPlanBack() {
        await().atMost(Duration.ofSeconds(15))
                .until(() -> PrometheusScrape.of(metrics).value("proxy_plan_held_back_seconds", Map.of()) == 0.0);
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "8")
                .withHeader("Content-Type", "application/json").withBody("{\"status\":429}")));
        Api.asReader().get("/api/v1/integration-types").then().statusCode(503).header("Retry-After", "8");
        assertThat(PrometheusScrape.of(metrics).value("proxy_plan_held_back_seconds", Map.of())).isZero();
    }

    /**
     * A migration's answer that broke after a redirect's status line is a connection failure, not
     * Domo turning the service away (an allow-list's redirect): the plan's other items go on at once
     * (review of the cut-off status: they were held back, rechecking from 5 s).
     */
    @Test
    void anAnswerCutOffAfterARedirectHoldsNoPlanBack() {
        await().atMost(Duration.ofSeconds(15))
                .until(() -> PrometheusScrape.of(metrics).value("proxy_plan_held_back_seconds", Map.of()) == 0.0);
        PlanFixtures.Estate estate = PlanFixtures.estateOnV1(domo, 3, 0);
        domo.stubFor(post(DOMO_PREFIX + "/" + estate.datasources().get(0) + "/accounts/" + estate.account())
                .willReturn(aResponse().withStatus(302).withHeader("Content-Length", "1000").withBody("{")));
        String planId = createApproveStart(jsonPlan("cut-off-redirect", estate.account(), estate.datasources(), 2));
        await().atMost(Duration.ofSeconds(20)).until(() -> plan(planId).getInt("counts.UNKNOWN") == 1);
        await().atMost(Duration.ofSeconds(4)).until(() -> plan(planId).getInt("counts.COMPLETE") == 2);
        assertThat(PrometheusScrape.of(metrics).value("proxy_plan_held_back_seconds", Map.of())).isZero();
    }

    private static List<Map<String, Object>> operations(String planId) {
        return Api.asAuditor().get("/api/v1/audit/operations?limit=100&planId=" + planId).then().statusCode(200)
                .extract().jsonPath().getList("items");
    }
}
