package com.domomigrationproxy.security;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.notNullValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.TestCredentials;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;

/** 401 for every kind of missing or bad credential, 403 for every wrong role; Domo never called. */
@QuarkusTest
class AuthenticationTest {

    private static final String TYPE = "urn:problem-type:domo-migration-proxy:";
    private static final String MIGRATION_BODY = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";

    @InjectDomo
    WireMockServer domo;

    @BeforeEach
    void reset() {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200).withBody("[]")));
    }

    @AfterEach
    void restoreKeys() {
        ApiKeys.write(ApiKeys.DEFAULT);
    }

    @Test
    void noCredentials() {
        unauthenticated(given());
    }

    @Test
    void unknownApiKey() {
        unauthenticated(given().header("X-API-Key", "not-a-key"));
    }

    @Test
    void emptyAndOversizedApiKeys() {
        unauthenticated(given().header("X-API-Key", ""));
        unauthenticated(given().header("X-API-Key", "k".repeat(5000)));
    }

    @Test
    void expiredJwt() {
        String token = Tokens.claims("alice", "reader").issuedAt(System.currentTimeMillis() / 1000 - 3600)
                .expiresAt(System.currentTimeMillis() / 1000 - 1800).sign(Tokens.privateKey());
        unauthenticated(given().auth().oauth2(token));
    }

    @Test
    void tamperedJwt() {
        String[] parts = Tokens.jwt("alice", "reader").split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1])).replace("\"reader\"", "\"operator\"");
        String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes())
                + "." + parts[2];
        unauthenticated(given().auth().oauth2(forged));
    }

    @Test
    void jwtFromAnotherIssuer() {
        String token = io.smallrye.jwt.build.Jwt.issuer("https://someone-else.example").upn("alice")
                .groups("operator").expiresIn(300).sign(Tokens.privateKey());
        unauthenticated(given().auth().oauth2(token));
    }

    @Test
    void jwtSignedWithAnotherKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String token = Tokens.claims("alice", "operator").sign(generator.generateKeyPair().getPrivate());
        unauthenticated(given().auth().oauth2(token));
    }

    @Test
    void unsignedJwt() {
        String header = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes());
        String payload = Base64.getUrlEncoder().withoutPadding().encodeToString(("{\"iss\":\"" + TestCredentials.ISSUER
                + "\",\"upn\":\"mallory\",\"groups\":[\"operator\"],\"exp\":" + (System.currentTimeMillis() / 1000 + 300)
                + "}").getBytes());
        unauthenticated(given().auth().oauth2(header + "." + payload + "."));
    }

    @ParameterizedTest(name = "{0} may not {1} {2}")
    @CsvSource({
            "reader, POST, /api/v1/datasources/ds-1/migrations",
            "reader, POST, /api/v1/datasources/ds-1/reversals",
            "auditor, GET, /api/v1/integration-types",
            "auditor, GET, /api/v1/integration-types/mysql-federated/accounts",
            "auditor, GET, /api/v1/accounts/1/candidates",
            "auditor, POST, /api/v1/datasources/ds-1/migrations",
            "auditor, POST, /api/v1/datasources/ds-1/reversals" })
    void wrongRoleIsForbidden(String role, String method, String path) {
        for (RequestSpecification caller : List.of(apiKeyFor(role), given().auth().oauth2(jwtFor(role)))) {
            caller.contentType("application/json").body(MIGRATION_BODY)
                    .when().request(method, path)
                    .then().statusCode(403)
                    .contentType("application/problem+json")
                    .body("type", equalTo(TYPE + "forbidden"))
                    .body("requestId", notNullValue());
        }
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void jwtWithoutGroupsIsForbidden() {
        given().auth().oauth2(Tokens.jwt("nobody")).when().get("/api/v1/integration-types")
                .then().statusCode(403).body("type", equalTo(TYPE + "forbidden"));
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void readerAndOperatorMayList() {
        given().header("X-API-Key", TestCredentials.READER_KEY).when().get("/api/v1/integration-types")
                .then().statusCode(200);
        given().auth().oauth2(Tokens.jwt("olga", "operator")).when().get("/api/v1/integration-types")
                .then().statusCode(200);
    }

    @Test
    void apiKeyFileChangesApplyWithoutRestart() {
        String newSecret = "rotated-key-" + System.nanoTime();
        List<ApiKeys.Key> keys = new ArrayList<>(ApiKeys.DEFAULT);
        keys.add(new ApiKeys.Key("new-svc", newSecret, List.of("reader")));
        ApiKeys.write(keys);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().header("X-API-Key", newSecret)
                .when().get("/api/v1/integration-types").then().statusCode(200));

        // Revoking a key takes effect the same way.
        ApiKeys.write(ApiKeys.DEFAULT);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().header("X-API-Key", newSecret)
                .when().get("/api/v1/integration-types").then().statusCode(401));
    }

    /**
     * One secret under two entries is neither: whichever came last decided the principal and its
     * roles, so a line copied and edited could raise a key to operator in silence.
     */
    @Test
    void aSecretListedTwiceIsNeitherEntry() throws IOException {
        String secret = "twice-" + System.nanoTime();
        String other = "once-" + System.nanoTime();
        try {
            ApiKeys.writeWithDefaults(List.of(new ApiKeys.Key("twice-reader", secret, List.of("reader")),
                    new ApiKeys.Key("twice-operator", secret, List.of("reader", "operator")),
                    new ApiKeys.Key("once-reader", other, List.of("reader"))));
            given().header("X-API-Key", other).when().get("/api/v1/integration-types").then().statusCode(200);
            given().header("X-API-Key", secret).when().get("/api/v1/integration-types").then().statusCode(401);
            // The log names both entries as a person counts them, from 1.
            int second = ApiKeys.DEFAULT.size() + 2;
            assertThat(Files.readString(Path.of("target", "quarkus-test.log"))).contains("entry #" + second
                    + " (twice-operator) has the sha256 of entry #" + (second - 1) + " (twice-reader); both are ignored");
        } finally {
            ApiKeys.write(ApiKeys.DEFAULT);
        }
    }

    /**
     * A rotation whose two entries grant different roles: each secret keeps its own grant, and the
     * log says that the principals listing shows only one of them.
     */
    @Test
    void aRotationWhoseEntriesGrantDifferentRolesIsLogged() throws IOException {
        String older = "rotation-old-" + System.nanoTime();
        String newer = "rotation-new-" + System.nanoTime();
        try {
            ApiKeys.writeWithDefaults(List.of(new ApiKeys.Key("rotating-svc", older, List.of("reader", "operator")),
                    new ApiKeys.Key("rotating-svc", newer, List.of("reader"))));
            given().header("X-API-Key", newer).when().get("/api/v1/integration-types").then().statusCode(200);
            given().header("X-API-Key", older).when().get("/api/v1/integration-types").then().statusCode(200);
            assertThat(Files.readString(Path.of("target", "quarkus-test.log"))).contains("the entries of rotating-svc"
                    + " grant different roles or scopes; both secrets work with their own grant");
        } finally {
            ApiKeys.write(ApiKeys.DEFAULT);
        }
    }

    @Test
    void aBrokenKeyFileKeepsThePreviousKeys() {
        ApiKeys.writeRaw("[{\"name\": \"half");
        // The file is looked at every second; for three seconds the keys loaded before stay in force.
        await().pollDelay(Duration.ofMillis(500)).during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> given().header("X-API-Key", TestCredentials.READER_KEY)
                        .when().get("/api/v1/integration-types").then().statusCode(200));
    }

    @Test
    void aJwtWithAnEmptyOrUnrecordablePrincipalIsRefused() {
        unauthenticated(given().auth().oauth2(io.smallrye.jwt.build.Jwt.issuer(TestCredentials.ISSUER).subject("")
                .groups(java.util.Set.of("reader")).expiresIn(300).sign(Tokens.privateKey())));
        unauthenticated(given().auth().oauth2(Tokens.jwt("line\nbreak", "reader")));
        unauthenticated(given().auth().oauth2(Tokens.jwt("x".repeat(256), "reader")));
        // 255 characters, counted as characters (as JSON Schema's maxLength does), not UTF-16 units.
        unauthenticated(given().auth().oauth2(Tokens.jwt("\uD83D\uDE00".repeat(256), "reader")));
        // Names an auditor could not tell from another: a space at either end, an invisible character.
        // Invisible outside Unicode's format category too: the combining grapheme joiner, a Hangul filler,
        // a variation selector (review: "reader-svc" and a Hangul filler read as the key reader-svc).
        for (String lookalike : List.of("someone ", " someone", "some\u200bone", "someone\u00a0", "someone\u034f",
                "someone\u3164", "some\ufe0fone", "\u115fsomeone", "someone\uDB40\uDD00", "someone\uDB40\uDC01",
                "some\u2028one", "some\u2029one")) {
            unauthenticated(given().auth().oauth2(Tokens.jwt(lookalike, "reader")));
        }
        given().auth().oauth2(Tokens.jwt("some one", "reader")).when().get("/api/v1/integration-types").then()
                .statusCode(200);
        given().auth().oauth2(Tokens.jwt("\uD83D\uDE00".repeat(255), "reader")).when().get("/api/v1/integration-types")
                .then().statusCode(200);
    }

    @Test
    void ambiguousCredentialsAreRefused() {
        unauthenticated(given().auth().oauth2(Tokens.jwt("someone", "reader")).header("X-API-Key", "not-a-key"));
        unauthenticated(given().auth().oauth2(Tokens.jwt("someone", "reader"))
                .header("X-API-Key", TestCredentials.READER_KEY));
        unauthenticated(given().header("X-API-Key", TestCredentials.READER_KEY)
                .header("X-API-Key", TestCredentials.OPERATOR_KEY));
    }

    @Test
    void aJwtMayNotClaimTheNameOfAnApiKey() {
        unauthenticated(given().auth().oauth2(Tokens.jwt("reader-svc", "reader", "operator")));
        unauthenticated(given().auth().oauth2(Tokens.jwt("READER-svc", "reader", "operator")));
        // In any Unicode compatibility form, as the four-eyes rule tells people apart (review).
        unauthenticated(given().auth().oauth2(Tokens.jwt("\uff52\uff45\uff41\uff44\uff45\uff52-svc", "reader")));
        given().auth().oauth2(Tokens.jwt("reader-svc-person", "reader")).when().get("/api/v1/integration-types")
                .then().statusCode(200);
    }

    private void unauthenticated(RequestSpecification request) {
        request.when().get("/api/v1/integration-types")
                .then().statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", notNullValue())
                .body("type", equalTo(TYPE + "unauthenticated"))
                .body("status", equalTo(401))
                .body("requestId", notNullValue());
        List<String> challenges = request.when().get("/api/v1/integration-types").then().extract().headers()
                .getValues("WWW-Authenticate");
        org.hamcrest.MatcherAssert.assertThat(challenges, hasItems(
                org.hamcrest.Matchers.startsWith("Bearer"), org.hamcrest.Matchers.startsWith("ApiKey")));
        domo.verify(0, anyRequestedFor(anyUrl()));
    }

    private static RequestSpecification apiKeyFor(String role) {
        return given().header("X-API-Key", "reader".equals(role) ? TestCredentials.READER_KEY : TestCredentials.AUDITOR_KEY);
    }

    private static String jwtFor(String role) {
        return Tokens.jwt("someone", role);
    }
}
