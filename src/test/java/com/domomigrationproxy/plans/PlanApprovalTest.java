package com.domomigrationproxy.plans;

import static com.domomigrationproxy.plans.PlanFixtures.asApprover;
import static com.domomigrationproxy.plans.PlanFixtures.chainKinds;
import static com.domomigrationproxy.plans.PlanFixtures.jsonPlan;
import static com.domomigrationproxy.plans.PlanFixtures.plan;
import static com.domomigrationproxy.plans.PlanFixtures.stubCandidates;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.util.Set;
import java.util.UUID;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/** Four eyes: who may decide, on what exactly, for how long, and what a rejection or an expiry leaves. */
@QuarkusTest
class PlanApprovalTest {

    private static final String PROBLEM = "urn:problem-type:domo-migration-proxy:";

    @InjectDomo
    WireMockServer domo;

    @Inject
    PlanService plans;

    @Inject
    DataSource dataSource;

    /** A new plan created under a JWT of this principal, an operator. */
    private JsonPath newPlanBy(String principal) {
        return newPlan(given().header("Authorization", "Bearer " + Tokens.jwt(principal, "operator")));
    }

    private JsonPath newPlan(RequestSpecification creator) {
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(2);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        return creator.contentType("application/json").body(jsonPlan("approval", estate.account(),
                estate.datasources(), 1)).post("/api/v1/plans").then().statusCode(201).extract().jsonPath();
    }

    private static String decision(String decision, String contentHash) {
        return "{\"decision\":\"" + decision + "\",\"contentHash\":\"" + contentHash + "\",\"comment\":\"looked at it\"}";
    }

    /**
     * A rejected plan uploaded again, under another name, with another maxConcurrency and its items in
     * another order, is a new plan with a new content hash: its next approver is shown who rejected
     * the same items, when and why (the API and the console), where nothing told them (review).
     */
    @Test
    void aRejectedPlanUploadedAgainShowsItsApproversTheEarlierRejection() {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(3);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        JsonPath first = PlanFixtures.create(jsonPlan("wave 3", estate.account(), estate.datasources(), 1));
        String rejecter = "rejecter-" + UUID.randomUUID();
        asApprover(rejecter).contentType("application/json")
                .body("{\"decision\":\"REJECT\",\"contentHash\":\"" + first.getString("contentHash")
                        + "\",\"comment\":\"HR tables must wait for the audit\"}")
                .post("/api/v1/plans/" + first.getString("planId") + "/approvals").then().statusCode(200);
        java.util.List<String> reordered = new java.util.ArrayList<>(estate.datasources());
        java.util.Collections.reverse(reordered);
        JsonPath again = PlanFixtures.create(jsonPlan("wave 3, take 2", estate.account(), reordered, 2));
        assertThat(again.getString("contentHash")).isNotEqualTo(first.getString("contentHash"));
        assertThat(again.getList("earlierRejections.planId")).containsExactly(first.getString("planId"));
        assertThat(again.getString("earlierRejections[0].by")).isEqualTo(rejecter);
        assertThat(again.getString("earlierRejections[0].comment")).isEqualTo("HR tables must wait for the audit");
        assertThat(again.getString("earlierRejections[0].name")).isEqualTo("wave 3");
        assertThat(plan(first.getString("planId")).getMap("$")).doesNotContainKey("earlierRejections");
        // A rejection after a plan was decided on was no part of that decision: not listed on it.
        asApprover("second-" + rejecter).contentType("application/json")
                .body("{\"decision\":\"REJECT\",\"contentHash\":\"" + again.getString("contentHash") + "\"}")
                .post("/api/v1/plans/" + again.getString("planId") + "/approvals").then().statusCode(200);
        assertThat(plan(first.getString("planId")).getMap("$")).doesNotContainKey("earlierRejections");
        assertThat(plan(again.getString("planId")).getList("earlierRejections.planId"))
                .containsExactly(first.getString("planId"));

        com.domomigrationproxy.support.ConsoleSessions.Session approver = com.domomigrationproxy.support.ConsoleSessions
                .signIn(com.domomigrationproxy.support.ConsoleSessions.APPROVER);
        approver.request().get("/console/plans/" + again.getString("planId")).then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("id=\"earlier-rejections\""))
                .body(org.hamcrest.Matchers.containsString("HR tables must wait for the audit"))
                .body(org.hamcrest.Matchers.containsString(rejecter));

