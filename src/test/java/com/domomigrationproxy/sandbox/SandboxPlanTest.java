package com.domomigrationproxy.sandbox;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

/**
 * A 500-item plan against the sandbox's estate, as docs/plans.md walks through it in dev mode,
 * runs to the end with the right counts. Shares SandboxFlowTest's profile: no restart of its own.
 */
@QuarkusTest
@TestProfile(SandboxFlowTest.Sandbox.class)
class SandboxPlanTest {

    @InjectDomo
    WireMockServer domo;

    @Test
    void aFiveHundredItemPlanRunsToTheEnd() {
        domo.resetAll();
        // Ten of them are migrated already, one is not in the estate, one names the wrong table.
        for (int n = 1; n <= 10; n++) {
            String id = String.format("sbx-2-%04d", n);
            Api.asOperator().contentType("application/json").body("{\"accountId\":\"2\",\"catalog\":\"estate\","
                    + "\"schema\":\"account_2\",\"table\":\"table_" + id.substring(6) + "\"}")
                    .post("/api/v1/datasources/" + id + "/migrations").then().statusCode(200)
                    .body("state", equalTo("COMPLETE"));
        }
        List<String> lines = new ArrayList<>(List.of("datasourceId,accountId,catalog,schema,table"));
        for (String account : List.of("2", "7")) {
            for (int n = 1; n <= 250; n++) {
                String number = String.format("%04d", n);
                lines.add("sbx-" + account + "-" + number + "," + account + ",estate,account_" + account + ",table_" + number);
            }
        }
        lines.set(250, "sbx-2-9999,2,estate,account_2,table_9999");
        lines.set(500, "sbx-7-0250,7,estate,account_7,table_0001");

        JsonPath plan = Api.asOperator().contentType("text/csv; charset=utf-8").body(String.join("\n", lines))
                .queryParam("name", "sandbox estate").queryParam("maxConcurrency", "8")
                .post("/api/v1/plans").then().statusCode(201).extract().jsonPath();
        assertThat(plan.getInt("counts.total")).isEqualTo(500);
        assertThat(plan.getInt("counts.READY")).isEqualTo(489);
        assertThat(plan.getInt("counts.ALREADY_DONE")).isEqualTo(10);
        assertThat(plan.getInt("counts.BLOCKED")).isEqualTo(1);

        String planId = plan.getString("planId");
        given().header("Authorization", "Bearer " + Tokens.jwt("sandbox-approver", "approver"))
                .contentType("application/json").body("{\"decision\":\"APPROVE\",\"contentHash\":\""
                        + plan.getString("contentHash") + "\"}")
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(200).body("state", equalTo("APPROVED"));
        Api.asOperator().post("/api/v1/plans/" + planId + "/start").then().statusCode(200);

        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(() -> "FINISHED".equals(
                Api.asReader().get("/api/v1/plans/" + planId).then().extract().path("state")));
        JsonPath finished = Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(200).extract().jsonPath();
        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(488);
        assertThat(finished.getInt("counts.ABORTED")).isEqualTo(1);
        assertThat(finished.getInt("counts.SKIPPED")).isEqualTo(11);
        assertThat(finished.getInt("counts.FAILED") + finished.getInt("counts.UNKNOWN") + finished.getInt("counts.WAITING")
                + finished.getInt("counts.RUNNING")).isZero();
        Api.asReader().get("/api/v1/accounts/7/candidates").then().statusCode(200)
                .body("findAll { it.id.startsWith('sbx-7-') && it.migrated }.size()", equalTo(249));
        Api.asAuditor().get("/api/v1/audit/operations?limit=500&planId=" + planId).then().statusCode(200)
                .body("items.size()", equalTo(489));
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
        domo.verify(0, anyRequestedFor(anyUrl()));
    }
}
