package com.domomigrationproxy.security;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * GET /api/v1/audit/principals, and the last use behind it: recorded in PostgreSQL, at most one
 * write a minute per principal however busy it is, never-used keys listed as such.
 */
@QuarkusTest
class PrincipalsTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @Inject
    PrincipalActivity activity;

    private final String name = "lastuse-svc-" + UUID.randomUUID();
    private final String secret = "test-lastuse-key-" + UUID.randomUUID();
    private final String idle = "idle-svc-" + UUID.randomUUID();
    private final Instant idleExpiry = Instant.now().plus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);

    @BeforeEach
    void keys() {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[\"mysql-federated\"]")));
        ApiKeys.writeWithDefaults(List.of(
                new ApiKeys.Key(idle, "test-idle-key-" + UUID.randomUUID(), List.of("reader"),
                        "{\"accounts\":[\"sales-*\"]}", idleExpiry),
                new ApiKeys.Key(name, secret, List.of("reader"), null, null)));
    }

    @AfterEach
    void restoreKeys() {
        ApiKeys.write(ApiKeys.DEFAULT);
    }

    @Test
    void aBusyKeysLastUseIsWrittenOnceAMinuteAtMost() {
        for (int i = 0; i < 100; i++) {
            given().header("X-API-Key", secret).get("/api/v1/integration-types").then().statusCode(200);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !row().isEmpty());
        Map<String, Object> first = row().get(0);
        assertThat(first).containsEntry("last_client_address", "127.0.0.1");

        for (int i = 0; i < 100; i++) {
            given().header("X-API-Key", secret).get("/api/v1/integration-types").then().statusCode(200);
        }
        // Several write rounds go by (one a second in tests): the row is not written again.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> row().get(0).get("xmin").equals(first.get("xmin")));
        assertThat(row().get(0).get("last_used_at")).isEqualTo(first.get("last_used_at"));

        // Auditors still see the latest use: the replica adds what it has not written yet.
        JsonPath listed = principal("api-key", name);
        assertThat(Instant.parse(listed.getString("lastUsedAt")))
                .isAfter(((Timestamp) first.get("last_used_at")).toInstant());
        assertThat(listed.getBoolean("neverUsed")).isFalse();
        assertThat(listed.getBoolean("inKeyFile")).isTrue();
        assertThat(listed.getString("lastClientAddress")).isEqualTo("127.0.0.1");

        // A replica that stops writes it, its minute up or not (config review: it went with the process).
        activity.onShutdown(new io.quarkus.runtime.ShutdownEvent());
        assertThat(((Timestamp) row().get(0).get("last_used_at")).toInstant())
                .isEqualTo(Instant.parse(listed.getString("lastUsedAt")));
    }

    @Test
    void keysNeverUsedAreListedAsSuchWithRolesScopesAndExpiry() {
        JsonPath listed = principal("api-key", idle);
        assertThat(listed.getBoolean("neverUsed")).isTrue();
        assertThat(listed.getString("lastUsedAt")).isNull();
        assertThat(listed.getList("roles")).containsExactly("reader");
        assertThat(listed.getList("scopes.accounts")).containsExactly("sales-*");
        assertThat(listed.getString("expiresAt")).isEqualTo(idleExpiry.toString());
        assertThat(listed.getBoolean("expired")).isFalse();

        JsonPath unrestricted = principal("api-key", "operator-svc");
        assertThat(unrestricted.getMap("scopes")).isEmpty();
        assertThat(unrestricted.getString("expiresAt")).isNull();
    }

    /** A key since removed from the file is shown with the expiry it last authenticated with, not as one that never expires. */
    @Test
    void aKeySinceRemovedKeepsTheExpiryItLastCameWith() {
        String expiring = "expiring-svc-" + UUID.randomUUID();
        String expiringSecret = "test-expiring-key-" + UUID.randomUUID();
        Instant expiry = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(5);
        ApiKeys.writeWithDefaults(List.of(new ApiKeys.Key(expiring, expiringSecret, List.of("reader"), null, expiry)));
        given().header("X-API-Key", expiringSecret).get("/api/v1/integration-types").then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> !OperationRows.query(dataSource,
                "SELECT 1 FROM principal_last_use WHERE auth_method = 'api-key' AND principal = ?", expiring).isEmpty());
        ApiKeys.write(ApiKeys.DEFAULT);
        await().atMost(Duration.ofSeconds(10)).until(() -> !principal("api-key", expiring).getBoolean("inKeyFile"));

        JsonPath listed = principal("api-key", expiring);
        assertThat(Instant.parse(listed.getString("expiresAt"))).isEqualTo(expiry);
        await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(expiry));
        assertThat(principal("api-key", expiring).getBoolean("expired")).isTrue();
    }

    @Test
    void jwtSubjectsAreListedWithTheRolesAndScopesTheyCameWith() {
        String subject = "jwt-user-" + UUID.randomUUID();
        given().auth().oauth2(Tokens.claims(subject, "reader")
                .claim("domo_scopes", Map.of("integrationTypes", List.of("mysql-*"))).sign(Tokens.privateKey()))
                .get("/api/v1/integration-types").then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonPath listed = principal("jwt", subject);
            assertThat(listed.getList("roles")).containsExactly("reader");
            assertThat(listed.getList("scopes.integrationTypes")).containsExactly("mysql-*");
            assertThat(listed.getBoolean("inKeyFile")).isFalse();
            assertThat(listed.getString("lastClientAddress")).isEqualTo("127.0.0.1");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> !OperationRows.query(dataSource,
                "SELECT 1 FROM principal_last_use WHERE auth_method = 'jwt' AND principal = ?", subject).isEmpty());
    }

    @Test
    void onlyAuditorsMayListPrincipals() {
        Api.asOperator().get("/api/v1/audit/principals").then().statusCode(403);
        given().get("/api/v1/audit/principals").then().statusCode(401);
    }

    private List<Map<String, Object>> row() {
        return OperationRows.query(dataSource, "SELECT xmin::text AS xmin, last_used_at, last_client_address"
                + " FROM principal_last_use WHERE auth_method = 'api-key' AND principal = ?", name);
    }

    private static JsonPath principal(String authMethod, String principal) {
        JsonPath page = Api.asAuditor().get("/api/v1/audit/principals").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> items = page.getList("items");
        int index = -1;
        for (int i = 0; i < items.size(); i++) {
            if (principal.equals(items.get(i).get("principal")) && authMethod.equals(items.get(i).get("authMethod"))) {
                index = i;
            }
        }
        assertThat(index).as(authMethod + " " + principal + " listed").isNotNegative();
        return new JsonPath(page.prettify()).setRootPath("items[" + index + "]");
    }
}
