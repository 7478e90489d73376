package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;

import java.util.Map;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A Domo whose certificate nothing trusts (WireMock's own, for "localhost"), while the process is
 * told to trust every certificate and check no host name for every client: neither reaches Domo's
 * client, so the token is never sent and the migration is FAILED (it never left). In Quarkus 3.33
 * these settings do not reach a client built with QuarkusRestClientBuilder at all; the write
 * client's own setTrustAll(false) and setVerifyHost(true) keep it so should that change.
 */
@QuarkusTest
@TestProfile(DomoUntrustedCertificateTest.TrustEverything.class)
class DomoUntrustedCertificateTest {

    static final class Impostor {
        static final WireMockServer SERVER = start();

        private static WireMockServer start() {
            WireMockServer server = new WireMockServer(WireMockConfiguration.options().dynamicPort().dynamicHttpsPort());
            server.start();
            server.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Type", "application/json").withBody("{\"toe\":\"T-MITM\",\"state\":\"COMPLETE\"}")));
            return server;
        }
    }

    public static class TrustEverything implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("domo.base-url", "https://localhost:" + Impostor.SERVER.httpsPort(),
                    "quarkus.tls.trust-all", "true",
                    "quarkus.rest-client.verify-host", "false");
        }
    }

    @Inject
    DataSource dataSource;

    @AfterAll
    static void stop() {
        Impostor.SERVER.stop();
    }

    @Test
    void aCertificateNothingTrustsGetsNoMigration() {
        NeverSent.aMigrationIsAnswered502AndRecordedFailed(dataSource);
        Impostor.SERVER.verify(0, anyRequestedFor(anyUrl()));
    }
}
