package com.domomigrationproxy.plans;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.PostgresAdmin;

import io.quarkus.test.junit.QuarkusTest;

/**
 * Upgrading a database whose plan events carry their creator's scopes (before V12): the stream,
 * which every plan reader gets, loses them; nothing else changes. Runs on a database of its own,
 * migrated to V11, given events as that release stored them, then migrated on.
 */
@QuarkusTest
class PlanEventScopesMigrationTest {

    @Test
    void storedPlanEventsLoseTheCreatorsScopesAndKeepTheRest() throws SQLException {
        String database = "plan_event_upgrade_" + System.nanoTime();
        PostgresAdmin.run("CREATE DATABASE " + database);
        try {
            String url = System.getProperty("quarkus.datasource.jdbc.url").replaceFirst("/[^/?]+\\?", "/" + database + "?");
            flyway(url).target("11").load().migrate();
            String plan = UUID.randomUUID().toString();
            String created = "{\"planId\":\"" + plan + "\",\"state\":\"AWAITING_APPROVAL\",\"by\":\"hr-svc\","
                    + "\"scopes\":{\"accounts\":[\"hr-*\"]},\"itemCount\":2,\"event\":\"PLAN_CREATED\"}";
            String started = "{\"planId\":\"" + plan + "\",\"state\":\"RUNNING\",\"event\":\"PLAN_STARTED\"}";
            String item = "{\"itemId\":1,\"datasourceId\":\"ds-1\",\"state\":\"COMPLETE\",\"scopes\":\"kept on items\"}";
            try (Connection connection = DriverManager.getConnection(url); Statement sql = connection.createStatement()) {
                sql.execute("SET session_replication_role = replica"); // no plan row: the events alone matter here
                sql.execute("INSERT INTO plan_event (plan_id, kind, item_id, state, data) VALUES"
                        + " ('" + plan + "', 'plan', NULL, 'AWAITING_APPROVAL', '" + created + "'),"
                        + " ('" + plan + "', 'plan', NULL, 'RUNNING', '" + started + "'),"
                        + " ('" + plan + "', 'item', 1, 'RUNNING', '" + item + "')");
            }

            flyway(url).load().migrate();

            try (Connection connection = DriverManager.getConnection(url); Statement sql = connection.createStatement()) {
                List<String> data = new ArrayList<>();
                try (ResultSet rows = sql.executeQuery("SELECT data FROM plan_event ORDER BY seq")) {
                    while (rows.next()) {
                        data.add(rows.getString(1));
                    }
                }
                assertThat(data).hasSize(3);
                assertThat(data.get(0)).doesNotContain("scopes").doesNotContain("hr-*")
                        .contains("\"by\": \"hr-svc\"", "\"itemCount\": 2", "\"event\": \"PLAN_CREATED\"");
                assertThat(data.get(1)).isEqualTo(started);
                assertThat(data.get(2)).isEqualTo(item);
            }
        } finally {
            PostgresAdmin.run("DROP DATABASE " + database + " WITH (FORCE)");
        }
    }

    private static org.flywaydb.core.api.configuration.FluentConfiguration flyway(String url) {
        return Flyway.configure().dataSource(url, null, null).placeholders(Map.of("appRole", "(none)"));
    }
}
