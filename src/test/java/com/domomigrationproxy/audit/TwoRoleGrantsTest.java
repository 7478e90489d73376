package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import jakarta.inject.Inject;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.plans.EventHorizon;

import io.quarkus.test.junit.QuarkusTest;

/** With PROXY_DB_APP_ROLE set, the application role can append and complete, never rewrite or delete. */
@QuarkusTest
class TwoRoleGrantsTest {

    /** The tests' PROXY_DB_APP_ROLE (application.properties). */
    static final String ROLE = "proxy_app_test";

    @Inject
    Flyway flyway;

    @Test
    void theApplicationRoleCanOnlyAppendAndComplete() throws SQLException {
        // The embedded database's URL names its superuser; connect as the named roles instead.
        String url = System.getProperty("quarkus.datasource.jdbc.url").replaceFirst("\\?.*", "");
        try (Connection owner = DriverManager.getConnection(url, "postgres", ""); Statement sql = owner.createStatement()) {
            sql.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + ROLE + "') THEN"
                    + " CREATE ROLE " + ROLE + " LOGIN PASSWORD 'test-only'; END IF; END $$");
        }
        // The grants are a Flyway callback: they are (re)applied on every migrate.
        flyway.migrate();

        String id = UUID.randomUUID().toString();
        try (Connection app = DriverManager.getConnection(url, ROLE, "test-only"); Statement sql = app.createStatement()) {
            app.setAutoCommit(false);
            sql.execute("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method, request_id,"
                    + " requested_at, state) VALUES ('" + id + "', 'V2_TO_V1', 'ds-role', 'someone', 'jwt', 'r', now(), 'PENDING')");
            // A grant is stored once, by the role, whether the row names it (this release) or holds its text
            // (the release before V24, during a rolling upgrade).
            sql.execute("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method, request_id,"
                    + " requested_at, state, scopes_digest) VALUES (gen_random_uuid(), 'V2_TO_V1', 'ds-role-1', 'someone',"
                    + " 'jwt', 'r', now(), 'PENDING', operation_grant_digest('{\"accounts\":[\"role\"]}'))");
            sql.execute("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method, request_id,"
                    + " requested_at, state, scopes) VALUES (gen_random_uuid(), 'V2_TO_V1', 'ds-role-2', 'someone',"
                    + " 'jwt', 'r', now(), 'PENDING', '{\"accounts\":[\"role-2\"]}')");
            // The outcome with its copy of the event's link, on a row the statement first locks, as the service writes it.
            assertThat(sql.executeQuery("SELECT operation_id FROM operation WHERE operation_id = '" + id + "' FOR UPDATE")
                    .next()).isTrue();
            assertThat(sql.executeUpdate("UPDATE operation SET state = 'COMPLETE', completed_at = now(), outcome_seq = 2,"
                    + " outcome_prev_hash = repeat('1', 64), outcome_hash = repeat('2', 64) WHERE operation_id = '" + id
                    + "'")).isEqualTo(1);
            assertThat(sql.executeQuery("SELECT count(*) FROM audit_event").next()).isTrue();
            // An event appended without setting the row's link (as a replica of the release before
            // V10 does during a rolling upgrade): the trigger fills the link in as the owner.
            sql.execute("INSERT INTO audit_event (seq, operation_id, kind, prev_hash, hash) VALUES (999999999, '" + id
                    + "', 'REVIEW', repeat('3', 64), repeat('4', 64))");
            try (var row = sql.executeQuery("SELECT review_seq FROM operation WHERE operation_id = '" + id + "'")) {
                assertThat(row.next()).isTrue();
                assertThat(row.getLong(1)).isEqualTo(999999999L);
            }
            // Principals' last use: written and rewritten by the service, never deleted.
            // The service's own statement: a column it sets without the grant fails here (V21's expires_at did).
            try (var upsert = app.prepareStatement(com.domomigrationproxy.security.PrincipalActivity.UPSERT)) {
                for (int round = 0; round < 2; round++) {
                    java.time.OffsetDateTime now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC);
                    upsert.setString(1, "api-key");
                    upsert.setString(2, "role-test");
                    upsert.setObject(3, now.minusSeconds(60));
                    upsert.setObject(4, now.plusSeconds(round));
                    upsert.setString(5, "10.0.0.1");
                    upsert.setArray(6, app.createArrayOf("text", new String[] { "reader" }));
                    upsert.setString(7, "{}");
                    upsert.setObject(8, now.plusDays(30));
                    assertThat(upsert.executeUpdate()).isEqualTo(1);
                }
            }
            // Checkpoints are appended; the audit stream moves its cursor and lease.
            sql.execute("INSERT INTO audit_checkpoint (origin, seq, hash, issued_at, key_id, text, signature)"
                    + " VALUES ('o', 0, repeat('0', 64), now(), repeat('a', 16), 't', 's')");
            assertThat(sql.executeUpdate("UPDATE audit_stream_cursor SET lease_until = now(), resend_seq = NULL,"
                    + " resend_hash = NULL, resend_for_seq = NULL WHERE id = 1")).isEqualTo(1);
            // Plan event streams read how far the events have settled (the sequence's last value, pg_locks).
            assertThat(new EventHorizon(0).advance(app)).isNotNegative();
            app.rollback();

