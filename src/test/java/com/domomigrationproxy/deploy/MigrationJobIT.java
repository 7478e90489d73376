package com.domomigrationproxy.deploy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.ChartCopy;
import com.domomigrationproxy.support.PackagedApp;
import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;

import io.restassured.path.json.JsonPath;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The chart's two-role deployment, run with the packaged application and the environment the
 * chart renders for each container (its Secrets' keys given the test roles' credentials, and its
 * file paths local files): the hook Job migrates as the schema owner and exits; a proxy pod, which
 * holds only the application role's credentials, refuses to start before that (the schema is not
 * the one it knows) and afterwards validates, serves and records an operation. Runs in the
 * integration-test phase of ./mvnw verify, after packaging.
 */
class MigrationJobIT {

    /** The chart copy that renderChart() templates; JUnit removes it after the class. */
    @TempDir
    static Path chartDirectory;

    private static final String DATABASE = "proxy_two_roles";
    private static final String OWNER = "proxy_owner_it";
    private static final String APP = "proxy_app_it";
    private static final String OPERATOR_KEY = "migration-job-it-operator-key";
    private static final String AUDITOR_KEY = "migration-job-it-auditor-key";
    private static final String APPROVER_KEY = "migration-job-it-approver-key";
    /** The sandbox's other candidate of account 2, which a plan migrates. */
    private static final String PLANNED = "F495e28ec-77aa-4d6e-8f10-2b3c4d5e6f70";
    private static final String DATASOURCE = "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01";

    private static final String OWNER_SECRET = "proxy-db-owner";
    private static final String APP_SECRET = "proxy-db-app";

    private static EmbeddedPostgres postgres;
    private static String url;
    private static Path keys;
    private static Map<String, JsonNode> chart;

