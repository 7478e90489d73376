package com.domomigrationproxy.plans;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.plans.PlanFixtures.Estate;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.Tokens;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/**
 * A plan holds no more than its people may do: its creator's scopes decide what it may contain and
 * are the grant its operations run under; whoever starts it must be allowed every item too, and
 * whoever resumes it or retries an item must be allowed what that sends.
 */
@QuarkusTest
class PlanScopesTest {

    private static final String OUT_OF_SCOPE = "urn:problem-type:domo-migration-proxy:out-of-scope";

    @InjectDomo
    WireMockServer domo;

    @BeforeEach
    void warmUp() {
        PlanFixtures.warmUp(domo);
    }

    @Test
    void aPlanWithAnItemOutsideItsCreatorsScopesIsRefusedAndNothingIsStored() {
        Estate sales = Estate.of(1);
        Estate other = Estate.of(1);
        String body = "{\"name\":\"mixed\",\"items\":[" + item(sales.datasources().get(0), sales.account())
                + "," + item(other.datasources().get(0), other.account()) + "]}";

        String creator = "scoped-" + UUID.randomUUID();
        scoped(creator, "{\"accounts\":[\"" + sales.account() + "\"]}").contentType("application/json").body(body)
                .post("/api/v1/plans").then().statusCode(403)
                .body("type", equalTo(OUT_OF_SCOPE))
                .body("errors.field", contains("items[1].accountId"))
                .body("errors[0].message", containsString(other.account()));

        Api.asReader().get("/api/v1/plans?createdBy=" + creator).then().statusCode(200).body("items", hasSize(0));
        domo.verify(0, postRequestedFor(anyUrl()));
    }

    /** A CSV's refused item is named by its line too (a blank line counts), as the upload's other errors. */
    @Test
    void aCsvPlansItemOutsideItsCreatorsScopesIsNamedByItsLine() {
        Estate sales = Estate.of(1);
        Estate other = Estate.of(1);
        String csv = "datasourceId,accountId,catalog,schema,table\n"
                + sales.datasources().get(0) + "," + sales.account() + ",c,s,t\n\n"
                + other.datasources().get(0) + "," + other.account() + ",c,s,t\n";
        scoped("scoped-" + UUID.randomUUID(), "{\"accounts\":[\"" + sales.account() + "\"]}")
                .contentType("text/csv; charset=utf-8").body(csv).post("/api/v1/plans?name=mixed").then().statusCode(403)
                .body("type", equalTo(OUT_OF_SCOPE))
                .body("errors.field", contains("items[1].accountId"))
                .body("errors[0].line", equalTo(4));
        domo.verify(0, postRequestedFor(anyUrl()));
    }

    /** As the upload's other errors, the refused items listed are the first 1,000; the detail counts them all. */
    @Test
    void aPlanWithMoreThanAThousandItemsOutsideTheScopesListsTheFirstThousand() {
        Estate sales = Estate.of(1);
        StringBuilder csv = new StringBuilder("datasourceId,accountId,catalog,schema,table\n");
        for (int i = 0; i < 1_001; i++) {
            csv.append("ds-out-").append(i).append(",elsewhere,c,s,t\n");
        }
        scoped("scoped-" + UUID.randomUUID(), "{\"accounts\":[\"" + sales.account() + "\"]}")
                .contentType("text/csv; charset=utf-8").body(csv.toString()).post("/api/v1/plans?name=far").then()
                .statusCode(403)
                .body("type", equalTo(OUT_OF_SCOPE))
                .body("detail", equalTo("1001 item(s) are outside its creator's scopes; nothing was changed;"
                        + " the first 1000 listed"))
                .body("errors", hasSize(1_000))
                .body("errors[999].field", equalTo("items[999].accountId"));
        domo.verify(0, postRequestedFor(anyUrl()));
    }

