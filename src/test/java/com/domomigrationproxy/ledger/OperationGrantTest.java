package com.domomigrationproxy.ledger;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.contains;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.SchemaUpgrade;
import com.domomigrationproxy.support.Tokens;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/**
 * Each grant is stored once (V24): operations name it by the SHA-256 of its text, and the column
 * {@code scopes} is filled from it for the release before V24, whose replicas write text alone
 * during a rolling upgrade and get the digest filled in. Grants are never changed.
 */
@QuarkusTest
class OperationGrantTest {

    @Inject
    DataSource dataSource;

    @Test
    void operationsUnderOneGrantNameItOnce() {
        String account = "grant-" + System.nanoTime();
        String jwt = Tokens.claims("grant-holder", "operator")
                .claim("domo_scopes", Map.of("accounts", List.of("1", account))).sign(Tokens.privateKey());
        String first = migrate(jwt);
        String second = migrate(jwt);

        List<Map<String, Object>> rows = OperationRows.query(dataSource, """
                SELECT o.scopes_digest, o.scopes, g.scopes AS stored FROM operation o
                  JOIN operation_grant g ON g.digest = o.scopes_digest
                 WHERE o.operation_id IN (?::uuid, ?::uuid)""", first, second);
        assertThat(rows).hasSize(2);
        String text = "{\"accounts\":[\"1\",\"" + account + "\"]}";
        for (Map<String, Object> row : rows) {
            assertThat(row.get("scopes_digest")).isEqualTo(sha256(text));
            assertThat(row.get("stored")).isEqualTo(text);
            assertThat(row.get("scopes")).as("filled for the previous release's readers").isEqualTo(text);
        }
        assertThat(OperationRows.query(dataSource, "SELECT 1 FROM operation_grant WHERE scopes = ?", text)).hasSize(1);
        // The API shows the grant as before.
        Api.asAuditor().get("/api/v1/audit/operations/" + first).then().statusCode(200)
                .body("scopes.accounts", contains("1", account));
    }

