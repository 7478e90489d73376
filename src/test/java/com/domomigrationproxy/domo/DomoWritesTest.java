package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToIgnoreCase;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * How migrations and reversals travel to Domo, whatever an operator sets for every REST client of
 * the process: each on a connection of its own, over HTTP/1.1, without asking for a compressed answer,
 * and never waiting for a free connection.
 */
@QuarkusTest
@TestProfile(DomoWritesTest.EveryClientLoosened.class)
class DomoWritesTest {

    /** Global settings that would weaken the writes if they reached Domo's client. */
    public static class EveryClientLoosened implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.rest-client.http2", "true",
                    "quarkus.rest-client.alpn", "true",
                    "quarkus.rest-client.connection-pool-size", "2",
                    "quarkus.rest-client.verify-host", "false",
                    "quarkus.tls.trust-all", "true",
                    "quarkus.http.enable-compression", "true");
        }
    }

    private static final int AT_ONCE = 60;

    @InjectDomo
    WireMockServer domo;

    @BeforeEach
    void reset() {
        domo.resetAll();
    }

    @Test
    void eachGoesAloneOverHttp11WithoutCompression() {
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"toe\":\"T-W\",\"state\":\"COMPLETE\"}")));

        migrate(Api.uniqueDatasourceId(), 200);
        Api.asOperator().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals").then().statusCode(200);

        domo.verify(2, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*"))
                .withHeader("Connection", equalToIgnoreCase("close"))
                .withHeader("Upgrade", absent())
                .withHeader("HTTP2-Settings", absent())
                .withHeader("Accept-Encoding", absent()));
    }

    /**
     * More writes at once than the REST client's default pool (50) of connections, each answered
     * after 1.2 s with a 3 s deadline: one that waited for a connection would be sent late and run
     * into the deadline (UNKNOWN).
     */
    @Test
    void manyAtOnceNeverWaitForAConnection() throws Exception {
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(200)
                .withFixedDelay(1_200)
                .withHeader("Content-Type", "application/json").withBody("{\"toe\":\"T-MANY\",\"state\":\"COMPLETE\"}")));
        ExecutorService callers = Executors.newFixedThreadPool(AT_ONCE);
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < AT_ONCE; i++) {
                String datasource = Api.uniqueDatasourceId();
                answers.add(callers.submit(() -> migrateStatus(datasource)));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> answer : answers) {
                statuses.add(answer.get());
            }
            assertThat(statuses).containsOnly(200);
        } finally {
            callers.shutdownNow();
        }
    }

    private static void migrate(String datasource, int status) {
        assertThat(migrateStatus(datasource)).isEqualTo(status);
    }

    private static int migrateStatus(String datasource) {
        return Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"NULL\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().extract().statusCode();
    }
}
