package com.domomigrationproxy.console;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.PackagedApp;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.restassured.response.Response;
import io.smallrye.jwt.build.Jwt;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The packaged application (prod profile) never offers the dev sign-in: without configuration its
 * console says sign-in is not configured; configured, it sends people to the organisation's
 * provider (here a WireMock stand-in), over Secure cookies. The dev provider is not in the package.
 * Runs in the integration-test phase of ./mvnw verify, after packaging.
 */
class ConsolePackagedIT {

    private static final String SECRET = "console-it-auditor-key";
    private static final String CLIENT_SECRET = "console-it-client-secret-0123456789abcdef";
    private static EmbeddedPostgres postgres;
    private static WireMockServer provider;
    private static Path keys;
    private static PrivateKey signingKey;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        provider = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        provider.start();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        signingKey = pair.getPrivate();
        RSAPublicKey key = (RSAPublicKey) pair.getPublic();
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String issuer = provider.baseUrl();
        // No end_session_endpoint: some providers offer no RP-initiated logout; the console starts all the same.
        provider.stubFor(get("/.well-known/openid-configuration").willReturn(json("{\"issuer\":\"" + issuer + "\","
                + "\"authorization_endpoint\":\"" + issuer + "/oauth2/authorize\",\"token_endpoint\":\"" + issuer
                + "/oauth2/token\",\"jwks_uri\":\"" + issuer + "/oauth2/keys\",\"response_types_supported\":[\"code\"],"
                + "\"subject_types_supported\":[\"public\"],"
                + "\"id_token_signing_alg_values_supported\":[\"RS256\"]}")));
        provider.stubFor(get("/oauth2/keys").willReturn(json("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"use\":\"sig\","
                + "\"alg\":\"RS256\",\"n\":\"" + base64.encodeToString(unsigned(key.getModulus().toByteArray()))
                + "\",\"e\":\"" + base64.encodeToString(unsigned(key.getPublicExponent().toByteArray())) + "\"}]}")));
        keys = Files.createTempFile("api-keys", ".json");
        keys.toFile().deleteOnExit();
        Files.writeString(keys, "[{\"name\":\"auditor-svc\",\"sha256\":\"" + ApiKeys.sha256(SECRET)
                + "\",\"roles\":[\"auditor\"]}]");
    }

    @AfterAll
    static void stop() throws IOException {
        if (provider != null) {
            provider.stop();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void withoutConfigurationTheConsoleIsOffAndOffersNoSignIn() throws Exception {
        try (PackagedApp app = start("console-off", Map.of())) {
            given().port(app.port()).redirects().follow(false).get("/console/").then().statusCode(503)
                    .body(containsString("Sign-in is not configured"));
            given().port(app.port()).redirects().follow(false).get("/console/history").then().statusCode(503);
            given().port(app.port()).header("X-API-Key", SECRET).get("/api/v1/audit/integrity").then().statusCode(200);
            assertThat(Files.readString(app.log())).doesNotContain("Dev Services").doesNotContain("devservices");
        }
    }

    /** A public client with no encryption secret: each replica would encrypt sessions with a key of its own. */
    @Test
    void aConsoleWithoutASessionKeyEveryReplicaSharesDoesNotStart() throws Exception {
        Map<String, String> publicClient = console();
        try (PackagedApp app = launch("console-no-session-key", publicClient)) {
            assertThat(app.awaitRefusedStart()).contains("PROXY_CONSOLE_ENABLED=true needs a key for the console's"
                    + " session cookies", "QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET");
        }
    }

    @Test
    void configuredItSendsPeopleToTheOrganisationsProviderOverSecureCookies() throws Exception {
        Map<String, String> console = console("QUARKUS_OIDC_CREDENTIALS_SECRET", CLIENT_SECRET);
        try (PackagedApp app = start("console-on", console)) {
            Response challenge = given().port(app.port()).redirects().follow(false).get("/console/history");
            assertThat(challenge.statusCode()).isEqualTo(302);
            URI location = URI.create(challenge.header("Location"));
            assertThat(location.toString()).startsWith(provider.baseUrl() + "/oauth2/authorize?");
            assertThat(location.getQuery()).contains("client_id=domo-migration-console", "response_type=code",
                    "code_challenge_method=S256");
            assertThat(challenge.headers().getValues("Set-Cookie")).isNotEmpty()
                    .allSatisfy(cookie -> assertThat(cookie).containsIgnoringCase("; Secure")
                            .containsIgnoringCase("HttpOnly").containsIgnoringCase("Path=/console"));
            assertThat(challenge.header("Content-Security-Policy")).contains("form-action 'self' "
                    + provider.baseUrl());
            // Secure cookies mean HTTPS: browsers are told to keep to it, a year by default.
            assertThat(challenge.header("Strict-Transport-Security")).isEqualTo("max-age=31536000");
            assertThat(given().port(app.port()).get("/console/assets/console.css").header("Strict-Transport-Security"))
                    .isEqualTo("max-age=31536000");
            // Over HTTPS the CSRF cookie is a __Host- cookie: only this host may set it, for all of its paths.
            assertThat(given().port(app.port()).get("/console/signed-out").then().statusCode(200).extract().headers()
                    .getValues("Set-Cookie")).filteredOn(cookie -> cookie.startsWith("__Host-console-csrf="))
                    .singleElement().satisfies(csrf -> assertThat(csrf).containsIgnoringCase("; Secure")
                            .containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Strict")
                            .containsPattern("(?i); Path=/(;|$)"));
            // No dev sign-in anywhere: the provider's sign-in is the only way in.
            given().port(app.port()).redirects().follow(false).get("/console/sign-in").then().statusCode(302);
            given().port(app.port()).redirects().follow(false).formParam("predefined-auditor", "auditor")
                    .post("/login").then().statusCode(404);
            // The API is untouched by the console's sign-in.
            given().port(app.port()).header("X-API-Key", SECRET).get("/api/v1/audit/integrity").then()
                    .statusCode(200);
            given().port(app.port()).get("/api/v1/audit/integrity").then().statusCode(401);
        }
    }

    /**
     * Behind a proxy that ends TLS (the app itself answers plain HTTP): a person signs in with the
     * provider's code and signs out, and every link that leaves for the provider and comes back is https.
     */
    @Test
    void behindAProxyThatEndsTlsAPersonSignsInAndOutOverHttpsLinks() throws Exception {
        Map<String, String> console = console("QUARKUS_OIDC_CREDENTIALS_SECRET", CLIENT_SECRET,
                "QUARKUS_OIDC_AUTHENTICATION_FORCE_REDIRECT_HTTPS_SCHEME", "true");
        providerSignsInAnAuditor();
        try (PackagedApp app = start("console-https", console)) {
            String signInUri = "https://localhost:" + app.port() + "/console/sign-in";
            Response challenge = given().port(app.port()).redirects().follow(false).get("/console/");
            assertThat(challenge.statusCode()).isEqualTo(302);
            Map<String, String> authorize = query(URI.create(challenge.header("Location")));
            assertThat(authorize).containsEntry("redirect_uri", signInUri);
            Map<String, String> cookies = new HashMap<>(challenge.cookies());
            // The provider sends the person back with a code; the service redeems it for the same https URI.
            Response signedIn = given().port(app.port()).redirects().follow(false).cookies(cookies)
                    .queryParam("code", "code-from-the-provider").queryParam("state", authorize.get("state"))
                    .get("/console/sign-in");
            assertThat(signedIn.statusCode()).as(signedIn.asString()).isEqualTo(200);
            provider.verify(postRequestedFor(urlEqualTo("/oauth2/token"))
                    .withRequestBody(containing("code=code-from-the-provider"))
                    .withRequestBody(containing("redirect_uri=" + java.net.URLEncoder.encode(signInUri,
                            StandardCharsets.UTF_8))));
            cookies.putAll(signedIn.cookies());
            cookies.entrySet().removeIf(cookie -> cookie.getValue() == null || cookie.getValue().isEmpty());
            Response home = given().port(app.port()).redirects().follow(false).cookies(cookies).get("/console/");
            assertThat(home.statusCode()).isEqualTo(200);
            assertThat(home.asString()).contains("aude-auditor");
            cookies.putAll(home.cookies());
            assertThat(cookies).containsKey("__Host-console-csrf");
            String csrf = home.asString().replaceAll("(?s).*name=\"csrf-token\" value=\"([^\"]+)\".*", "$1");
            // This provider offers no RP-initiated logout: sign-out ends the session here and comes back on the
            // origin the browser used, https behind the proxy: a path, not an address built from the Host header.
            Response out = given().port(app.port()).redirects().follow(false).cookies(cookies)
                    .formParam("csrf-token", csrf).post("/console/sign-out");
            assertThat(out.statusCode()).isEqualTo(303);
            assertThat(out.header("Location")).isEqualTo("/console/signed-out");
            assertThat(out.headers().getValues("Set-Cookie")).anySatisfy(cookie -> assertThat(cookie)
                    .startsWith("q_session").contains("Max-Age=0"));
        }
    }

    /**
     * Two replicas of a public client (PKCE, no client secret) share only the session key: a person
     * whose sign-in starts on one and comes back from the provider to the other is signed in, and the
     * session then works on both. Quarkus draws the key of the sign-in's state cookie at random
     * unless it is given one, or a client secret of 32 characters or more.
     */
    @Test
    void aSignInStartedOnOneReplicaFinishesOnAnother() throws Exception {
        Map<String, String> publicClient = console("QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET",
                "console-it-session-key-0123456789abcdef");
        providerSignsInAnAuditor();
        try (PackagedApp first = start("console-replica-a", publicClient);
                PackagedApp second = start("console-replica-b", publicClient)) {
            Response challenge = given().port(first.port()).redirects().follow(false).get("/console/");
            assertThat(challenge.statusCode()).isEqualTo(302);
            Map<String, String> authorize = query(URI.create(challenge.header("Location")));
            Map<String, String> cookies = new HashMap<>(challenge.cookies());
            Response signedIn = given().port(second.port()).redirects().follow(false).cookies(cookies)
                    .queryParam("code", "code-from-the-provider").queryParam("state", authorize.get("state"))
                    .get("/console/sign-in");
            assertThat(signedIn.statusCode()).as(signedIn.asString()).isEqualTo(200);
            cookies.putAll(signedIn.cookies());
            cookies.entrySet().removeIf(cookie -> cookie.getValue() == null || cookie.getValue().isEmpty());
            for (PackagedApp replica : List.of(first, second)) {
                Response home = given().port(replica.port()).redirects().follow(false).cookies(cookies)
                        .get("/console/");
                assertThat(home.statusCode()).isEqualTo(200);
                assertThat(home.asString()).contains("aude-auditor");
            }
        }
    }

    @Test
    void theDevProviderIsNotInThePackage() throws IOException {
        try (var files = Files.walk(Path.of("target", "quarkus-app"))) {
            assertThat(files.map(Path::toString)).isNotEmpty()
                    .noneMatch(name -> name.contains("devservices-oidc") || name.contains("devservices-keycloak"));
        }
    }

    /** The console on, signing in at the stand-in provider as domo-migration-console, with these settings too. */
    private static Map<String, String> console(String... more) {
        Map<String, String> settings = new HashMap<>(Map.of("PROXY_CONSOLE_ENABLED", "true",
                "QUARKUS_OIDC_AUTH_SERVER_URL", provider.baseUrl(),
                "QUARKUS_OIDC_CLIENT_ID", "domo-migration-console"));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    /**
     * A plan uploaded in the console where the working directory cannot be written (the image's, under
     * the chart's read-only root filesystem): the file goes to the temporary directory (Quarkus's
     * default, {@code ${java.io.tmpdir}/uploads}; the chart's writable /tmp), never to the working
     * directory. Here the working directory's {@code file-uploads} is a file, which nobody can make a
     * directory of.
     */
    @Test
    void aPlanUploadedWhereTheWorkingDirectoryIsReadOnlyIsTaken() throws Exception {
        Path workingDirectory = Files.createTempDirectory("read-only-working-directory");
        Files.writeString(workingDirectory.resolve("file-uploads"), "not a directory");
        Path temporary = Files.createTempDirectory("pod-tmp");
        providerSignsIn("olga-operator", "operator");
        Map<String, String> env = new HashMap<>(Map.of("DOMO_BASE_URL", "http://127.0.0.1:9",
                "DOMO_DEVELOPER_TOKEN", "console-it-token", "PROXY_API_KEYS_FILE", keys.toString()));
        env.putAll(console("QUARKUS_OIDC_CREDENTIALS_SECRET", CLIENT_SECRET,
                "QUARKUS_OIDC_AUTHENTICATION_FORCE_REDIRECT_HTTPS_SCHEME", "true"));
        try (PackagedApp app = PackagedApp.start("console-upload", postgres, env,
                List.of("-Djava.io.tmpdir=" + temporary), workingDirectory).awaitReady()) {
            Response challenge = given().port(app.port()).redirects().follow(false).get("/console/plans/new");
            Map<String, String> authorize = query(URI.create(challenge.header("Location")));
            Map<String, String> cookies = new HashMap<>(challenge.cookies());
            Response signedIn = given().port(app.port()).redirects().follow(false).cookies(cookies)
                    .queryParam("code", "code-from-the-provider").queryParam("state", authorize.get("state"))
                    .get("/console/sign-in");
            assertThat(signedIn.statusCode()).as(signedIn.asString()).isIn(200, 302);
            cookies.putAll(signedIn.cookies());
            cookies.entrySet().removeIf(cookie -> cookie.getValue() == null || cookie.getValue().isEmpty());
            Response form = given().port(app.port()).redirects().follow(false).cookies(cookies).get("/console/plans/new");
            assertThat(form.statusCode()).isEqualTo(200);
            cookies.putAll(form.cookies());
            String csrf = form.asString().replaceAll("(?s).*name=\"csrf-token\" value=\"([^\"]+)\".*", "$1");
            String csv = "datasourceId,accountId,catalog,schema,table\r\nds-upload-1,acct-1,estate,public,t1\r\n";
            Response uploaded = given().port(app.port()).redirects().follow(false).cookies(cookies)
                    .multiPart("csrf-token", csrf).multiPart("name", "Uploaded read-only")
                    .multiPart("direction", "V1_TO_V2").multiPart("maxConcurrency", "1")
                    .multiPart("file", "plan.csv", csv.getBytes(StandardCharsets.UTF_8), "text/csv")
                    .post("/console/plans");
            assertThat(uploaded.statusCode()).as(uploaded.asString()).isEqualTo(303);
            assertThat(uploaded.header("Location")).contains("/console/plans/").contains("done=created");
            assertThat(Files.isRegularFile(workingDirectory.resolve("file-uploads"))).isTrue();
        }
    }

    /** The provider's token endpoint answers every code with an ID token for aude-auditor, an auditor. */
    private static void providerSignsInAnAuditor() {
        providerSignsIn("aude-auditor", "auditor");
    }

    /** The provider's token endpoint answers every code with an ID token for {@code person} in {@code role}. */
    private static void providerSignsIn(String person, String role) {
        String idToken = Jwt.issuer(provider.baseUrl()).audience("domo-migration-console").subject(person)
                .preferredUserName(person).groups(java.util.Set.of(role)).expiresIn(300).jws()
                .keyId("k1").sign(signingKey);
        provider.stubFor(post("/oauth2/token").willReturn(json("{\"id_token\":\"" + idToken + "\","
                + "\"access_token\":\"opaque-access-token\",\"token_type\":\"Bearer\",\"expires_in\":300}")));
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> parameters = new HashMap<>();
        for (String pair : uri.getRawQuery().split("&")) {
            List<String> parts = List.of(pair.split("=", 2));
            parameters.put(parts.get(0), parts.size() < 2 ? "" : URLDecoder.decode(parts.get(1), StandardCharsets.UTF_8));
        }
        return parameters;
    }

    private static byte[] unsigned(byte[] bytes) {
        return bytes.length > 1 && bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }

    /** The packaged application against the test database, with an unreachable Domo and these settings. */
    private static PackagedApp start(String name, Map<String, String> settings) throws IOException {
        return launch(name, settings).awaitReady();
    }

    private static PackagedApp launch(String name, Map<String, String> settings) throws IOException {
        Map<String, String> env = new HashMap<>(Map.of("DOMO_BASE_URL", "http://127.0.0.1:9",
                "DOMO_DEVELOPER_TOKEN", "console-it-token", "PROXY_API_KEYS_FILE", keys.toString()));
        env.putAll(settings);
        return PackagedApp.start(name, postgres, env);
    }
}
