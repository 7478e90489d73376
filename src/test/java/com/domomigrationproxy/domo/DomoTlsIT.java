package com.domomigrationproxy.domo;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.deploy.AotTraining;
import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.ConnectProxy;
import com.domomigrationproxy.support.PackagedApp;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.restassured.specification.RequestSpecification;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The packaged application calls Domo over https://, as in production, and trusts what the JVM's
 * trust store trusts (here a trust store made for the test, given with -Djavax.net.ssl.trustStore;
 * in production the JDK's cacerts, which holds Domo's public CA).
 * A certificate that verifies carries reads and migrations. One that names another host than the
 * one called, or that nothing trusts, ends the call in the handshake: no request, and so no
 * developer token, reaches that server; the caller gets 502 and the migration's audit record says
 * it failed without reaching Domo. DOMO_CA_FILE trusts its CA instead of the JVM's: a Domo (or an
 * egress proxy) whose certificate it signed is reached, one the JVM alone trusts is not. Through
 * DOMO_PROXY_URL, Domo is reached in a CONNECT tunnel that carries TLS end to end (the proxy never
 * sees the token), and a proxy that refuses the credentials stops the call before anything is sent.
 * Runs in the integration-test phase of ./mvnw verify.
 */
class DomoTlsIT {

    private static final String PASSWORD = "domo-tls-it-store";
    private static final String SECRET = "domo-tls-it-key";
    private static final String TOKEN = "domo-tls-it-token";
    private static final String PREFIX = "/api/query/migration/federated/v1/to/v2";
    private static final String PROXY_USER = "egress";
    private static final String PROXY_PASSWORD = "domo-tls-it-proxy-password";

    @TempDir
    static Path work;
    private static EmbeddedPostgres postgres;
    /** Serves a certificate for 127.0.0.1 that the applications trust. */
    private static WireMockServer trusted;
    /** Serves another certificate for 127.0.0.1, which nothing trusts. */
    private static WireMockServer untrusted;
    /** Serves a third certificate for 127.0.0.1, which only DOMO_CA_FILE trusts. */
    private static WireMockServer privateCa;
    private static final List<PackagedApp> apps = new ArrayList<>();
    /** Calls the trusted server by the address its certificate names. */
    private static PackagedApp byAddress;
    /** Calls the trusted server as localhost, a name its certificate does not hold. */
    private static PackagedApp byOtherName;
    /** Calls the untrusted server. */
    private static PackagedApp toUntrusted;
    /** Calls the private-CA server with its certificate as DOMO_CA_FILE. */
    private static PackagedApp byCaFile;
    /** Calls the trusted server with the private-CA server's certificate as DOMO_CA_FILE. */
    private static PackagedApp byOtherCaFile;
    /** The egress proxy that the next two go through. */
    private static ConnectProxy proxy;
    /** Calls the private-CA server through the proxy, with the proxy's credentials. */
    private static PackagedApp throughProxy;
    /** The same with a wrong proxy password. */
    private static PackagedApp throughProxyRefused;

