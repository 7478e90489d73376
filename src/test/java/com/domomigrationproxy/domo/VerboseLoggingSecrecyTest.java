package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * An operator who turns on every verbose log a Quarkus user reaches for while debugging (the REST
 * client's request and response logging, the configuration's value logging) still never sees the
 * Domo token: the Domo client keeps its own logging off, and the token is a secret to the
 * configuration.
 */
@QuarkusTest
@TestProfile(VerboseLoggingSecrecyTest.Verbose.class)
class VerboseLoggingSecrecyTest {

    private static final Path LOG = Path.of("target", "quarkus-verbose-test.log");

    public static class Verbose implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.log.file.path", LOG.toString(),
                    "quarkus.rest-client.logging.scope", "request-response",
                    "quarkus.rest-client.logging.body-limit", "10000",
                    "quarkus.log.category.\"org.jboss.resteasy.reactive.client.logging\".level", "DEBUG",
                    "smallrye.config.log.values", "true",
                    "quarkus.log.category.\"io.smallrye.config\".level", "DEBUG");
        }
    }

    @InjectDomo
    WireMockServer domo;

    @Test
    void neitherTheRestClientsNorTheConfigurationsLoggingShowsTheToken() throws Exception {
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-V1\"}")));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-V2\"}")));
        String datasourceId = Api.uniqueDatasourceId();
        Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasourceId + "/migrations").then().statusCode(200);
        Api.asOperator().post("/api/v1/datasources/" + datasourceId + "/reversals").then().statusCode(200);

        String log = Files.readString(LOG);
        assertThat(log).contains(datasourceId).doesNotContain(CANARY_TOKEN);
        // The configuration's values were logged (so the check above could have failed), the token's not.
        assertThat(log).contains("domo.base-url");
    }
}
