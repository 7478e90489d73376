package com.domomigrationproxy.plans;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/** What plan tests share: WireMock estates, uploads, approvals and waiting for a plan's state. */
final class PlanFixtures {

    private PlanFixtures() {
    }

    /**
     * Resets WireMock and makes one Domo call: the first call of a fresh JVM can take longer than
     * the tests' 2 s read deadline, and a preflight that times out finds every item BLOCKED.
     */
    static void warmUp(WireMockServer domo) {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[\"mysql-federated\"]")));
        Api.asReader().get("/api/v1/integration-types");
        domo.resetAll();
    }

    /**
     * Pauses a plan in its table, behind the service's back (after the shutdown began, its API
     * answers 503): a RUNNING plan left with items to send would have the next test application's
     * executor send them to its own Domo.
     */
    static void pauseBehindTheService(String planId) {
        PostgresAdmin.tamper("UPDATE plan SET state = 'PAUSED' WHERE plan_id = '" + planId + "'");
    }

    /** An account id and datasource ids no other test uses. */
    record Estate(String account, List<String> datasources) {

        static Estate of(int size) {
            String tag = UUID.randomUUID().toString().substring(0, 8);
            List<String> ids = new ArrayList<>();
            for (int i = 1; i <= size; i++) {
                ids.add("ds-" + tag + "-" + i);
            }
            return new Estate("acc-" + tag, ids);
        }
    }

    /** Domo lists these datasources under the account, the {@code migrated} ones as migrated. */
    static void stubCandidates(WireMockServer domo, String account, List<String> datasources, Set<String> migrated) {
        String body = datasources.stream()
                .map(id -> "{\"id\":\"" + id + "\",\"name\":\"" + id + "\",\"migrated\":" + migrated.contains(id)
                        + ",\"migrationDate\":" + (migrated.contains(id) ? "\"2099-01-01T00:00:00Z\"" : "null") + "}")
                .collect(Collectors.joining(",", "[", "]"));
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(body)));
    }

    /**
     * A warmed-up Domo with an estate of {@code size} data sources on V1 in an account of their own,
     * whose migrations complete after {@code delayMillis}.
     */
    static Estate estateOnV1(WireMockServer domo, int size, int delayMillis) {
        warmUp(domo);
        Estate estate = Estate.of(size);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        stubMigrations(domo, estate.account(), delayMillis);
        return estate;
    }

    /** Every migration to the account completes after {@code delayMillis}. */
    static void stubMigrations(WireMockServer domo, String account, int delayMillis) {
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/[^/]+/accounts/" + account)).willReturn(aResponse()
                .withFixedDelay(delayMillis).withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-PLAN\"}")));
    }

    /** The JSON upload of migrations of these datasources to the account. */
    static String jsonPlan(String name, String account, List<String> datasources, int maxConcurrency) {
        return "{\"name\":\"" + name + "\",\"direction\":\"V1_TO_V2\",\"maxConcurrency\":" + maxConcurrency
                + ",\"items\":" + datasources.stream().map(id -> "{\"datasourceId\":\"" + id + "\",\"accountId\":\""
                        + account + "\",\"catalog\":\"cat\",\"schema\":\"NULL\",\"table\":\"t_" + id + "\"}")
                        .collect(Collectors.joining(",", "[", "]")) + "}";
    }

    static JsonPath create(String body) {
        return Api.asOperator().contentType("application/json").body(body).post("/api/v1/plans").then()
                .statusCode(201).extract().jsonPath();
    }

    static RequestSpecification asApprover(String principal) {
        return given().header("Authorization", "Bearer " + Tokens.jwt(principal, "approver"));
    }

    static void approve(String planId, String contentHash) {
        asApprover("approver-" + UUID.randomUUID()).contentType("application/json")
                .body("{\"decision\":\"APPROVE\",\"contentHash\":\"" + contentHash + "\",\"comment\":\"ok\"}")
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(200);
    }

    /** Creates, approves and starts a plan; returns its id. */
    static String createApproveStart(String body) {
        JsonPath plan = create(body);
        String planId = plan.getString("planId");
        approve(planId, plan.getString("contentHash"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(200);
        return planId;
    }

    static JsonPath plan(String planId) {
        return Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(200).extract().jsonPath();
    }

    static JsonPath awaitState(String planId, String state, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(200))
                .until(() -> state.equals(plan(planId).getString("state")));
        return plan(planId);
    }

    /** The kinds of the plan's events in the hash chain, in order. */
    static List<String> chainKinds(String planId) {
        return Api.asAuditor().get("/api/v1/audit/events?subject=" + planId + "&limit=500").then().statusCode(200)
                .extract().jsonPath().getList("items.type");
    }
}