    @Test
    void itsOperationsRunUnderTheCreatorsGrant() {
        Estate estate = migratable(2);
        String creatorScopes = "{\"accounts\":[\"" + estate.account() + "\"]}";
        JsonPath created = scoped("scoped-" + UUID.randomUUID(), creatorScopes).contentType("application/json")
                .body(PlanFixtures.jsonPlan("in scope", estate.account(), estate.datasources(), 2))
                .post("/api/v1/plans").then().statusCode(201).extract().jsonPath();
        String planId = created.getString("planId");
        PlanFixtures.approve(planId, created.getString("contentHash"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(200);
        PlanFixtures.awaitState(planId, "FINISHED", Duration.ofSeconds(30));

        Api.asAuditor().get("/api/v1/audit/operations?planId=" + planId).then().statusCode(200)
                .body("items", hasSize(2))
                .body("items.scopes.accounts", everyItem(contains(estate.account())));
        Api.asAuditor().get("/api/v1/audit/events?subject=" + planId + "&type=PLAN_CREATED").then().statusCode(200)
                .body("items[0].payload", containsString("\"scopes\":{\"accounts\":[\"" + estate.account() + "\"]}"));
        // The plan's event stream, which every reader gets, leaves the grant out.
        String stream = Api.asReader().accept("text/event-stream").get("/api/v1/plans/" + planId + "/events").then()
                .statusCode(200).extract().asString();
        assertThat(stream).contains("PLAN_CREATED").doesNotContain("scopes").doesNotContain(estate.account() + "\"]");
    }

    /** A preflight reads Domo for the plan's accounts: only a caller whose scopes cover the items may run it. */
    @Test
    void aPreflighterWhoseScopesLeaveOutAnItemIsRefusedAndDomoIsNotRead() {
        Estate estate = Estate.of(2);
        PlanFixtures.stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        String planId = PlanFixtures.create(PlanFixtures.jsonPlan("preflighter", estate.account(),
                estate.datasources(), 1)).getString("planId");
        domo.resetRequests();

        scoped("scoped-" + UUID.randomUUID(), "{\"accounts\":[]}")
                .post("/api/v1/plans/" + planId + "/preflight").then().statusCode(403)
                .body("type", equalTo(OUT_OF_SCOPE));
        domo.verify(0, getRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
        scoped("scoped-" + UUID.randomUUID(), "{\"accounts\":[\"" + estate.account() + "\"]}")
                .post("/api/v1/plans/" + planId + "/preflight").then().statusCode(200);
    }

    @Test
    void aStarterWhoseScopesLeaveOutAnItemCannotStartIt() {
        Estate estate = migratable(2);
        JsonPath created = PlanFixtures.create(PlanFixtures.jsonPlan("starter", estate.account(),
                estate.datasources(), 1));
        String planId = created.getString("planId");
        PlanFixtures.approve(planId, created.getString("contentHash"));

        scoped("scoped-" + UUID.randomUUID(), "{\"datasources\":[\"" + estate.datasources().get(0) + "\"]}")
                .post("/api/v1/plans/" + planId + "/start").then().statusCode(403)
                .body("type", equalTo(OUT_OF_SCOPE))
                .body("errors.field", contains("items[2].datasourceId"));

        Api.asReader().get("/api/v1/plans/" + planId).then().body("state", equalTo("APPROVED"));
        domo.verify(0, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
    }

    /** A rollback's refusal names the items of the plan the caller is looking at, by their itemId. */
    @Test
    void aRollbackOutsideTheCallersScopesNamesThePlansOwnItems() {
        Estate estate = migratable(3);
        String planId = PlanFixtures.createApproveStart(PlanFixtures.jsonPlan("rolled back", estate.account(),
                estate.datasources(), 3));
        PlanFixtures.awaitState(planId, "FINISHED", java.time.Duration.ofSeconds(30));

        scoped("scoped-" + UUID.randomUUID(), "{\"datasources\":[\"" + estate.datasources().get(0) + "\",\""
                + estate.datasources().get(1) + "\"]}").post("/api/v1/plans/" + planId + "/rollback").then()
                .statusCode(403).body("type", equalTo(OUT_OF_SCOPE))
                .body("errors.field", contains("items[3].datasourceId"));
    }

    @Test
    void aResumerOrRetrierWhoseScopesLeaveOutTheItemsToSendIsRefused() {
        Estate estate = Estate.of(3);
        String failing = estate.datasources().get(0);
        PlanFixtures.stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        PlanFixtures.stubMigrations(domo, estate.account(), 1_500);
        domo.stubFor(post(DOMO_PREFIX + "/" + failing + "/accounts/" + estate.account())
                .willReturn(aResponse().withStatus(500).withBody("boom")));
        String planId = PlanFixtures.createApproveStart(PlanFixtures.jsonPlan("resume", estate.account(),
                estate.datasources(), 1));
        // Item 1 fails at once, item 2 is in flight (1.5 s): pause while item 3 still waits.
        await().atMost(Duration.ofSeconds(10)).until(() -> PlanFixtures.plan(planId).getInt("counts.FAILED") == 1);
        Api.asOperator().post("/api/v1/plans/" + planId + "/pause").then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> PlanFixtures.plan(planId).getInt("counts.RUNNING") == 0);
        int sent = domo.findAll(postRequestedFor(urlMatching(DOMO_PREFIX + "/.*"))).size();

        // Allowed item 1 only: item 3 waits, outside the grant.
        String narrowOne = "scoped-" + UUID.randomUUID();
        Supplier<RequestSpecification> narrow = () -> scoped(narrowOne, "{\"datasources\":[\"" + failing + "\"]}");
        narrow.get().post("/api/v1/plans/" + planId + "/resume").then().statusCode(403)
                .body("type", equalTo(OUT_OF_SCOPE))
                .body("errors.field", contains("items[3].datasourceId"));
        Api.asReader().get("/api/v1/plans/" + planId).then().body("state", equalTo("PAUSED"));
        // Item 3 claimed by a replica that died before sending it: it goes to Domo once the claim
        // lapses, after the resume, so it counts as one to send (it was left out).
        String item3 = "UPDATE plan_item SET %s WHERE plan_id = '" + planId + "' AND item_id = 3";
        PostgresAdmin.tamper(item3.formatted("state = 'RUNNING', claim_token = gen_random_uuid(),"
                + " lease_owner = 'dead-replica', lease_until = now() + interval '1 hour'"));
        try {
            narrow.get().post("/api/v1/plans/" + planId + "/resume").then().statusCode(403)
                    .body("errors.field", contains("items[3].datasourceId"));
        } finally {
            PostgresAdmin.tamper(item3.formatted("state = 'WAITING', claim_token = NULL, lease_owner = NULL,"
                    + " lease_until = NULL"));
        }

        // Allowed items 2 and 3 only: item 1 is the one to send again.
        String otherOne = "scoped-" + UUID.randomUUID();
        Supplier<RequestSpecification> others = () -> scoped(otherOne, "{\"datasources\":[\""
                + estate.datasources().get(1) + "\",\"" + estate.datasources().get(2) + "\"]}");
        others.get().post("/api/v1/plans/" + planId + "/items/1/retry").then().statusCode(403)
                .body("type", equalTo(OUT_OF_SCOPE))
                .body("errors.field", contains("items[1].datasourceId"));
        Api.asReader().get("/api/v1/plans/" + planId + "/items?state=FAILED").then().body("items.itemId", contains(1));
        domo.verify(sent, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));

        // Within the grant, both work.
        others.get().post("/api/v1/plans/" + planId + "/resume").then().statusCode(200).body("state", equalTo("RUNNING"));
        PlanFixtures.stubMigrations(domo, estate.account(), 0);
        narrow.get().post("/api/v1/plans/" + planId + "/items/1/retry").then().statusCode(200);
        PlanFixtures.awaitState(planId, "FINISHED", Duration.ofSeconds(30));
        Api.asReader().get("/api/v1/plans/" + planId).then().body("counts.COMPLETE", equalTo(3));

        // Each operation names who sent it, whose scopes were checked for it: item 2 went before the
        // pause (the starter), item 3 after the resume, item 1 again on retry.
        JsonPath trail = Api.asAuditor().get("/api/v1/audit/operations?planId=" + planId).then().statusCode(200)
                .extract().jsonPath();
        Map<String, String> lastSentBy = new HashMap<>();
        for (int i = trail.getList("items").size() - 1; i >= 0; i--) {
            lastSentBy.put(trail.getString("items[" + i + "].datasourceId"), trail.getString("items[" + i + "].requestedBy")
                    + "/" + trail.getString("items[" + i + "].authMethod"));
        }
        assertThat(lastSentBy).containsEntry(failing, narrowOne + "/jwt")
                .containsEntry(estate.datasources().get(1), "operator-svc/api-key")
                .containsEntry(estate.datasources().get(2), otherOne + "/jwt");
    }

    /**
     * The grant a plan runs under can stop allowing an item after the plan was checked: a reversal's
     * data source moved to an account outside the creator's scopes. The item is skipped with the
     * reason, nothing is sent, and the plan finishes instead of waiting for ever.
     */
    @Test
    void aReversalItemWhoseDatasourceMovedOutOfTheGrantIsSkipped() {
        Estate sales = Estate.of(1);
        Estate other = Estate.of(1);
        String datasource = sales.datasources().get(0);
        PlanFixtures.stubMigrations(domo, sales.account(), 0);
        PlanFixtures.stubMigrations(domo, other.account(), 0);
        PlanFixtures.stubCandidates(domo, sales.account(), List.of(datasource), Set.of(datasource));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/[^/]+/reverse")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-R\"}")));
        migrate(datasource, sales.account());

