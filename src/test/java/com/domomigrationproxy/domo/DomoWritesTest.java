package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToIgnoreCase;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

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
 * the process: each on a connection of its own, over HTTP/1.1, without asking for a compressed answer.
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
                    "quarkus.rest-client.verify-host", "false",
                    "quarkus.tls.trust-all", "true",
                    "quarkus.http.enable-compression", "true");
        }
    }

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

    private static void migrate(String datasource, int status) {
        assertThat(migrateStatus(datasource)).isEqualTo(status);
    }

    private static int migrateStatus(String datasource) {
        return Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"NULL\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().extract().statusCode();
    }
}
