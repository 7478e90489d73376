package com.domomigrationproxy.migration;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.HeldAnswers;
import com.domomigrationproxy.support.OwnThreads;
import com.domomigrationproxy.support.PackagedApp;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.restassured.response.Response;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Two instances of the packaged application (started together, so their Flyway runs race) share
 * one PostgreSQL: 50 parallel operations on one datasource, spread over both, reach Domo once;
 * then one instance is stopped in the middle of a migration and must finish it first.
 * Runs in the integration-test phase of ./mvnw verify, after packaging.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoInstancesIT {

    private static final int CALLS = 50;
    private static final String SECRET = "two-instances-operator-key";
    private static EmbeddedPostgres postgres;
    private static WireMockServer domo;
    private static final List<PackagedApp> instances = new ArrayList<>();
    private static final List<Integer> ports = new ArrayList<>();

    @BeforeAll
    static void startTwoInstances() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        domo = new WireMockServer(WireMockConfiguration.options().dynamicPort().extensions(new HeldAnswers()));
        domo.start();
        Path keys = Files.createTempFile("api-keys", ".json");
        keys.toFile().deleteOnExit();
        // With one of the dev keys the README publishes, as a copied example file would have it.
        Files.writeString(keys, "[{\"name\":\"operator-svc\",\"sha256\":\"" + ApiKeys.sha256(SECRET)
                + "\",\"roles\":[\"reader\",\"operator\"]},{\"name\":\"dev-operator\",\"sha256\":\""
                + ApiKeys.sha256("dev-operator-key") + "\",\"roles\":[\"reader\",\"operator\"]}]");
        Map<String, String> settings = new HashMap<>();
        settings.put("DOMO_BASE_URL", domo.baseUrl());
        settings.put("DOMO_DEVELOPER_TOKEN", "two-instances-token");
        settings.put("PROXY_API_KEYS_FILE", keys.toString());
        // Each instance takes 51 operations from the one caller within a minute (warm-up, race, shutdown),
        // close to the default limit of 60: this test is about the race, not the limit (RateLimitTest).
        settings.put("PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE", "1000");
        for (int i = 0; i < 2; i++) {
            instances.add(PackagedApp.start("two-instances-" + i, postgres, settings));
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

    /**
     * Before its first migration, a fresh replica already exports every operation counter and both
     * audit-write phases at 0, as operations.md promises: an alert on their increase sees the first
     * failure after a restart (the counters appeared only with the first migration, already at 1).
     */
    @Test
    @Order(0)
    void aFreshReplicaExportsItsCountersAtZero() {
        String metrics = given().port(instances.get(0).managementPort()).get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("proxy_operations_total{direction=\"V1_TO_V2\",state=\"COMPLETE\"} 0.0",
                "proxy_operations_total{direction=\"V2_TO_V1\",state=\"UNKNOWN\"} 0.0",
                "audit_write_failures_total{phase=\"intent\"} 0.0", "audit_write_failures_total{phase=\"outcome\"} 0.0");
    }

    /**
     * A packaged service that calls the real Domo ignores an entry holding one of the dev keys the README
     * publishes (anyone could migrate as it), and says so.
     */
    @Test
    @Order(0)
    void aPublishedDevKeyIsIgnoredByAPackagedServiceThatCallsDomo() throws IOException {
        given().port(ports.get(0)).header("X-API-Key", "dev-operator-key").get("/api/v1/integration-types").then()
                .statusCode(401);
        given().port(ports.get(0)).header("X-API-Key", SECRET).get("/api/v1/integration-types").then()
                .statusCode(org.hamcrest.Matchers.not(401));
        assertThat(Files.readString(instances.get(0).log())).contains("holds one of the dev keys the README publishes");
    }

    @Test
    @Order(1)
    void fiftyParallelOperationsOverTwoInstancesReachDomoOnce() throws Exception {
        warmUp();
        domo.stubFor(post(urlMatching(".*")).willReturn(aResponse().withTransformers(HeldAnswers.NAME).withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"T\"}")));
        // Domo answers the one call that reaches it only once the other 49 were refused (at most 30 s,
        // under the instances' 120 s migration timeout), so that none of them can come after it.
        HeldAnswers.hold(Duration.ofSeconds(30));
        String datasource = "ds-" + UUID.randomUUID();
        ExecutorService pool = Executors.newFixedThreadPool(CALLS);
        CompletionService<Response> answers = new ExecutorCompletionService<>(pool);
        CountDownLatch start = new CountDownLatch(1);
        try {
            for (int i = 0; i < CALLS; i++) {
                int port = ports.get(i % 2);
                answers.submit(() -> {
                    start.await();
                    return given().port(port).header("X-API-Key", SECRET)
                            .post("/api/v1/datasources/" + datasource + "/reversals");
                });
            }
            start.countDown();
            int ok = 0;
            int conflicts = 0;
            List<String> others = new ArrayList<>();
            for (int i = 0; i < CALLS; i++) {
                var answer = answers.take().get();
                int status = answer.statusCode();
                if (status == 200) {
                    ok++;
                } else if (status == 409 && ++conflicts == CALLS - 1) {
                    HeldAnswers.release();
                } else if (status != 409) {
                    others.add(status + " " + answer.asString());
                }
            }
            assertThat(others).as("answers other than 200 and 409").isEmpty();
            assertThat(ok).isEqualTo(1);
            assertThat(conflicts).isEqualTo(CALLS - 1);
            domo.verify(1, postRequestedFor(urlMatching(".*")));
        } finally {
            HeldAnswers.release();
            pool.shutdownNow();
        }
    }

    /**
     * Fifty parallel reversals of other datasources, answered at once, before the race: the race then
     * meets instances whose connection pools are filled and whose request path has run, as a running
     * service's would, rather than a cold start on a CI machine (where, once, six of the race's calls
     * answered neither 200 nor 409; what they answered is now part of the race's failure message).
     */
    private static void warmUp() throws Exception {
        domo.stubFor(post(urlMatching(".*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"W\"}")));
        ExecutorService pool = Executors.newFixedThreadPool(CALLS);
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < CALLS; i++) {
                int port = ports.get(i % 2);
                String datasource = "warm-up-" + i;
                answers.add(pool.submit(() -> given().port(port).header("X-API-Key", SECRET)
                        .post("/api/v1/datasources/" + datasource + "/reversals").statusCode()));
            }
            for (var answer : answers) {
                answer.get();
            }
        } finally {
            pool.shutdownNow();
            domo.resetAll();
        }
    }

    /** SIGTERM during a migration: the process waits for it, records the outcome, answers, then exits. */
    @Test
    @Order(2)
    void gracefulShutdownLetsAnInFlightMigrationFinish() throws Exception {
        domo.resetAll();
        domo.stubFor(post(urlMatching(".*")).willReturn(aResponse().withFixedDelay(3000).withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-SHUT\"}")));
        String datasource = "ds-" + UUID.randomUUID();
        int port = ports.get(0);
        var answer = OwnThreads.supply(() -> given().port(port)
                .header("X-API-Key", SECRET).post("/api/v1/datasources/" + datasource + "/reversals"));
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> !domo.findAll(postRequestedFor(urlMatching(".*"))).isEmpty());
        // A graceful shutdown (SIGTERM) waits for the request in flight, and refuses new ones: they would be
        // cut off if the wait ran out, so their clients are sent to another replica at once.
        instances.get(0).process().destroy();
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> given().port(port)
                .header("X-API-Key", SECRET).get("/api/v1/integration-types").then().statusCode(503)
                .header("Retry-After", "1").header("Connection", "close")
                .body("type", org.hamcrest.Matchers.endsWith(":busy"))
                .body("detail", org.hamcrest.Matchers.containsString("shutting down")));
        instances.get(0).close();

        assertThat(answer.get().statusCode()).isEqualTo(200);
        try (var connection = postgres.getPostgresDatabase().getConnection();
                var statement = connection.prepareStatement("SELECT state, toe FROM operation WHERE datasource_id = ?")) {
            statement.setString(1, datasource);
            try (var rows = statement.executeQuery()) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString("state")).isEqualTo("COMPLETE");
                assertThat(rows.getString("toe")).isEqualTo("T-SHUT");
            }
        }
    }

    @Test
    void thePackagedApplicationCarriesNoEmbeddedPostgres() throws IOException {
        try (var libraries = Files.walk(Path.of("target", "quarkus-app"))) {
            assertThat(libraries.map(Path::toString)).isNotEmpty().noneMatch(name -> name.contains("zonky"));
        }
    }
}
