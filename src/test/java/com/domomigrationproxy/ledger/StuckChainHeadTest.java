package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A replica stuck inside a transaction that holds the audit chain's head (it died, or was cut off,
 * mid-transaction) holds the other replicas' audit writes only until PostgreSQL ends its idle
 * session: the service's connections carry that limit (5 min; 3 s here). Before, the migration
 * below waited for the holder for ever.
 */
@QuarkusTest
@TestProfile(StuckChainHeadTest.ShortIdleInTransaction.class)
class StuckChainHeadTest {

    public static class ShortIdleInTransaction implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.datasource.jdbc.new-connection-sql", "SET idle_in_transaction_session_timeout = '3s'");
        }
    }

    @InjectDomo
    WireMockServer domo;

    /** The service's own pool: the stuck transaction is one of its connections, as another replica's would be. */
    @Inject
    AgroalDataSource pool;

    @Test
    void aTransactionLeftHoldingTheChainHeadDoesNotStopTheNextMigration() throws Exception {
        DomoWireMock.completesEverything(domo, "T-STUCK");
        Connection stuck = pool.getConnection();
        try {
            stuck.setAutoCommit(false);
            try (Statement sql = stuck.createStatement()) {
                sql.execute("SELECT 1 FROM audit_chain_head FOR UPDATE");
            }
            String datasource = Api.uniqueDatasourceId();
            long sent = System.nanoTime();
            CompletableFuture<Integer> migrated = CompletableFuture.supplyAsync(() -> Api.asOperator()
                    .contentType("application/json")
                    .body("{\"accountId\":\"acct-1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                    .post("/api/v1/datasources/" + datasource + "/migrations").statusCode());
            assertThat(migrated.get(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS)).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("it waited for the stuck session's end")
                    .isGreaterThan(Duration.ofSeconds(2));
            // PostgreSQL ended the stuck session, and with it its lock.
            assertThatThrownBy(() -> {
                try (Statement sql = stuck.createStatement()) {
                    sql.execute("SELECT 1");
                }
            }).isInstanceOf(SQLException.class);
        } finally {
            try {
                stuck.close();
            } catch (SQLException ignored) {
                // Already ended by PostgreSQL.
            }
        }
    }
}