            // Plans are working state: the application creates and moves them, never deletes them.
            String plan = UUID.randomUUID().toString();
            sql.execute("INSERT INTO plan (plan_id, name, direction, state, max_concurrency, content_hash, item_count,"
                    + " approvals_required, created_by, created_auth_method, created_request_id, created_at, preflight_at,"
                    + " updated_at) VALUES ('" + plan + "', 'p', 'V2_TO_V1', 'AWAITING_APPROVAL', 1, repeat('a', 64), 1, 1,"
                    + " 'op', 'jwt', 'r', now(), now(), now())");
            sql.execute("INSERT INTO plan_item (plan_id, item_id, datasource_id, verdict, state, updated_at) VALUES ('"
                    + plan + "', 1, 'ds-role', 'READY', 'WAITING', now())");
            sql.execute("INSERT INTO plan_approval (approval_id, plan_id, decided_by, auth_method, request_id, decision,"
                    + " content_hash, decided_at, expires_at) VALUES (gen_random_uuid(), '" + plan + "', 'ap', 'jwt', 'r',"
                    + " 'APPROVE', repeat('a', 64), now(), now() + interval '1 hour')");
            sql.execute("INSERT INTO plan_event (plan_id, kind, state, data) VALUES ('" + plan + "', 'plan', 'APPROVED', '{}')");
            assertThat(sql.executeUpdate("UPDATE plan SET state = 'APPROVED' WHERE plan_id = '" + plan + "'")).isEqualTo(1);
            assertThat(sql.executeUpdate("UPDATE plan_item SET state = 'RUNNING' WHERE plan_id = '" + plan + "'"))
                    .isEqualTo(1);
            app.rollback();

            for (String forbidden : new String[] {
                    "DELETE FROM plan WHERE plan_id IS NULL",
                    "DELETE FROM plan_item WHERE item_id = -1",
                    "UPDATE plan_approval SET comment = 'x' WHERE approval_id IS NULL",
                    "DELETE FROM plan_event WHERE seq = -1",
                    "UPDATE operation SET table_name = 'x' WHERE operation_id = '" + id + "'",
                    "UPDATE operation SET intent_hash = repeat('0', 64) WHERE operation_id = '" + id + "'",
                    "DELETE FROM operation WHERE operation_id = '" + id + "'",
                    "TRUNCATE operation CASCADE",
                    "DELETE FROM audit_event WHERE seq = -1",
                    "UPDATE operation_grant SET scopes = scopes WHERE digest IS NULL",
                    "DELETE FROM operation_grant WHERE digest IS NULL",
                    "UPDATE operation SET scopes_digest = NULL WHERE operation_id = '" + id + "'",
                    "UPDATE audit_event SET hash = hash WHERE seq = -1",
                    "UPDATE audit_checkpoint SET hash = hash WHERE id = -1",
                    "DELETE FROM audit_checkpoint WHERE id = -1",
                    "DELETE FROM audit_stream_cursor WHERE id = -1",
                    "ALTER TABLE operation DISABLE TRIGGER ALL",
                    "DELETE FROM principal_last_use",
                    "UPDATE principal_last_use SET first_seen_at = now()" }) {
                SQLException refused = null;
                try {
                    sql.execute(forbidden);
                } catch (SQLException e) {
                    refused = e;
                }
                assertThat((Throwable) refused).as(forbidden).isNotNull();
                assertThat(refused.getMessage()).as(forbidden).containsAnyOf("permission denied", "must be owner");
                app.rollback();
            }
        }
    }
}
