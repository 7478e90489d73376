package com.domomigrationproxy.plans;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.PackagedApp;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.restassured.path.json.JsonPath;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Two instances of the packaged application on one database share a plan; one is killed (no
 * shutdown, as a crash) while two of its items wait at Domo. The survivor carries on: the killed
 * instance's operations are reconciled, its claims expire and are taken over, and every item
 * reaches Domo exactly once. Runs in the integration-test phase, after packaging.
 */
class PlansTwoInstancesIT {

    private static final String OPERATOR = "plans-it-operator-key";
    private static final String APPROVER = "plans-it-approver-key";
    private static final String AUDITOR = "plans-it-auditor-key";
    private static final int ITEMS = 40;
    private static final int PER_INSTANCE = 2;
    private static final int DOMO_MILLIS = 1_000;
    private static EmbeddedPostgres postgres;
    private static WireMockServer domo;
    private static final List<PackagedApp> instances = new ArrayList<>();
    private static final List<Integer> ports = new ArrayList<>();

    @BeforeAll
    static void startTwoInstances() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        domo = new WireMockServer(WireMockConfiguration.options().dynamicPort().containerThreads(40));
        domo.start();
        Path keys = Files.createTempFile("plan-api-keys", ".json");
        keys.toFile().deleteOnExit();
        Files.writeString(keys, "[{\"name\":\"it-operator\",\"sha256\":\"" + ApiKeys.sha256(OPERATOR)
                + "\",\"roles\":[\"reader\",\"operator\"]},{\"name\":\"it-approver\",\"sha256\":\""
                + ApiKeys.sha256(APPROVER) + "\",\"roles\":[\"approver\"]},{\"name\":\"it-auditor\",\"sha256\":\""
                + ApiKeys.sha256(AUDITOR) + "\",\"roles\":[\"auditor\"]}]");
        Map<String, String> settings = new HashMap<>();
        settings.put("DOMO_BASE_URL", domo.baseUrl());
        settings.put("DOMO_DEVELOPER_TOKEN", "plans-two-instances-token");
        settings.put("DOMO_MIGRATION_TIMEOUT", "5s");
        settings.put("PROXY_API_KEYS_FILE", keys.toString());
        settings.put("PROXY_PLAN_REPLICA_CONCURRENCY", Integer.toString(PER_INSTANCE));
        settings.put("PROXY_PLAN_LEASE", "3s");
        settings.put("PROXY_RECONCILIATION_INTERVAL", "1s");
        settings.put("PROXY_RECONCILIATION_PENDING_GRACE", "1s");
        settings.put("PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE", "100000");
        for (int i = 0; i < 2; i++) {
            instances.add(PackagedApp.start("plans-two-instances-" + i, postgres, settings));
        }
        for (PackagedApp instance : instances) {
            ports.add(instance.awaitReady().port());
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (PackagedApp instance : instances) {
            instance.close();
        }
        if (domo != null) {
            domo.stop();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aPlanSurvivesTheDeathOfAnInstanceAndEveryItemReachesDomoOnce() throws Exception {
        String account = "it-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> datasources = IntStream.rangeClosed(1, ITEMS).mapToObj(n -> account + "-" + n).toList();
        stubCandidates(account, datasources, false);
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/" + account)).willReturn(aResponse()
                .withFixedDelay(DOMO_MILLIS).withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-IT\"}")));
        String body = "{\"name\":\"two instances\",\"maxConcurrency\":4,\"items\":" + datasources.stream()
                .map(id -> "{\"datasourceId\":\"" + id + "\",\"accountId\":\"" + account
                        + "\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .collect(Collectors.joining(",", "[", "]")) + "}";
        JsonPath plan = given().port(ports.get(0)).header("X-API-Key", OPERATOR).contentType("application/json")
                .body(body).post("/api/v1/plans").then().statusCode(201).extract().jsonPath();
        String planId = plan.getString("planId");
        assertThat(plan.getInt("counts.READY")).isEqualTo(ITEMS);
        given().port(ports.get(1)).header("X-API-Key", APPROVER).contentType("application/json")
                .body("{\"decision\":\"APPROVE\",\"contentHash\":\"" + plan.getString("contentHash") + "\"}")
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(200);
        given().port(ports.get(1)).header("X-API-Key", OPERATOR).post("/api/v1/plans/" + planId + "/start").then()
                .statusCode(200);
        // From now on Domo shows a migrated datasource: what reconciliation will read for the killed instance's items.
        stubCandidates(account, datasources, true);

