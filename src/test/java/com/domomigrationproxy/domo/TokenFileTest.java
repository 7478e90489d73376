package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasItem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.http.CallerSecrets;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.ShortFuses;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** DOMO_DEVELOPER_TOKEN_FILE: a rotated Secret takes effect without a restart; a missing one stops calls. */
@QuarkusTest
@TestProfile(ShortFuses.class)
class TokenFileTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    /** A token set in DOMO_DEVELOPER_TOKEN_FILE by mistake is no path the log repeats on every call (token review). */
    @Test
    void aTokenFileValueThatIsNoPathIsNotRepeatedInTheLog() {
        assertThat(DomoTokenProvider.shown(Path.of(com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN)))
                .doesNotContain(com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN)
                .contains("DOMO_DEVELOPER_TOKEN_FILE");
        assertThat(DomoTokenProvider.shown(Path.of("/run/secrets/domo-token"))).isEqualTo("/run/secrets/domo-token");
    }

    @Test
    void rotatedTokenIsUsedWithoutRestart() {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200).withBody("[]")));

        Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
        domo.verify(1, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types"))
                .withHeader("X-DOMO-Developer-Token", equalTo(ShortFuses.FIRST_TOKEN)));

        ShortFuses.writeToken("second-token-value");
        try {
            Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
            domo.verify(1, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types"))
                    .withHeader("X-DOMO-Developer-Token", equalTo("second-token-value")));

            // The rotated-out token may still be valid at Domo: an answer that echoes it is redacted too.
            domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                    .withBody("[\"echo " + ShortFuses.FIRST_TOKEN + "\",\"echo second-token-value\"]")));
            String answer = Api.asReader().get("/api/v1/integration-types").then().statusCode(200).extract().asString();
            assertThat(answer).doesNotContain(ShortFuses.FIRST_TOKEN).doesNotContain("second-token-value");
        } finally {
            ShortFuses.writeToken(ShortFuses.FIRST_TOKEN);
        }
    }

    /**
     * A token of the same length copied over the file in place with its old time kept ({@code cp -p},
     * {@code rsync -t}) is seen too.
     */
    @Test
    void aTokenRewrittenInPlaceWithItsOldTimeIsUsed() throws IOException {
        ShortFuses.writeToken(ShortFuses.FIRST_TOKEN + "\n");
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200).withBody("[]")));
        Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
        domo.verify(1, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types"))
                .withHeader("X-DOMO-Developer-Token", equalTo(ShortFuses.FIRST_TOKEN)));

        java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(ShortFuses.TOKEN_FILE);
        // Of the same length as the first: only the change time tells the two files apart.
        Files.writeString(ShortFuses.TOKEN_FILE, "other-token-value\n");
        Files.setLastModifiedTime(ShortFuses.TOKEN_FILE, time);
        try {
            Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
            domo.verify(1, getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types"))
                    .withHeader("X-DOMO-Developer-Token", equalTo("other-token-value")));
        } finally {
            ShortFuses.writeToken(ShortFuses.FIRST_TOKEN);
        }
    }

    /**
     * A token written to the file is screened for in caller input within a second, before any call
     * to Domo reads it: the screen knew only the tokens read so far, so a migration carrying a new
     * token in its table was recorded, and sent, until a Domo call happened to read the file (review).
     */
    @Test
    void aRotatedTokenIsRefusedInCallerInputBeforeAnyCallToDomo() {
        domo.resetAll();
        String rotated = "rotated-token-value-2f9c";
        ShortFuses.writeToken(rotated);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                    Api.asReader().get("/api/v1/plans/" + rotated).then().statusCode(400)
                            .body("errors.field", hasItem("path")).body("errors.message", hasItem(CallerSecrets.RULE)));
            Api.asOperator().contentType("application/json").body("{\"accountId\":\"2\",\"catalog\":\"c\",\"schema\":"
                    + "\"NULL\",\"table\":\"" + rotated + "\"}").post("/api/v1/datasources/ds-rotated/migrations")
                    .then().statusCode(400).body("errors.field", hasItem("table"));
            domo.verify(0, anyRequestedFor(anyUrl()));
        } finally {
            ShortFuses.writeToken(ShortFuses.FIRST_TOKEN);
        }
    }

    /**
     * A rotation that leaves two tokens in the Secret, one per line: an HTTP library would refuse
     * that header with a message quoting it, so the token is refused first, and never logged.
     */
    @Test
    void aTokenWithALineBreakInsideIsNotUsedAndNotLogged() throws IOException {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200).withBody("[]")));
        Path log = Path.of("target", "quarkus-test.log");
        long logBefore = Files.size(log);
        ShortFuses.writeToken("new-token-4f1c\nold-token-9a7e\n");
        try {
            Api.asReader().get("/api/v1/integration-types").then().statusCode(502).body("type",
                    org.hamcrest.Matchers.equalTo("urn:problem-type:domo-migration-proxy:domo-token-unavailable"));
            String datasourceId = Api.uniqueDatasourceId();
            Api.asOperator().post("/api/v1/datasources/" + datasourceId + "/reversals").then().statusCode(502);
            domo.verify(0, anyRequestedFor(anyUrl()));
            Api.asReader().get("/q/health/ready").then().body(org.hamcrest.Matchers.not(
                    org.hamcrest.Matchers.containsString("token-4f1c")));
        } finally {
            ShortFuses.writeToken(ShortFuses.FIRST_TOKEN);
        }
        String logged;
        try (var reader = Files.newInputStream(log)) {
            reader.skipNBytes(logBefore);
            logged = new String(reader.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(logged).contains("not visible ASCII").doesNotContain("new-token-4f1c")
                .doesNotContain("old-token-9a7e");
    }

    /**
     * The file is looked at every second: one that is there but cannot be read (a directory in its
     * place, a mode the service may not read) is named once, not every second.
     */
    @Test
    void aTokenFileThatCannotBeReadIsNamedOnceNotEverySecond() throws Exception {
        Path log = Path.of("target", "quarkus-test.log");
        long from = Files.size(log);
        Files.delete(ShortFuses.TOKEN_FILE);
        Files.createDirectory(ShortFuses.TOKEN_FILE);
        try {
            Thread.sleep(3_500);
            String written;
            try (var in = Files.newInputStream(log)) {
                in.skipNBytes(from);
                written = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
            assertThat(written.split("Cannot read the Domo token file", -1)).as(written).hasSizeBetween(2, 2);
        } finally {
            Files.delete(ShortFuses.TOKEN_FILE);
            ShortFuses.writeToken(ShortFuses.FIRST_TOKEN);
        }
    }

    @Test
    void missingTokenFileFailsWithoutCallingDomo() throws IOException {
        domo.resetAll();
        Files.deleteIfExists(ShortFuses.TOKEN_FILE);
        try {
            String datasourceId = Api.uniqueDatasourceId();
            Api.asOperator().post("/api/v1/datasources/" + datasourceId + "/reversals")
                    .then().statusCode(502)
                    .body("type", org.hamcrest.Matchers.equalTo("urn:problem-type:domo-migration-proxy:domo-token-unavailable"));
            domo.verify(0, anyRequestedFor(anyUrl()));
            assertThat(OperationRows.forDatasource(dataSource, datasourceId)).singleElement()
                    .satisfies(row -> assertThat(row).containsEntry("state", "FAILED").containsEntry("upstream_status", null));

            // Nothing reached Domo, so an Idempotency-Key is not bound to that answer: once the token is back, it runs.
            String keyed = Api.uniqueDatasourceId();
            String key = "no-token-" + java.util.UUID.randomUUID();
            // A principal of its own: this profile's rate limit is a few operations a minute.
            String operator = com.domomigrationproxy.support.Tokens.jwt(key, "operator");
            io.restassured.RestAssured.given().auth().oauth2(operator).header("Idempotency-Key", key).post("/api/v1/datasources/" + keyed + "/reversals")
                    .then().statusCode(502);
            ShortFuses.writeToken(ShortFuses.FIRST_TOKEN);
            domo.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(DOMO_PREFIX + "/" + keyed + "/reverse")
                    .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                            .withBody("{\"state\":\"COMPLETE\"}")));
            io.restassured.RestAssured.given().auth().oauth2(operator).header("Idempotency-Key", key)
                    .post("/api/v1/datasources/" + keyed + "/reversals").then().statusCode(200).header("Idempotent-Replayed", org.hamcrest.Matchers.nullValue())
                    .body("state", org.hamcrest.Matchers.equalTo("COMPLETE"));
        } finally {
            ShortFuses.writeToken(ShortFuses.FIRST_TOKEN);
        }
    }

}