        JsonPath created = scoped("scoped-" + UUID.randomUUID(), "{\"accounts\":[\"" + sales.account() + "\"]}")
                .contentType("application/json")
                .body("{\"name\":\"back\",\"direction\":\"V2_TO_V1\",\"items\":[{\"datasourceId\":\"" + datasource
                        + "\"}]}")
                .post("/api/v1/plans").then().statusCode(201).body("counts.READY", equalTo(1)).extract().jsonPath();
        String planId = created.getString("planId");
        PlanFixtures.approve(planId, created.getString("contentHash"));
        // Meanwhile someone else moves the data source to an account outside the creator's scopes.
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200);
        migrate(datasource, other.account());
        domo.resetRequests();

        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(200);
        JsonPath finished = PlanFixtures.awaitState(planId, "FINISHED", Duration.ofSeconds(20));
        org.assertj.core.api.Assertions.assertThat(finished.getInt("counts.SKIPPED")).isEqualTo(1);
        Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200)
                .body("items[0].state", equalTo("SKIPPED"))
                .body("items[0].note", containsString("into an account within your accounts scope"));
        domo.verify(0, postRequestedFor(anyUrl()));
    }

    private static void migrate(String datasource, String account) {
        Api.asOperator().contentType("application/json").body(item(datasource, account).replace(
                "\"datasourceId\":\"" + datasource + "\",", "")).post("/api/v1/datasources/" + datasource + "/migrations")
                .then().statusCode(200);
    }

    private static String item(String datasource, String account) {
        return "{\"datasourceId\":\"" + datasource + "\",\"accountId\":\"" + account
                + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";
    }

    /** An estate of this many candidates, none migrated, whose migrations complete at once. */
    private Estate migratable(int datasources) {
        Estate estate = Estate.of(datasources);
        PlanFixtures.stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        PlanFixtures.stubMigrations(domo, estate.account(), 0);
        return estate;
    }

    /** An operator whose JWT carries these scopes. */
    private static RequestSpecification scoped(String principal, String scopes) {
        try {
            return given().auth().oauth2(Tokens.claims(principal, "reader", "operator")
                    .claim("domo_scopes", new ObjectMapper().readValue(scopes, Map.class))
                    .sign(Tokens.privateKey()));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