    @BeforeAll
    static void twoRoles() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        url = postgres.getJdbcUrl("postgres", DATABASE).replaceFirst("\\?.*", "");
        // The administrator's set-up from docs/deploying.md ("PostgreSQL: two roles").
        try (Connection admin = postgres.getPostgresDatabase().getConnection(); Statement sql = admin.createStatement()) {
            sql.execute("CREATE ROLE " + OWNER + " LOGIN PASSWORD 'owner-secret'");
            sql.execute("CREATE ROLE " + APP + " LOGIN PASSWORD 'app-secret'");
            sql.execute("CREATE DATABASE " + DATABASE + " OWNER " + OWNER);
        }
        try (Connection admin = DriverManager.getConnection(url, "postgres", ""); Statement sql = admin.createStatement()) {
            sql.execute("REVOKE ALL ON DATABASE " + DATABASE + " FROM PUBLIC");
            sql.execute("GRANT CONNECT ON DATABASE " + DATABASE + " TO " + APP);
            sql.execute("ALTER SCHEMA public OWNER TO " + OWNER);
            sql.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
            sql.execute("GRANT USAGE ON SCHEMA public TO " + APP);
        }
        chart = renderChart();
        keys = Files.createTempFile("api-keys", ".json");
        keys.toFile().deleteOnExit();
        Files.writeString(keys, "[{\"name\":\"operator-svc\",\"sha256\":\"" + ApiKeys.sha256(OPERATOR_KEY)
                + "\",\"roles\":[\"reader\",\"operator\"]},{\"name\":\"auditor-svc\",\"sha256\":\""
                + ApiKeys.sha256(AUDITOR_KEY) + "\",\"roles\":[\"auditor\"]},{\"name\":\"approver-svc\",\"sha256\":\""
                + ApiKeys.sha256(APPROVER_KEY) + "\",\"roles\":[\"approver\"]}]");
    }

    @AfterAll
    static void stop() throws IOException {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void theJobMigratesAsTheOwnerAndThePodsOnlyValidateAndServeAsTheApplicationRole() throws Exception {
        // Before the Job ran, a pod does not serve against a schema it does not know.
        Map<String, String> pod = podEnvironment();
        Result early = runToExit("migration-job-it-pod-first", pod);
        assertThat(early.status()).as(early.output()).isNotZero();
        assertThat(early.output()).contains("Validate failed");
        assertThat(tables()).doesNotContain("operation");

        // The Job: Flyway as the owner, then exit; no Domo setting, no port, no API key.
        Map<String, String> jobEnvironment = environment(container(chart.get("Job")));
        assertThat(jobEnvironment).containsEntry("QUARKUS_DATASOURCE_USERNAME", OWNER)
                .containsEntry("PROXY_DB_APP_ROLE", APP).doesNotContainKey("DOMO_DEVELOPER_TOKEN_FILE");
        Result job = runToExit("migration-job-it-job", jobEnvironment);
        assertThat(job.status()).as(job.output()).isZero();
        try (Connection admin = DriverManager.getConnection(url, "postgres", ""); Statement sql = admin.createStatement()) {
            assertThat(single(sql, "SELECT count(*) FROM flyway_schema_history WHERE success AND version IS NOT NULL"))
                    .isEqualTo(Long.toString(migrationFiles()));
            assertThat(single(sql, "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event'")).isEqualTo(OWNER);
            assertThat(single(sql, "SELECT has_table_privilege('" + APP + "', 'audit_event', 'INSERT')")).isEqualTo("t");
            assertThat(single(sql, "SELECT has_table_privilege('" + APP + "', 'audit_event', 'UPDATE')")).isEqualTo("f");
            assertThat(single(sql, "SELECT has_table_privilege('" + APP + "', 'audit_event', 'DELETE')")).isEqualTo("f");
        }

        // A pod now validates, serves and records as the application role: every kind of write the
        // service makes, with its own statements, so that a grant the callback leaves out fails here.
        Map<String, String> serving = new HashMap<>(pod);
        serving.put("DOMO_SANDBOX_ENABLED", "true");
        serving.put("PROXY_AUDIT_SIGNING_KEY_FILE", signingKey().toString());
        try (Siem siem = new Siem()) {
            serving.put("PROXY_AUDIT_SYSLOG_URL", "tcp://127.0.0.1:" + siem.port());
            try (PackagedApp app = PackagedApp.start("migration-job-it-pod", postgres, serving).awaitReady()) {
                everyWriteAsTheApplicationRole(app.port());
                assertThat(Files.readString(app.log())).doesNotContain("Migrating schema")
                        .doesNotContain("permission denied");
            }
        }
        try (Connection admin = DriverManager.getConnection(url, "postgres", ""); Statement sql = admin.createStatement()) {
            assertThat(single(sql, "SELECT string_agg(direction || ' ' || requested_by || ' ' || state, ', '"
                    + " ORDER BY requested_at) FROM operation WHERE plan_id IS NULL"))
                    .isEqualTo("V1_TO_V2 operator-svc COMPLETE, V2_TO_V1 operator-svc COMPLETE");
        }
        // A Domo slower than the deadline: the outcome is unknown, and reconciliation records what Domo then
        // shows, as the application role too (its own columns of the operation row).
        Map<String, String> slow = new HashMap<>(serving);
        slow.remove("PROXY_AUDIT_SYSLOG_URL");
        slow.putAll(Map.of("DOMO_SANDBOX_LATENCY", "4s", "DOMO_MIGRATION_TIMEOUT", "1s", "DOMO_CONNECT_TIMEOUT", "200ms",
                "PROXY_RECONCILIATION_INTERVAL", "1s", "PROXY_RECONCILIATION_PENDING_GRACE", "5s",
                "PROXY_RECONCILIATION_CLOCK_SKEW", "0s"));
        try (PackagedApp app = PackagedApp.start("migration-job-it-pod-reconciling", postgres, slow).awaitReady()) {
            String operationId = given().port(app.port()).header("X-API-Key", OPERATOR_KEY).contentType("application/json")
                    .body("{\"accountId\":\"2\",\"catalog\":\"sales\",\"schema\":\"NULL\",\"table\":\"orders\"}")
                    .post("/api/v1/datasources/" + DATASOURCE + "/migrations").then().statusCode(504)
                    .extract().path("operationId");
            assertThat(operationId).isNotNull();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> given()
                    .port(app.port()).header("X-API-Key", AUDITOR_KEY).get("/api/v1/audit/operations/" + operationId)
                    .then().statusCode(200).body("reconciliation.state", org.hamcrest.Matchers.notNullValue()));
            assertThat(Files.readString(app.log())).doesNotContain("permission denied");
        }
        try (Connection admin = DriverManager.getConnection(url, "postgres", ""); Statement sql = admin.createStatement()) {
            // A later release has migrated the schema (its rolling update, before a rollback): this one's Job
            // and pods still run on it. Flyway failed them on each migration it had no file for.
            sql.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,"
                    + " checksum, installed_by, execution_time, success) SELECT max(installed_rank) + 1, '999',"
                    + " 'a later release', 'SQL', 'V999__a_later_release.sql', 0, '" + OWNER + "', 1, true"
                    + " FROM flyway_schema_history");
        }
        Result rollback = runToExit("migration-job-it-job-after-later", jobEnvironment);
        assertThat(rollback.status()).as(rollback.output()).isZero();
        try (PackagedApp app = PackagedApp.start("migration-job-it-pod-after-later", postgres, serving).awaitReady()) {
            given().port(app.port()).header("X-API-Key", AUDITOR_KEY).get("/api/v1/audit/integrity").then()
                    .statusCode(200).body("chainValid", equalTo(true));
        }
    }

    /**
     * A migration with an Idempotency-Key and its reversal (the operation row, its outcome, the chain head, the
     * key), a plan approved by a second caller and run (plan, items, approval, plan events), a signed
     * checkpoint, the audit stream's cursor, and the principals' last use.
     */
    private static void everyWriteAsTheApplicationRole(int port) throws SQLException {
        given().port(port).header("X-API-Key", OPERATOR_KEY).header("Idempotency-Key", "migration-job-it-1")
                .contentType("application/json")
                .body("{\"accountId\":\"2\",\"catalog\":\"sales\",\"schema\":\"NULL\",\"table\":\"orders\"}")
                .post("/api/v1/datasources/" + DATASOURCE + "/migrations").then().statusCode(200)
                .body("state", equalTo("COMPLETE")).body("requestedBy", equalTo("operator-svc"));
        given().port(port).header("X-API-Key", OPERATOR_KEY).post("/api/v1/datasources/" + DATASOURCE + "/reversals")
                .then().statusCode(200).body("state", equalTo("COMPLETE"));

        JsonPath plan = given().port(port).header("X-API-Key", OPERATOR_KEY).contentType("application/json")
                .body("{\"name\":\"two roles\",\"direction\":\"V1_TO_V2\",\"maxConcurrency\":1,\"items\":[{\"datasourceId\":\""
                        + PLANNED + "\",\"accountId\":\"2\",\"catalog\":\"sales\",\"schema\":\"NULL\",\"table\":\"customers\"}]}")
                .post("/api/v1/plans").then().statusCode(201).body("counts.READY", equalTo(1)).extract().jsonPath();
        String planId = plan.getString("planId");
        given().port(port).header("X-API-Key", APPROVER_KEY).contentType("application/json")
                .body("{\"decision\":\"APPROVE\",\"contentHash\":\"" + plan.getString("contentHash") + "\"}")
                .post("/api/v1/plans/" + planId + "/approvals").then().statusCode(200);
        given().port(port).header("X-API-Key", OPERATOR_KEY).post("/api/v1/plans/" + planId + "/start").then()
                .statusCode(200);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> given().port(port)
                .header("X-API-Key", OPERATOR_KEY).get("/api/v1/plans/" + planId).then().statusCode(200)
                .body("state", equalTo("FINISHED")).body("counts.COMPLETE", equalTo(1)));

        given().port(port).header("X-API-Key", AUDITOR_KEY).post("/api/v1/audit/checkpoints").then().statusCode(201);
        given().port(port).header("X-API-Key", AUDITOR_KEY).get("/api/v1/audit/integrity").then().statusCode(200)
                .body("chainValid", equalTo(true)).body("checkpointsValid", equalTo(true));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            JsonPath principals = given().port(port).header("X-API-Key", AUDITOR_KEY).get("/api/v1/audit/principals")
                    .then().statusCode(200).extract().jsonPath();
            assertThat(principals.getString("items.find { it.principal == 'approver-svc' }.lastUsedAt")).isNotNull();
        });
        try (Connection admin = DriverManager.getConnection(url, "postgres", ""); Statement sql = admin.createStatement()) {
            long head = Long.parseLong(single(sql, "SELECT seq FROM audit_chain_head"));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
                    Long.parseLong(single(sql, "SELECT seq FROM audit_stream_cursor")) >= head);
            assertThat(single(sql, "SELECT principal || ' ' || response_status FROM idempotency_key"
                    + " WHERE idempotency_key = 'migration-job-it-1'")).isEqualTo("operator-svc 200");
        }
    }

    /** An Ed25519 signing key for checkpoints, as PKCS#8 PEM. */
    private static Path signingKey() throws Exception {
        Path key = Files.createTempFile("checkpoint-key", ".pem");
        key.toFile().deleteOnExit();
        byte[] der = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded();
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(der)
                + "\n-----END PRIVATE KEY-----\n");
        return key;
    }

    /** A syslog receiver over TCP that takes whatever the audit stream sends. */
    private static final class Siem implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());

        Siem() throws IOException {
            Thread reader = new Thread(this::read, "migration-job-it-siem");
            reader.setDaemon(true);
            reader.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void read() {
            byte[] buffer = new byte[8192];
            while (!server.isClosed()) {
                try (Socket connection = server.accept(); InputStream in = connection.getInputStream()) {
                    while (in.read(buffer) >= 0) {
                        // taken: what a SIEM does with it is not this test's subject
                    }
                } catch (IOException e) {
                    // closed, or the service reconnects
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** What the chart gives a proxy pod of the two-role setup, with a sandbox instead of Domo. */
    private static Map<String, String> podEnvironment() throws IOException {
        Map<String, String> env = environment(container(chart.get("Deployment")));
        assertThat(env).containsEntry("QUARKUS_DATASOURCE_USERNAME", APP).doesNotContainValue(OWNER)
                .containsEntry("QUARKUS_FLYWAY_MIGRATE_AT_START", "false")
                .containsEntry("QUARKUS_FLYWAY_VALIDATE_AT_START", "true");
        Path token = Files.createTempFile("domo-token", "");
        token.toFile().deleteOnExit();
        Files.writeString(token, "migration-job-it-token");
        env.put("DOMO_DEVELOPER_TOKEN_FILE", token.toString());
        env.put("PROXY_API_KEYS_FILE", keys.toString());
        env.put("DOMO_BASE_URL", "http://127.0.0.1:9");
        return env;
    }

    /** The Deployment and the migration Job the chart renders for a two-role install, by kind. */
    private static Map<String, JsonNode> renderChart() throws IOException {
        Path copy = ChartCopy.of(chartDirectory);
        ChartCopy.unhook(copy, "templates/migration-job.yaml");
        TemplateCommand template = new Helm(copy).template().withName("it").withNamespace("it")
                .withKubeVersion("v1.31.0")
                .set("domo.baseUrl", "https://acme.domo.com").set("domo.existingSecret", "domo-token")
                .set("database.host", "db").set("database.existingSecret", APP_SECRET)
                .set("database.migration.existingSecret", OWNER_SECRET)
                .set("apiKeys.existingSecret", "api-keys");
        Map<String, JsonNode> byKind = new HashMap<>();
        for (JsonNode document : ChartCopy.documents(template.call())) {
            byKind.put(document.path("kind").asText(), document);
        }
        return byKind;
    }

    private static JsonNode container(JsonNode workload) {
        assertThat(workload).as("rendered workload").isNotNull();
        return workload.at("/spec/template/spec/containers/0");
    }

    /**
     * A container's environment as the chart renders it: values as they are, the database Secrets'
     * keys as the test roles' credentials, and the JDBC URL the test database's.
     */
    private static Map<String, String> environment(JsonNode container) {
        Map<String, String> credentials = Map.of(OWNER_SECRET + "/username", OWNER, OWNER_SECRET + "/password",
                "owner-secret", APP_SECRET + "/username", APP, APP_SECRET + "/password", "app-secret");
        Map<String, String> env = new HashMap<>();
        for (JsonNode variable : container.path("env")) {
            String name = variable.get("name").asText();
            if (variable.has("value")) {
                env.put(name, variable.get("value").asText());
            } else {
                JsonNode key = variable.at("/valueFrom/secretKeyRef");
                String credential = credentials.get(key.path("name").asText() + "/" + key.path("key").asText());
                assertThat(credential).as("the test knows Secret key of %s", name).isNotNull();
                env.put(name, credential);
            }
        }
        env.put("QUARKUS_DATASOURCE_JDBC_URL", url);
        return env;
    }

    private record Result(int status, String output) {
    }

    /** The packaged application with this environment, run until it exits (at most three minutes). */
    private static Result runToExit(String name, Map<String, String> environment) throws Exception {
        Path log = Path.of("target", name + ".log");
        ProcessBuilder builder = new ProcessBuilder(PackagedApp.command(List.of())).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("QUARKUS_HTTP_PORT", "0");
        builder.environment().put("QUARKUS_MANAGEMENT_PORT", "0");
        builder.environment().putAll(environment);
        Process process = builder.start();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(name + " did not exit within three minutes; see " + log);
        }
        return new Result(process.exitValue(), Files.readString(log));
    }

    private static List<String> tables() throws SQLException {
        try (Connection admin = DriverManager.getConnection(url, "postgres", ""); Statement sql = admin.createStatement();
                ResultSet rows = sql.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
            List<String> names = new ArrayList<>();
            while (rows.next()) {
                names.add(rows.getString(1));
            }
            return names;
        }
    }

    private static String single(Statement sql, String query) throws SQLException {
        try (ResultSet row = sql.executeQuery(query)) {
            assertThat(row.next()).as(query).isTrue();
            return row.getString(1);
        }
    }

    private static long migrationFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src", "main", "resources", "db", "migration"))) {
            return files.map(Path::getFileName).map(Path::toString).filter(name -> name.matches("V\\d+__.*\\.sql")).count();
        }
    }
}
