package com.domomigrationproxy.plans;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

import com.domomigrationproxy.ledger.Sql;

/**
 * The plan's event log ({@code plan_event}) that GET …/events streams: one row per plan or item
 * transition, written in the transaction of the transition. Streams send an event only once
 * {@link EventHorizon} says no earlier one can still commit.
 */
final class PlanEvents {

    /** The JSON of an item event, from the item's row as it stands (the statement's alias {@code i}). */
    static final String ITEM_DATA = """
            (SELECT row_to_json(item_event)::text FROM (SELECT i.item_id AS "itemId", i.datasource_id AS "datasourceId",
                i.state AS "state", i.verdict AS "verdict", i.note AS "note", i.operation_id AS "operationId",
                i.attempts AS "attempts",
                to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "at") item_event)""";

    /** One event as stored. */
    record Stored(long seq, String kind, String data) {
    }

    private PlanEvents() {
    }

    /** The event of one item, as its row stands now. */
    static void item(Connection connection, UUID planId, int itemId) throws SQLException {
        Sql.update(connection, "INSERT INTO plan_event (plan_id, kind, item_id, state, data) SELECT i.plan_id, 'item',"
                + " i.item_id, i.state, " + ITEM_DATA + " FROM plan_item i WHERE i.plan_id = ? AND i.item_id = ?",
                planId, itemId);
    }

    /** A plan event; {@code data} is its JSON. */
    static void plan(Connection connection, UUID planId, PlanState state, String data) throws SQLException {
        Sql.update(connection, "INSERT INTO plan_event (plan_id, kind, state, data) VALUES (?, 'plan', ?, ?)", planId,
                state, data);
    }

    /** At most {@code limit} events of the plan after {@code afterSeq} and up to {@code settled}, in order. */
    static List<Stored> after(Connection connection, UUID planId, long afterSeq, long settled, int limit)
            throws SQLException {
        return Sql.list(connection, """
                SELECT seq, kind, data FROM plan_event WHERE plan_id = ? AND seq > ? AND seq <= ?
                ORDER BY seq LIMIT ?""", row -> new Stored(row.getLong(1), row.getString(2), row.getString(3)),
                planId, afterSeq, settled, limit);
    }
}
