package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * An operator who turns on every verbose log a Quarkus user reaches for while debugging (DEBUG for
 * every category: Vert.x, Netty, the REST clients, OIDC, security, fault tolerance, Hibernate,
 * Agroal; the REST client's request and response logging and Netty's hex dumps, scope {@code all};
 * the configuration's value logging) still never sees the Domo token, in any letter case, on any
 * of the five operations, answered or failed: the Domo client keeps its own logging off, the token
 * is a secret to the configuration, and failures are logged without it.
 */
@QuarkusTest
@TestProfile(VerboseLoggingSecrecyTest.Verbose.class)
class VerboseLoggingSecrecyTest {

    private static final String BODY = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";
    private static final Path LOG = Path.of("target", "quarkus-verbose-test.log");

    public static class Verbose implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.log.file.path", LOG.toString(),
                    "quarkus.log.level", "DEBUG",
                    "quarkus.log.file.level", "DEBUG",
                    // The console's output stays as in the other tests; the file gets everything.
                    "quarkus.log.console.level", "INFO",
                    "quarkus.rest-client.logging.scope", "all",
                    "quarkus.rest-client.logging.body-limit", "10000",
                    "quarkus.log.category.\"org.jboss.resteasy.reactive.client.logging\".level", "DEBUG",
                    "smallrye.config.log.values", "true",
                    "quarkus.log.category.\"io.smallrye.config\".level", "DEBUG");
        }
    }

    @InjectDomo
    WireMockServer domo;

    @Test
    void noDebugLogShowsTheTokenOnAnyOperationAnsweredOrFailed() throws Exception {
        DomoWireMock.answersEverything(domo, "T-V1");
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[]")));
        String datasourceId = Api.uniqueDatasourceId();
        Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
        Api.asReader().get("/api/v1/integration-types/mysql-federated/accounts").then().statusCode(200);
        Api.asReader().get("/api/v1/accounts/1/candidates").then().statusCode(200);
        Api.asOperator().contentType("application/json").body(BODY)
                .post("/api/v1/datasources/" + datasourceId + "/migrations").then().statusCode(200);
        Api.asOperator().post("/api/v1/datasources/" + datasourceId + "/reversals").then().statusCode(200);

        // Failures: where causes are logged with their stack traces.
        domo.resetAll();
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withBody("{\"message\":\"bad token\"}")));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withStatus(500)
                .withHeader("Content-Type", "application/json").withBody("{\"message\":\"boom\"}")));
        Api.asReader().get("/api/v1/accounts/1/candidates").then().statusCode(502);
        String failing = Api.uniqueDatasourceId();
        Api.asOperator().contentType("application/json").body(BODY)
                .post("/api/v1/datasources/" + failing + "/migrations").then().statusCode(502);
        domo.resetAll();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse()
                .withFault(com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER)));
        Api.asOperator().contentType("application/json").body(BODY)
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then()
                .statusCode(org.hamcrest.Matchers.greaterThanOrEqualTo(500));
        // Transport faults on the reads too, which are retried: every attempt's failure is logged.
        for (var fault : List.of(com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER,
                com.github.tomakehurst.wiremock.http.Fault.MALFORMED_RESPONSE_CHUNK,
                com.github.tomakehurst.wiremock.http.Fault.RANDOM_DATA_THEN_CLOSE)) {
            domo.stubFor(get(urlMatching(DOMO_PREFIX + "/.*")).willReturn(aResponse().withFault(fault)));
            Api.asReader().get("/api/v1/accounts/1/candidates").then().statusCode(org.hamcrest.Matchers.greaterThanOrEqualTo(500));
        }

        String log = Files.readString(LOG);
        assertThat(log.toLowerCase(java.util.Locale.ROOT)).contains(datasourceId.toLowerCase(java.util.Locale.ROOT))
                .contains(failing.toLowerCase(java.util.Locale.ROOT))
                .doesNotContain(CANARY_TOKEN.toLowerCase(java.util.Locale.ROOT));
        // Netty's hex dumps (the "all" scope) print 16 bytes a row: a token split across rows is found
        // only in the bytes the rows add up to.
        assertThat(hexDumped(log).toLowerCase(java.util.Locale.ROOT))
                .doesNotContain(CANARY_TOKEN.toLowerCase(java.util.Locale.ROOT));
        // Each of these was logged, so the checks above could have failed: the configuration's values
        // and DEBUG lines of the libraries (categories abbreviated: Netty, Quarkus's HTTP server, OIDC).
        assertThat(log).contains("The config domo.").contains("DEBUG [io.net.").contains("DEBUG [io.qua.ver.htt.")
                .contains("DEBUG [io.qua.oid.");
    }

    /** The bytes of every row of Netty's hex dumps ({@code |00000010| 47 45 54 … |GET…|}), one after the other. */
    private static String hexDumped(String log) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("\\|[0-9a-f]{8}\\|((?: [0-9a-f]{2}){1,16})")
                .matcher(log);
        while (row.find()) {
            for (String hex : row.group(1).trim().split(" ")) {
                bytes.write(Integer.parseInt(hex, 16));
            }
        }
        return bytes.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