    /**
     * Writers that store one new grant at once, with and without an Idempotency-Key (whose
     * transaction holds the grant until it commits): each stores it under the chain head's lock, so
     * none waits on another's uncommitted grant while holding the head.
     */
    @Test
    void concurrentFirstUsesOfOneGrantStoreItOnce() throws Exception {
        String account = "together-" + System.nanoTime();
        String jwt = Tokens.claims("grant-together", "operator")
                .claim("domo_scopes", Map.of("accounts", List.of("1", account))).sign(Tokens.privateKey());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> ids = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String key = i % 2 == 0 ? UUID.randomUUID().toString() : null;
                ids.add(pool.submit(() -> migrate(jwt, key)));
            }
            for (Future<String> id : ids) {
                assertThat(id.get(60, TimeUnit.SECONDS)).isNotNull();
            }
        } finally {
            pool.shutdownNow();
        }
        String text = "{\"accounts\":[\"1\",\"" + account + "\"]}";
        assertThat(OperationRows.query(dataSource, "SELECT 1 FROM operation_grant WHERE scopes = ?", text)).hasSize(1);
        assertThat(OperationRows.query(dataSource, "SELECT 1 FROM operation WHERE scopes_digest = ?", sha256(text)))
                .hasSize(16);
    }

    @Test
    void aRowWrittenAsThePreviousReleaseWritesItGetsItsDigest() throws SQLException {
        String text = "{\"accounts\":[\"previous-" + System.nanoTime() + "\"]}";
        String id = UUID.randomUUID().toString();
        try (Connection connection = connect(); Statement sql = connection.createStatement()) {
            connection.setAutoCommit(false);
            sql.execute(PREVIOUS_RELEASE.formatted("'" + id + "', 'V2_TO_V1', 'ds-previous', 'someone', 'jwt', 'r', now(),"
                    + " '" + text + "'", id));
            try (ResultSet row = sql.executeQuery("SELECT o.scopes_digest, o.scopes, o.intent_seq = e.seq"
                    + " FROM operation o JOIN audit_event e ON e.operation_id = o.operation_id WHERE o.operation_id = '"
                    + id + "'")) {
                assertThat(row.next()).isTrue();
                assertThat(row.getBytes(1)).isEqualTo(sha256(text));
                assertThat(row.getString(2)).isEqualTo(text);
                assertThat(row.getBoolean(3)).isTrue();
            }
            try (ResultSet grant = sql.executeQuery("SELECT count(*) FROM operation_grant WHERE scopes = '" + text + "'")) {
                assertThat(grant.next()).isTrue();
                assertThat(grant.getInt(1)).isEqualTo(1);
            }
            connection.rollback();
        }
    }

    /** How the release before V24 inserted an operation row with its INTENT event: the grant's text, no digest. */
    private static final String PREVIOUS_RELEASE = """
            WITH head AS (
                UPDATE audit_chain_head
                   SET seq = seq + 1, prev_hash = hash,
                       hash = encode(sha256(convert_to(hash || chr(10) || 'payload', 'UTF8')), 'hex')
                 WHERE id = 1
             RETURNING seq, prev_hash, hash),
            changed AS (
                INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method, request_id,
                                       requested_at, scopes, state, intent_seq, intent_prev_hash, intent_hash)
                VALUES (%s, 'PENDING', (SELECT seq FROM head), (SELECT prev_hash FROM head), (SELECT hash FROM head)))
            INSERT INTO audit_event (seq, operation_id, kind, subject, payload, prev_hash, hash)
            SELECT seq, '%s', 'INTENT', NULL, NULL, prev_hash, hash FROM head""";

    /** A row made to name another grant behind the service's back is found by the integrity check. */
    @Test
    void aRowNamingAnotherGrantThanItsTextIsCaught() {
        String jwt = Tokens.claims("grant-renamed", "operator")
                .claim("domo_scopes", Map.of("accounts", List.of("1"))).sign(Tokens.privateKey());
        String id = migrate(jwt);
        assertThat(integrity().getBoolean("valid")).isTrue();
        String other = "{\"accounts\":[\"1\",\"renamed-" + System.nanoTime() + "\"]}";
        OperationRows.query(dataSource, "SELECT operation_grant_digest(?)", other);
        OperationRows.executeBypassingTriggers(dataSource, "UPDATE operation SET scopes_digest = ? WHERE operation_id = ?::uuid",
                sha256(other), id);
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            assertThat(report.getString("firstInvalid.operationId")).isEqualTo(id);
            assertThat(report.getString("firstInvalid.reason")).contains("scopes_digest", "altered");
        } finally {
            OperationRows.executeBypassingTriggers(dataSource, "UPDATE operation SET scopes_digest = ? WHERE operation_id = ?::uuid",
                    sha256("{\"accounts\":[\"1\"]}"), id);
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    private static JsonPath integrity() {
        return Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void aGrantIsNeverChangedNorStoredUnderAnotherDigest() throws SQLException {
        String text = "{\"accounts\":[\"fixed-" + System.nanoTime() + "\"]}";
        try (Connection connection = connect(); Statement sql = connection.createStatement()) {
            sql.execute("SELECT operation_grant_digest('" + text + "')");
            for (String refused : List.of("UPDATE operation_grant SET scopes = scopes WHERE scopes = '" + text + "'",
                    "DELETE FROM operation_grant WHERE scopes = '" + text + "'",
                    "TRUNCATE operation_grant CASCADE")) {
                assertThatThrownBy(() -> sql.execute(refused)).as(refused).hasMessageContaining("append-only");
            }
            assertThatThrownBy(() -> sql.execute("INSERT INTO operation_grant (digest, scopes) VALUES"
                    + " (sha256('other'), '{\"accounts\":[]}')")).hasMessageContaining("ck_operation_grant_digest");
            assertThatThrownBy(() -> sql.execute("INSERT INTO operation_grant (digest, scopes) VALUES"
                    + " (sha256('[]'), '[]')")).hasMessageContaining("ck_operation_grant_scopes");
            // An operation's grant is part of what was requested: the update guard keeps it.
            connection.setAutoCommit(false);
            String id = UUID.randomUUID().toString();
            sql.execute("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method,"
                    + " request_id, requested_at, state, scopes) VALUES ('" + id + "', 'V2_TO_V1', 'ds-guarded', 'x', 'jwt',"
                    + " 'r', now(), 'PENDING', '{}')");
            assertThatThrownBy(() -> sql.execute("UPDATE operation SET scopes_digest = sha256(convert_to('" + text
                    + "', 'UTF8')) WHERE operation_id = '" + id + "'")).hasMessageContaining("append-only");
            connection.rollback();
        }
    }

    @Test
    void anUpgradeNamesEachStoredGrantByItsDigest() throws SQLException {
        String shared = "{\"accounts\":[\"1\"]}";
        String[] ids = { UUID.randomUUID().toString(), UUID.randomUUID().toString(), UUID.randomUUID().toString() };
        SchemaUpgrade.from("23", sql -> {
            for (int i = 0; i < ids.length; i++) {
                sql.execute("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method,"
                        + " request_id, requested_at, state, scopes) VALUES ('" + ids[i] + "', 'V2_TO_V1', 'ds-" + i
                        + "', 'x', 'jwt', 'r', now(), 'PENDING', " + (i == 2 ? "NULL" : "'" + shared + "'") + ")");
            }
        }, sql -> {
            try (ResultSet rows = sql.executeQuery("SELECT scopes_digest, scopes FROM operation ORDER BY datasource_id")) {
                for (int i = 0; i < ids.length; i++) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getBytes(1)).isEqualTo(i == 2 ? null : sha256(shared));
                    assertThat(rows.getString(2)).isEqualTo(i == 2 ? null : shared);
                }
            }
            try (ResultSet grants = sql.executeQuery("SELECT count(*) FROM operation_grant")) {
                assertThat(grants.next()).isTrue();
                assertThat(grants.getInt(1)).isEqualTo(1);
            }
            assertThatThrownBy(() -> sql.execute("UPDATE operation SET scopes_digest = NULL WHERE operation_id = '"
                    + ids[0] + "'")).hasMessageContaining("append-only");
        });
    }

    private static String migrate(String jwt) {
        return migrate(jwt, null);
    }

    /** A recorded migration's id: Domo's answer (this class stubs none) does not matter here. */
    private static String migrate(String jwt, String idempotencyKey) {
        RequestSpecification request = given().auth().oauth2(jwt).contentType("application/json");
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        String id = request
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then().extract().path("operationId");
        assertThat(id).isNotNull();
        return id;
    }

    /** The service's database as its superuser, with the triggers in force. */
    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(System.getProperty("quarkus.datasource.jdbc.url"), "postgres", "");
    }

    /** The digest as the database stores it (bytea): {@link Sha256}'s, the service's one rule. */
    private static byte[] sha256(String text) {
        return HexFormat.of().parseHex(Sha256.hex(text));
    }
}
