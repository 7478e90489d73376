package com.domomigrationproxy.deploy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.PackagedApp;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The audit trail's database over TLS, as deploying.md tells a managed database to be reached:
 * {@code sslmode=verify-full} with the server's CA as {@code sslrootcert} (the chart mounts it
 * through extraVolumes). The packaged application starts, migrates and records over an encrypted
 * connection; a server certificate that the named CA did not sign, or that names another host than
 * the URL's, stops the start before any credential is sent. Runs in the integration-test phase of
 * ./mvnw verify.
 */
class DatabaseTlsIT {

    private static final String SECRET = "database-tls-it-key";

    @TempDir
    static Path work;
    private static EmbeddedPostgres postgres;
    private static Path serverCa;
    private static Path otherCa;
    private static Path keys;
    private static final List<PackagedApp> apps = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        serverCa = certificate("server");
        otherCa = certificate("other");
        Path serverKey = work.resolve("server-key.pem");
        // PostgreSQL refuses a private key that others may read.
        Files.setPosixFilePermissions(serverKey, PosixFilePermissions.fromString("rw-------"));
        postgres = EmbeddedPostgres.builder().setServerConfig("ssl", "on")
                .setServerConfig("ssl_cert_file", serverCa.toString())
                .setServerConfig("ssl_key_file", serverKey.toString()).start();
        keys = Files.writeString(work.resolve("api-keys.json"), "[{\"name\":\"database-tls-it\",\"sha256\":\""
                + ApiKeys.sha256(SECRET) + "\",\"roles\":[\"operator\",\"auditor\"]}]");
    }

    @AfterAll
    static void stop() throws Exception {
        for (PackagedApp app : apps) {
            app.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void verifyFullWithTheServersCaCarriesTheTrailOverTls() throws Exception {
        PackagedApp app = start("database-tls-verified", "127.0.0.1", serverCa).awaitReady();
        // One of the sandbox's own V1 data sources, under its account 2.
        String datasource = "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01";
        String operationId = given().port(app.port()).header("X-API-Key", SECRET).contentType("application/json")
                .body("{\"accountId\":\"2\",\"catalog\":\"sales\",\"schema\":\"NULL\",\"table\":\"orders\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200)
                .body("state", equalTo("COMPLETE")).extract().path("operationId");
        given().port(app.port()).header("X-API-Key", SECRET).get("/api/v1/audit/operations/" + operationId)
                .then().statusCode(200).body("datasourceId", equalTo(datasource));
        // The pool's connections are encrypted (this test's own connection is left out by its pid).
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement sql = connection.createStatement();
                ResultSet row = sql.executeQuery("SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl)"
                        + " FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"
                        + " WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()")) {
            row.next();
            assertThat(row.getInt(1)).as("encrypted connections").isPositive();
            assertThat(row.getInt(2)).as("unencrypted connections besides this test's").isZero();
        }
    }

    @Test
    void aServerCertificateTheNamedCaDidNotSignStopsTheStart() throws Exception {
        assertThat(start("database-tls-other-ca", "127.0.0.1", otherCa).awaitRefusedStart())
                .contains("PKIX path");
    }

    @Test
    void aServerCertificateForAnotherHostStopsTheStart() throws Exception {
        assertThat(start("database-tls-other-host", "localhost", serverCa).awaitRefusedStart())
                .contains("The hostname localhost could not be verified");
    }

    private static PackagedApp start(String name, String host, Path rootCertificate) throws Exception {
        PackagedApp app = PackagedApp.start(name, postgres, Map.of(
                "QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://" + host + ":" + postgres.getPort()
                        + "/postgres?sslmode=verify-full&sslrootcert=" + rootCertificate,
                "DOMO_SANDBOX_ENABLED", "true",
                "PROXY_API_KEYS_FILE", keys.toString()));
        apps.add(app);
        return app;
    }

    /** A self-signed certificate for 127.0.0.1 (its own CA), with its key beside it. */
    private static Path certificate(String name) throws Exception {
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", name + "-key.pem", "-out", name + ".pem", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1").directory(work.toFile()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes());
        assertThat(openssl.waitFor()).as(output).isZero();
        return work.resolve(name + ".pem");
    }
}