        // Other items are another question.
        PlanFixtures.Estate other = PlanFixtures.Estate.of(3);
        stubCandidates(domo, other.account(), other.datasources(), Set.of());
        JsonPath unrelated = PlanFixtures.create(jsonPlan("wave 3", other.account(), other.datasources(), 1));
        assertThat(unrelated.getMap("$")).doesNotContainKey("earlierRejections");

        // A page of plans, whose decisions, counts and earlier rejections are read for the whole page
        // at once, says of each plan what the plan's own read says.
        java.util.List<java.util.Map<String, Object>> page = Api.asReader().queryParam("limit", 3)
                .get("/api/v1/plans").then().statusCode(200).extract().jsonPath().getList("items");
        java.util.List<String> newest = java.util.List.of(unrelated.getString("planId"), again.getString("planId"),
                first.getString("planId"));
        assertThat(page).extracting(listed -> listed.get("planId")).containsExactlyElementsOf(newest);
        for (int i = 0; i < newest.size(); i++) {
            assertThat(page.get(i)).isEqualTo(plan(newest.get(i)).getMap("$"));
        }
    }

    @Test
    void theCreatorCannotApproveItsOwnPlanEvenWithTheApproverRole() {
        PlanFixtures.warmUp(domo);
        String both = Tokens.jwt("alice-" + UUID.randomUUID(), "operator", "approver");
        JsonPath plan = newPlan(given().header("Authorization", "Bearer " + both));
        given().header("Authorization", "Bearer " + both).contentType("application/json")
                .body(decision("APPROVE", plan.getString("contentHash")))
                .post("/api/v1/plans/" + plan.getString("planId") + "/approvals").then().statusCode(403)
                .body("type", equalTo(PROBLEM + "self-approval"));
        assertThat(plan(plan.getString("planId")).getString("state")).isEqualTo("AWAITING_APPROVAL");
        assertThat(plan(plan.getString("planId")).getList("approvals")).isEmpty();
    }

    /**
     * What was approved is what runs at resume and retry too, each of which sends again: a plan
     * whose items were changed behind the service's back is neither resumed nor reopened.
     */
    @Test
    void aChangedPlanIsNeitherResumedNorRetried() {
        PlanFixtures.warmUp(domo);
        String planId = approvedPlan().getString("planId");
        startedAndChanged(planId, "PAUSED", "");
        domo.resetRequests();
        Api.asOperator().post("/api/v1/plans/" + planId + "/resume").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-content-mismatch"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/1/retry").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-content-mismatch"));
        assertThat(plan(planId).getString("state")).isEqualTo("PAUSED");
        assertThat(chainKinds(planId)).endsWith("PLAN_CONTENT_MISMATCH", "PLAN_CONTENT_MISMATCH");

        // A running plan a retry finds changed is paused, since its executor does not hash what it sends.
        String runningId = approvedPlan().getString("planId");
        startedAndChanged(runningId, "RUNNING", ", not_before = now() + interval '1 hour'"); // sends nothing yet
        Api.asOperator().post("/api/v1/plans/" + runningId + "/items/1/retry").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-content-mismatch"));
        assertThat(plan(runningId).getString("state")).isEqualTo("PAUSED");
        assertThat(chainKinds(runningId)).endsWith("PLAN_CONTENT_MISMATCH", "PLAN_PAUSED");
        domo.verify(0, com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                com.github.tomakehurst.wiremock.client.WireMock.anyUrl()));
    }

    /** A new plan of the operator's, approved. */
    private JsonPath approvedPlan() {
        JsonPath plan = newPlan(Api.asOperator());
        PlanFixtures.approve(plan.getString("planId"), plan.getString("contentHash"));
        return plan;
    }

    /** The plan in {@code state} as if started, its first item FAILED and then changed with the triggers off. */
    private static void startedAndChanged(String planId, String state, String moreSettings) {
        com.domomigrationproxy.support.PostgresAdmin.tamper("UPDATE plan SET state = '" + state + "', started_at = now(),"
                + " started_by = 'operator-svc', started_auth_method = 'api-key'" + moreSettings + " WHERE plan_id = '"
                + planId + "'", "UPDATE plan_item SET state = 'FAILED', account_id = 'elsewhere' WHERE plan_id = '"
                        + planId + "' AND item_id = 1");
    }

    /**
     * Approvals count by person, not by row: approvals stored without the decision's checks (before
     * they folded letter case, or written to the table directly) by the creator in another letter
     * case, or twice by one person, leave the plan short of its approvals; it expires, nothing runs.
     */
    @Test
    void theStartCountsDistinctApproversOtherThanTheCreator() {
        PlanFixtures.warmUp(domo);
        String creator = "bob-" + UUID.randomUUID();
        JsonPath plan = newPlanBy(creator);
        String planId = plan.getString("planId");
        String hash = plan.getString("contentHash");
        String row = "INSERT INTO plan_approval (approval_id, plan_id, decided_by, auth_method, request_id, decision,"
                + " content_hash, decided_at, expires_at) VALUES (gen_random_uuid(), '" + planId + "', '%s', 'jwt', 'r',"
                + " 'APPROVE', '" + hash + "', now(), now() + interval '1 hour')";
        com.domomigrationproxy.support.PostgresAdmin.asSuperuser(
                String.format(row, creator.toUpperCase(java.util.Locale.ROOT)), String.format(row, "carol"),
                String.format(row, "CAROL"), "UPDATE plan SET state = 'APPROVED' WHERE plan_id = '" + planId + "'");
        // As if PROXY_PLAN_APPROVALS_REQUIRED had been 2 (stored, it never changes).
        OperationRows.executeBypassingTriggers(dataSource, "UPDATE plan SET approvals_required = 2 WHERE plan_id = ?::uuid",
                planId);
        // Refused as approvals that no longer count are (the minute's check may have come first: then
        // the plan is EXPIRED already, and the start a plan-state 409).
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(409);
        assertThat(plan(planId).getString("state")).isEqualTo("EXPIRED");
        Api.asAuditor().get("/api/v1/audit/operations?planId=" + planId).then().statusCode(200)
                .body("items.size()", equalTo(0));
    }

    /**
     * One person in another letter case or Unicode form (a provider may hand out "Alice" and
     * "alice") is still the creator, and still the approver who decided already.
     */
    @Test
    void fourEyesComparesPrincipalsInAnyLetterCase() {
        PlanFixtures.warmUp(domo);
        String name = "carol-" + UUID.randomUUID();
        JsonPath plan = newPlanBy(name);
        String planId = plan.getString("planId");
        String body = decision("APPROVE", plan.getString("contentHash"));
        asApprover(name.toUpperCase(java.util.Locale.ROOT)).contentType("application/json").body(body)
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(403)
                .body("type", equalTo(PROBLEM + "self-approval"));
        // As if PROXY_PLAN_APPROVALS_REQUIRED had been 2: the same approver twice must not make two.
        OperationRows.executeBypassingTriggers(dataSource, "UPDATE plan SET approvals_required = 2 WHERE plan_id = ?::uuid",
                planId);
        String approver = "dave-" + UUID.randomUUID();
        asApprover(approver).contentType("application/json").body(body).post("/api/v1/plans/" + planId + "/approvals")
                .then().statusCode(200);
        asApprover("DAVE-" + approver.substring(5)).contentType("application/json").body(body)
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "duplicate-decision"));
        assertThat(plan(planId).getString("state")).isEqualTo("AWAITING_APPROVAL");
        Api.asOperator().post("/api/v1/plans/" + planId + "/cancel").then().statusCode(200);
    }

    @Test
    void onlyTheApproverRoleMayDecide() {
        PlanFixtures.warmUp(domo);
        JsonPath plan = newPlan(Api.asOperator());
        String path = "/api/v1/plans/" + plan.getString("planId") + "/approvals";
        String body = decision("APPROVE", plan.getString("contentHash"));
        Api.asOperator().contentType("application/json").body(body).post(path).then().statusCode(403)
                .body("type", equalTo(PROBLEM + "forbidden"));
        Api.asReader().contentType("application/json").body(body).post(path).then().statusCode(403);
        Api.asAuditor().contentType("application/json").body(body).post(path).then().statusCode(403);
        given().contentType("application/json").body(body).post(path).then().statusCode(401);
        // An approver reads plans, and does nothing an operator does.
        asApprover("reading-approver").get("/api/v1/plans/" + plan.getString("planId")).then().statusCode(200);
        asApprover("reading-approver").post("/api/v1/plans/" + plan.getString("planId") + "/start").then()
                .statusCode(403);
        asApprover("reading-approver").contentType("application/json").body(jsonPlan("x", "a", java.util.List.of("d"), 1))
                .post("/api/v1/plans").then().statusCode(403);
        assertThat(plan(plan.getString("planId")).getString("state")).isEqualTo("AWAITING_APPROVAL");
    }

    @Test
    void anApprovalNamesTheExactContentItSaw() {
        PlanFixtures.warmUp(domo);
        JsonPath plan = newPlan(Api.asOperator());
        String planId = plan.getString("planId");
        String other = "0".repeat(64);
        asApprover("approver-stale").contentType("application/json").body(decision("APPROVE", other))
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-content-mismatch"));
        asApprover("approver-stale").contentType("application/json").body("{\"decision\":\"MAYBE\",\"contentHash\":"
                + "7,\"extra\":1}").post("/api/v1/plans/" + planId + "/approvals").then().statusCode(400)
                .body("errors.field", org.hamcrest.Matchers.containsInAnyOrder("decision", "contentHash", "extra"));
        // A contentHash that is not the plan's, whatever its form, differs from it: 409, as the contract has it.
        asApprover("approver-stale").contentType("application/json").body(decision("APPROVE", "ABC"))
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-content-mismatch"))
                .body("detail", org.hamcrest.Matchers.startsWith("The contentHash sent is not plan"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-not-approved"));
        // Nothing to retry before the start; an item the plan does not have is missing whatever the state.
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/1/retry").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-state"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/items/9999/retry").then().statusCode(404)
                .body("type", equalTo(PROBLEM + "not-found"));

        // The same hash in capitals is the same hash.
        asApprover("approver-good").contentType("application/json")
                .body(decision("APPROVE", plan.getString("contentHash").toUpperCase(java.util.Locale.ROOT)))
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(200)
                .body("state", equalTo("APPROVED"))
                .body("approvals[0].by", equalTo("approver-good"))
                .body("approvals[0].contentHash", equalTo(plan.getString("contentHash")))
                .body("approvals[0].expired", equalTo(false));
        // No longer awaiting approval: a second decision is a conflict.
        asApprover("approver-late").contentType("application/json").body(decision("REJECT", plan.getString("contentHash")))
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-state"));
        assertThat(chainKinds(planId)).containsExactly("PLAN_CREATED", "PLAN_APPROVED");
    }

    @Test
    void aCommentIsMeasuredInCharactersAsTheContractSaysNotInUtf16Units() {
        PlanFixtures.warmUp(domo);
        JsonPath plan = newPlan(Api.asOperator());
        String path = "/api/v1/plans/" + plan.getString("planId") + "/approvals";
        // 1,000 characters outside the Basic Multilingual Plane are 2,000 UTF-16 units.
        String emoji = "\uD83D\uDE00";
        String tooLong = "{\"decision\":\"APPROVE\",\"contentHash\":\"" + plan.getString("contentHash")
                + "\",\"comment\":\"" + emoji.repeat(1001) + "\"}";
        asApprover("approver-emoji").contentType("application/json").body(tooLong).post(path).then().statusCode(400)
                .body("errors.field", hasItem("comment"));
        asApprover("approver-emoji").contentType("application/json; charset=UTF-8")
                .body(tooLong.replace(emoji.repeat(1001), emoji.repeat(1000))).post(path).then().statusCode(200)
                .body("approvals[0].comment", equalTo(emoji.repeat(1000)));
    }

    /** Line breaks as Windows and old Macs write them are line breaks, kept as LF, as the console keeps a textarea's. */
    @Test
    void aCommentsLineBreaksAreKeptAsLineFeedsHoweverTheyWereSent() {
        PlanFixtures.warmUp(domo);
        JsonPath plan = newPlan(Api.asOperator());
        asApprover("approver-crlf").contentType("application/json").body("{\"decision\":\"APPROVE\",\"contentHash\":\""
                + plan.getString("contentHash") + "\",\"comment\":\"checked\\r\\nby two\\rpeople\\n\"}")
                .post("/api/v1/plans/" + plan.getString("planId") + "/approvals").then().statusCode(200)
                .body("approvals[0].comment", equalTo("checked\nby two\npeople\n"));
    }

    @Test
    void aPlanNeedsAsManyApprovalsAsItsCreationRequiredEachByAnotherApprover() {
        PlanFixtures.warmUp(domo);
        JsonPath plan = newPlan(Api.asOperator());
        String planId = plan.getString("planId");
        // As if PROXY_PLAN_APPROVALS_REQUIRED had been 2 when the plan was created (stored, it never changes).
        assertThat(OperationRows.executeBypassingTriggers(dataSource,
                "UPDATE plan SET approvals_required = 2 WHERE plan_id = ?::uuid",
                planId)).isEqualTo(1);
        String body = decision("APPROVE", plan.getString("contentHash"));
        asApprover("first-approver").contentType("application/json").body(body)
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(200)
                .body("state", equalTo("AWAITING_APPROVAL")).body("approvalsRequired", equalTo(2));
        asApprover("first-approver").contentType("application/json").body(body)
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "duplicate-decision"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-not-approved"));
        asApprover("second-approver").contentType("application/json").body(body)
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(200)
                .body("state", equalTo("APPROVED")).body("approvals.by", org.hamcrest.Matchers.contains(
                        "first-approver", "second-approver"));
        assertThat(chainKinds(planId)).containsExactly("PLAN_CREATED", "PLAN_APPROVED", "PLAN_APPROVED");
        Api.asOperator().post("/api/v1/plans/" + planId + "/cancel").then().statusCode(200);
    }

    /**
     * What was approved is what runs: a stored plan's settings and items cannot be changed or added
     * to (triggers), and a plan changed past them anyway (as the schema owner could) does not start.
     */
    @Test
    void anApprovedPlanCannotBeChangedAndAPlanChangedAnywayDoesNotStart() {
        PlanFixtures.warmUp(domo);
        JsonPath plan = approvedPlan();
        String planId = plan.getString("planId");
        for (String change : new String[] {
                "UPDATE plan_item SET account_id = 'elsewhere' WHERE plan_id = ?::uuid AND item_id = 1",
                "UPDATE plan SET max_concurrency = 64 WHERE plan_id = ?::uuid",
                "UPDATE plan SET approvals_required = 1, content_hash = repeat('0', 64) WHERE plan_id = ?::uuid",
                "INSERT INTO plan_item (plan_id, item_id, datasource_id, account_id, catalog_name, schema_name, table_name,"
                        + " verdict, state, updated_at) VALUES (?::uuid, 3, 'ds-extra', 'a', 'c', 's', 't', 'READY',"
                        + " 'WAITING', now())",
                "DELETE FROM plan_item WHERE plan_id = ?::uuid AND item_id = 2" }) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> OperationRows.execute(dataSource, change, planId))
                    .as(change).hasMessageContaining("a plan's content never changes once stored");
        }
        // Its progress is what changes.
        assertThat(OperationRows.execute(dataSource, "UPDATE plan_item SET note = 'n' WHERE plan_id = ?::uuid", planId))
                .isEqualTo(2);

        assertThat(OperationRows.executeBypassingTriggers(dataSource,
                "UPDATE plan_item SET account_id = 'elsewhere' WHERE plan_id = ?::uuid AND item_id = 1", planId))
                .isEqualTo(1);
        domo.resetRequests();
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-content-mismatch"))
                .body("detail", org.hamcrest.Matchers.containsString("changed outside the service"));
        assertThat(plan(planId).getString("state")).isEqualTo("APPROVED");
        domo.verify(0, com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                com.github.tomakehurst.wiremock.client.WireMock.anyUrl()));
        // The refusal is on the record (the start it refused is not), and the chain still verifies.
        assertThat(chainKinds(planId)).containsExactly("PLAN_CREATED", "PLAN_APPROVED", "PLAN_CONTENT_MISMATCH");
        Api.asAuditor().get("/api/v1/audit/events?subject=" + planId + "&type=PLAN_CONTENT_MISMATCH").then()
                .statusCode(200)
                .body("items[0].payload", org.hamcrest.Matchers.containsString(
                        "\"contentHash\":\"" + plan.getString("contentHash") + "\""))
                .body("items[0].payload", org.hamcrest.Matchers.containsString("\"storedContentHash\":\""))
                .body("items[0].payload", org.hamcrest.Matchers.containsString("\"by\":\"operator-svc\""));
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("chainValid", equalTo(true));
    }

    @Test
    void aRejectionIsFinal() {
        PlanFixtures.warmUp(domo);
        JsonPath plan = newPlan(Api.asOperator());
        String planId = plan.getString("planId");
        asApprover("approver-no").contentType("application/json").body(decision("REJECT", plan.getString("contentHash")))
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(200)
                .body("state", equalTo("REJECTED")).body("approvals[0].decision", equalTo("REJECT"))
                .body("finishedAt", org.hamcrest.Matchers.notNullValue());
        asApprover("approver-yes").contentType("application/json").body(decision("APPROVE", plan.getString("contentHash")))
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(409);
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-state"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/cancel").then().statusCode(409);
        assertThat(chainKinds(planId)).containsExactly("PLAN_CREATED", "PLAN_REJECTED");
        // Its items will never be sent: skipped, not left waiting for a turn that never comes.
        assertThat(plan(planId).getMap("counts")).containsEntry("WAITING", 0)
                .containsEntry("SKIPPED", plan.getInt("itemCount"));
        Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200)
                .body("items.note", org.hamcrest.Matchers.everyItem(equalTo("skipped: the plan was rejected")));
        Api.asAuditor().get("/api/v1/audit/events?subject=" + planId + "&type=PLAN_REJECTED").then().statusCode(200)
                .body("items[0].payload", org.hamcrest.Matchers.containsString("\"by\":\"approver-no\""))
                .body("items[0].payload", org.hamcrest.Matchers.containsString("\"comment\":\"looked at it\""));
    }

    @Test
    void approvalsExpireIfThePlanHasNotStarted() {
        PlanFixtures.warmUp(domo);
        JsonPath plan = newPlan(Api.asOperator());
        String planId = plan.getString("planId");
        PlanFixtures.approve(planId, plan.getString("contentHash"));
        assertThat(plan(planId).getString("state")).isEqualTo("APPROVED");
        age(planId);

        assertThat(plan(planId).getBoolean("approvals[0].expired")).isTrue();
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(409)
                .body("type", equalTo(PROBLEM + "plan-not-approved"))
                .body("detail", org.hamcrest.Matchers.containsString("expired"));
        assertThat(plan(planId).getString("state")).isEqualTo("EXPIRED");
        assertThat(chainKinds(planId)).containsExactly("PLAN_CREATED", "PLAN_APPROVED", "PLAN_EXPIRED");
        assertThat(plan(planId).getMap("counts")).containsEntry("WAITING", 0);
        Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200)
                .body("items.note", org.hamcrest.Matchers.everyItem(equalTo("skipped: the plan's approvals expired")));

        // The scheduled check does the same for a plan nobody tries to start.
        JsonPath idle = newPlan(Api.asOperator());
        PlanFixtures.approve(idle.getString("planId"), idle.getString("contentHash"));
        age(idle.getString("planId"));
        plans.expireApprovals();
        assertThat(plan(idle.getString("planId")).getString("state")).isEqualTo("EXPIRED");
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
        Api.asReader().get("/api/v1/plans?state=EXPIRED&limit=100").then().statusCode(200)
                .body("items.planId", hasItem(idle.getString("planId")));
    }

    @Test
    void aStartedPlanKeepsRunningWhenItsApprovalWouldHaveExpired() {
        PlanFixtures.warmUp(domo);
        JsonPath plan = newPlan(Api.asOperator());
        String planId = plan.getString("planId");
        PlanFixtures.approve(planId, plan.getString("contentHash"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/pause").then().statusCode(409);
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(200);
        Api.asOperator().post("/api/v1/plans/" + planId + "/pause").then().statusCode(200);
        age(planId);
        plans.expireApprovals();
        assertThat(plan(planId).getString("state")).isEqualTo("PAUSED");
        assertThat(plan(planId).getBoolean("approvals[0].expired")).isFalse();
        Api.asOperator().post("/api/v1/plans/" + planId + "/cancel").then().statusCode(200);
    }

    /** As if the approval had been given 73 hours ago (PROXY_PLAN_APPROVAL_TTL is 72 h). */
    private void age(String planId) {
        assertThat(OperationRows.execute(dataSource, "UPDATE plan_approval SET decided_at = now() - interval '73 hours',"
                + " expires_at = now() - interval '1 hour' WHERE plan_id = ?::uuid", planId)).isEqualTo(1);
    }
}
