package com.domomigrationproxy.plans;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.SchemaUpgrade;

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
        String plan = UUID.randomUUID().toString();
        String created = "{\"planId\":\"" + plan + "\",\"state\":\"AWAITING_APPROVAL\",\"by\":\"hr-svc\","
                + "\"scopes\":{\"accounts\":[\"hr-*\"]},\"itemCount\":2,\"event\":\"PLAN_CREATED\"}";
        String started = "{\"planId\":\"" + plan + "\",\"state\":\"RUNNING\",\"event\":\"PLAN_STARTED\"}";
        String item = "{\"itemId\":1,\"datasourceId\":\"ds-1\",\"state\":\"COMPLETE\",\"scopes\":\"kept on items\"}";
        SchemaUpgrade.from("11", sql -> {
            sql.execute("SET session_replication_role = replica"); // no plan row: the events alone matter here
            sql.execute("INSERT INTO plan_event (plan_id, kind, item_id, state, data) VALUES"
                    + " ('" + plan + "', 'plan', NULL, 'AWAITING_APPROVAL', '" + created + "'),"
                    + " ('" + plan + "', 'plan', NULL, 'RUNNING', '" + started + "'),"
                    + " ('" + plan + "', 'item', 1, 'RUNNING', '" + item + "')");
        }, sql -> {
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
        });
    }
}