        // Both instances take items; wait for a moment when one of them has both its slots waiting at Domo,
        // each request arrived less than 600 ms ago: none of its items can end, or start, before the kill.
        int[] victim = new int[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(40)).until(() -> {
            Set<String> senders = senders(planId);
            if (senders.size() < 2) {
                return false;
            }
            for (int i = 0; i < 2; i++) {
                List<String> inFlight = sentAndRunning(planId, ":" + instances.get(i).process().pid());
                if (inFlight.size() == PER_INSTANCE && inFlight.stream().allMatch(id -> arrivedWithin(id, account,
                        Duration.ofMillis(600)))) {
                    victim[0] = i;
                    return true;
                }
            }
            return false;
        });
        instances.get(victim[0]).kill();
        int survivor = ports.get(1 - victim[0]);

        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> "FINISHED".equals(
                given().port(survivor).header("X-API-Key", OPERATOR).get("/api/v1/plans/" + planId).then().extract()
                        .path("state")));
        JsonPath finished = given().port(survivor).header("X-API-Key", OPERATOR).get("/api/v1/plans/" + planId).then()
                .statusCode(200).extract().jsonPath();
        assertThat(finished.getInt("counts.COMPLETE")).isEqualTo(ITEMS);
        for (String datasource : datasources) {
            assertThat(domo.findAll(postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/" + account))))
                    .as(datasource).hasSize(1);
        }
        // The killed instance's items were in flight when it died: their operations were reconciled, not sent again.
        assertThat(query("SELECT count(*) FROM operation WHERE plan_id = ?::uuid AND reconciled_state = 'COMPLETE'",
                planId)).isEqualTo(PER_INSTANCE);
        assertThat(query("SELECT count(*) FROM operation WHERE plan_id = ?::uuid", planId)).isEqualTo(ITEMS);
        given().port(survivor).header("X-API-Key", AUDITOR).get("/api/v1/audit/integrity").then().statusCode(200)
                .body("valid", org.hamcrest.Matchers.equalTo(true));
        given().port(survivor).header("X-API-Key", AUDITOR).get("/api/v1/audit/events?subject=" + planId).then()
                .statusCode(200).body("items.type", org.hamcrest.Matchers.contains("PLAN_CREATED", "PLAN_APPROVED",
                        "PLAN_STARTED", "PLAN_FINISHED"));
    }

    private static void stubCandidates(String account, List<String> datasources, boolean migrated) {
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(datasources.stream()
                        .map(id -> "{\"id\":\"" + id + "\",\"migrated\":" + migrated + ",\"migrationDate\":"
                                + (migrated ? "\"2099-01-01T00:00:00Z\"" : "null") + "}")
                        .collect(Collectors.joining(",", "[", "]")))));
    }

    private static boolean arrivedWithin(String datasource, String account, Duration recently) {
        List<LoggedRequest> requests = domo.findAll(postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource
                + "/accounts/" + account)));
        return requests.size() == 1 && requests.get(0).getLoggedDate().toInstant()
                .isAfter(Instant.now().minus(recently));
    }

    private static Set<String> senders(String planId) throws SQLException {
        Set<String> senders = new HashSet<>();
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT DISTINCT sent_by FROM plan_item WHERE plan_id = ?::uuid AND sent_by IS NOT NULL")) {
            statement.setString(1, planId);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    senders.add(rows.getString(1));
                }
            }
        }
        return senders;
    }

    /** Datasources of items an instance sent whose outcome is not in yet. */
    private static List<String> sentAndRunning(String planId, String senderSuffix) throws SQLException {
        List<String> datasources = new ArrayList<>();
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                PreparedStatement statement = connection.prepareStatement("SELECT datasource_id FROM plan_item"
                        + " WHERE plan_id = ?::uuid AND state = 'RUNNING' AND sent_at IS NOT NULL AND sent_by LIKE ?")) {
            statement.setString(1, planId);
            statement.setString(2, "%" + senderSuffix);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    datasources.add(rows.getString(1));
                }
            }
        }
        return datasources;
    }

    private static long query(String sql, String parameter) throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