    @BeforeAll
    static void start() throws Exception {
        Path trustedStore = work.resolve("trusted.p12");
        Path untrustedStore = work.resolve("untrusted.p12");
        Path privateCaStore = work.resolve("private-ca.p12");
        for (Path store : List.of(trustedStore, untrustedStore, privateCaStore)) {
            AotTraining.certificate(store, PASSWORD);
        }
        trusted = domo(trustedStore);
        untrusted = domo(untrustedStore);
        privateCa = domo(privateCaStore);
        postgres = EmbeddedPostgres.builder().start();
        Path keys = work.resolve("api-keys.json");
        Files.writeString(keys, "[{\"name\":\"tls-it\",\"sha256\":\"" + ApiKeys.sha256(SECRET)
                + "\",\"roles\":[\"reader\",\"operator\",\"auditor\"]}]");
        List<String> trust = List.of("-Djavax.net.ssl.trustStore=" + trustedStore,
                "-Djavax.net.ssl.trustStoreType=PKCS12", "-Djavax.net.ssl.trustStorePassword=" + PASSWORD);
        byAddress = start("domo-tls-by-address", "https://127.0.0.1:" + trusted.httpsPort(), keys, trust);
        byOtherName = start("domo-tls-other-name", "https://localhost:" + trusted.httpsPort(), keys, trust);
        toUntrusted = start("domo-tls-untrusted", "https://127.0.0.1:" + untrusted.httpsPort(), keys, trust);
        Path ca = pem(privateCaStore, work.resolve("private-ca.pem"));
        byCaFile = start("domo-tls-ca-file", "https://127.0.0.1:" + privateCa.httpsPort(), keys, trust,
                Map.of("DOMO_CA_FILE", ca.toString()));
        byOtherCaFile = start("domo-tls-other-ca-file", "https://127.0.0.1:" + trusted.httpsPort(), keys, trust,
                Map.of("DOMO_CA_FILE", ca.toString()));
        proxy = ConnectProxy.start(PROXY_USER, PROXY_PASSWORD);
        String proxyUrl = "http://127.0.0.1:" + proxy.port();
        throughProxy = start("domo-tls-proxy", "https://127.0.0.1:" + privateCa.httpsPort(), keys, trust,
                Map.of("DOMO_CA_FILE", ca.toString(), "DOMO_PROXY_URL", proxyUrl,
                        "DOMO_PROXY_USERNAME", PROXY_USER, "DOMO_PROXY_PASSWORD", PROXY_PASSWORD));
        throughProxyRefused = start("domo-tls-proxy-refused", "https://127.0.0.1:" + privateCa.httpsPort(), keys,
                trust, Map.of("DOMO_CA_FILE", ca.toString(), "DOMO_PROXY_URL", proxyUrl,
                        "DOMO_PROXY_USERNAME", PROXY_USER, "DOMO_PROXY_PASSWORD", "not-" + PROXY_PASSWORD));
        for (PackagedApp app : apps) {
            app.awaitReady();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (PackagedApp app : apps) {
            app.close();
        }
        if (trusted != null) {
            trusted.stop();
        }
        if (untrusted != null) {
            untrusted.stop();
        }
        if (privateCa != null) {
            privateCa.stop();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aCertificateThatVerifiesCarriesReadsAndMigrations() {
        carriesReadsAndMigrations(byAddress, trusted);
    }

    @Test
    void aCertificateForAnotherHostEndsTheCallBeforeAnythingIsSent() throws Exception {
        refusedWithoutReachingDomo(byOtherName, trusted);
        // The handshake itself refused the name: not a connection to localhost that never happened.
        assertThat(Files.readString(byOtherName.log())).contains("No name matching localhost found");
    }

    @Test
    void aCaFileCarriesReadsAndMigrationsToADomoTheJvmDoesNotTrust() {
        carriesReadsAndMigrations(byCaFile, privateCa);
    }

    @Test
    void aCaFileReplacesTheJvmsCas() {
        refusedWithoutReachingDomo(byOtherCaFile, trusted);
    }

    @Test
    void throughAnEgressProxyTheTokenTravelsInATunnelTheProxyCannotRead() throws Exception {
        String domo = "127.0.0.1:" + privateCa.httpsPort();
        call(throughProxy).get("/api/v1/integration-types").then().statusCode(200);
        // The reads' connection (this GET's, or the token check's before it) is a tunnel.
        assertThat(proxy.tunnels()).contains(domo);
        // The writes have a client and connections of their own: the first migration opens one.
        int before = proxy.tunnels().size();
        carriesReadsAndMigrations(throughProxy, privateCa);
        assertThat(proxy.tunnels().subList(before, proxy.tunnels().size())).isNotEmpty()
                .allMatch(tunnel -> tunnel.equals(domo));
        assertThat(new String(proxy.seen(), StandardCharsets.ISO_8859_1)).doesNotContain(TOKEN);
        assertThat(Files.readString(throughProxy.log())).doesNotContain(PROXY_PASSWORD);
    }

    @Test
    void aProxyThatRefusesTheCredentialsEndsTheCallBeforeAnythingIsSent() throws Exception {
        int refusedBefore = proxy.refused();
        refusedWithoutReachingDomo(throughProxyRefused, privateCa);
        assertThat(proxy.refused()).isGreaterThan(refusedBefore);
        assertThat(Files.readString(throughProxyRefused.log())).doesNotContain(PROXY_PASSWORD);
    }

    @Test
    void aCaFileThatHoldsNoCertificateStopsTheStart() throws Exception {
        Path notACertificate = Files.writeString(work.resolve("not-a-ca.pem"), "not a certificate\n");
        PackagedApp app = start("domo-tls-bad-ca-file", "https://127.0.0.1:" + trusted.httpsPort(),
                work.resolve("api-keys.json"), List.of(), Map.of("DOMO_CA_FILE", notACertificate.toString()));
        assertThat(app.awaitRefusedStart()).contains("DOMO_CA_FILE " + notACertificate + " holds no PEM certificate");
    }

    @Test
    void aCertificateNothingTrustsEndsTheCallBeforeAnythingIsSent() {
        refusedWithoutReachingDomo(toUntrusted, untrusted);
        assertThat(untrusted.findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }

    private static void carriesReadsAndMigrations(PackagedApp app, WireMockServer server) {
        call(app).get("/api/v1/integration-types").then().statusCode(200)
                .body("[0]", equalTo("mysql-federated"));
        String datasource = UUID.randomUUID().toString();
        call(app).contentType("application/json").body(migration())
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200)
                .body("state", equalTo("COMPLETE"));
        server.verify(getRequestedFor(urlEqualTo(PREFIX + "/types"))
                .withHeader("X-DOMO-Developer-Token", WireMock.equalTo(TOKEN)));
        server.verify(1, postRequestedFor(urlEqualTo(PREFIX + "/" + datasource + "/accounts/2"))
                .withHeader("X-DOMO-Developer-Token", WireMock.equalTo(TOKEN)));
    }

    private static void refusedWithoutReachingDomo(PackagedApp app, WireMockServer server) {
        call(app).get("/api/v1/integration-types").then().statusCode(502)
                .body("type", endsWith("domo-unavailable"));
        String datasource = UUID.randomUUID().toString();
        String operationId = call(app).contentType("application/json").body(migration())
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(502)
                .body("type", endsWith("domo-unavailable")).extract().path("operationId");
        assertThat(operationId).isNotNull();
        call(app).get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .body("state", equalTo("FAILED"));
        // Certainly not sent, so the data source is free at once: a second try is refused the same way, not 409.
        call(app).contentType("application/json").body(migration())
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(502);
        assertThat(server.findAll(postRequestedFor(urlMatching(PREFIX + "/" + datasource + "/.*")))).isEmpty();
    }

    private static RequestSpecification call(PackagedApp app) {
        return given().port(app.port()).header("X-API-Key", SECRET);
    }

    private static String migration() {
        return "{\"accountId\":\"2\",\"catalog\":\"sales\",\"schema\":\"NULL\",\"table\":\"orders\"}";
    }

    private static PackagedApp start(String name, String domoBaseUrl, Path keys, List<String> trust)
            throws Exception {
        return start(name, domoBaseUrl, keys, trust, Map.of());
    }

    private static PackagedApp start(String name, String domoBaseUrl, Path keys, List<String> trust,
            Map<String, String> more) throws Exception {
        Map<String, String> settings = new HashMap<>(more);
        settings.put("DOMO_BASE_URL", domoBaseUrl);
        settings.put("DOMO_DEVELOPER_TOKEN", TOKEN);
        settings.put("PROXY_API_KEYS_FILE", keys.toString());
        // Each refusal here counts as a Domo failure (a read's retries count one each): the breaker
        // (CircuitBreakerTest) would soon answer 503 without trying the handshake that is under test.
        settings.put("DOMO_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "1000");
        PackagedApp app = PackagedApp.start(name, postgres, settings, trust);
        apps.add(app);
        return app;
    }

    /** The store's self-signed certificate, PEM-encoded, as a CA file names it. */
    private static Path pem(Path store, Path file) throws Exception {
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, PASSWORD.toCharArray());
        }
        byte[] der = keyStore.getCertificate(keyStore.aliases().nextElement()).getEncoded();
        return Files.writeString(file, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n");
    }

    private static WireMockServer domo(Path keyStore) {
        WireMockServer server = new WireMockServer(WireMockConfiguration.options().httpDisabled(true)
                .dynamicHttpsPort().keystorePath(keyStore.toString()).keystoreType("PKCS12")
                .keystorePassword(PASSWORD).keyManagerPassword(PASSWORD));
        server.start();
        server.stubFor(get(urlEqualTo(PREFIX + "/types")).willReturn(okJson("[\"mysql-federated\"]")));
        server.stubFor(post(urlMatching(PREFIX + "/[^/]+/accounts/2")).willReturn(okJson("{\"state\":\"COMPLETE\",\"toe\":\"TLS-IT\"}")));
        return server;
    }
}
