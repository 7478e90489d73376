package com.domomigrationproxy.plans;

import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.Sql;
import com.domomigrationproxy.ledger.StorableText;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;

import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * The items of plans, in plain SQL: written ten thousand at a time, claimed with
 * {@code FOR UPDATE SKIP LOCKED} under the plan's row lock, and moved from state to state by
 * guarded UPDATEs, each with its event ({@link PlanEvents}) in the same transaction. Every method
 * joins the caller's transaction when there is one.
 *
 * <p>How an item moves: WAITING → claimed (RUNNING, with a claim token and a lease, not yet sent)
 * → linked to its operation in the transaction that commits the operation's intent (sent) → the
 * state its operation ended in. Only the claim whose token is on the row can link it, and an
 * item that was sent is never claimed again; so an item is sent at most once per claim, whatever
 * replica dies where.
 */
@ApplicationScoped
class PlanItems {

    private static final String COLUMNS = """
            i.plan_id, i.item_id, i.datasource_id, i.account_id, i.catalog_name, i.schema_name, i.table_name,
            i.verdict, i.reason, i.state, i.note, i.operation_id, i.attempts, i.sent_at, i.finished_at""";

    /**
     * What counts against a plan's maxConcurrency: items claimed or sent, and items of unknown outcome
     * that Domo may still be carrying out: sent less than twice the migration deadline ago, the
     * deadline of the call and as long again for Domo's own work, as the reconciler assumes
     * (OperationReconciler.settlesAt, which waits a grace more before it settles one).
     */
    private static final String IN_FLIGHT = "(state = 'RUNNING' OR (state = 'UNKNOWN' AND sent_at > now()"
            + " - make_interval(secs => ?)))";

    private final DataSource dataSource;
    private final double unknownInFlightSeconds;

    @Inject
    PlanItems(DataSource dataSource, DomoConfig domo) {
        this.dataSource = dataSource;
        this.unknownInFlightSeconds = seconds(domo.migrationTimeout().multipliedBy(2));
    }

    /** An item as the API shows it, before its operation's details are added. */
    record Row(UUID planId, int itemId, PlanItemSpec spec, Verdict verdict, String reason, ItemState state, String note,
            UUID operationId, int attempts, Instant sentAt, Instant finishedAt) {
    }

    /**
     * An item this replica claimed: what to send, on whose behalf (whoever released it last: the
     * starter, a resumer or a retrier), under which grant, and the token that lets it link the item.
     */
    record Claim(UUID planId, int itemId, UUID token, PlanItemSpec spec, Direction direction, String sentFor,
            String sentForAuthMethod, Scopes scopes) {
    }

    /** A sent item whose operation may have been resolved meanwhile. */
    record Unsettled(UUID planId, int itemId, UUID operationId, ItemState state) {
    }

    /** What the preflight found for one item; the reason may quote Domo, so it is made storable. */
    record Finding(Verdict verdict, String reason) {
        Finding {
            reason = StorableText.of(reason);
        }
    }

    /** Which items to list; null means any. */
    record Filter(ItemState state, Verdict verdict) {
    }

    void insert(UUID planId, List<PlanItemSpec> items, List<Finding> findings) {
        int n = items.size();
        Integer[] ids = new Integer[n];
        String[][] columns = new String[7][n];
        for (int i = 0; i < n; i++) {
            PlanItemSpec item = items.get(i);
            ids[i] = i + 1;
            columns[0][i] = item.datasourceId();
            columns[1][i] = item.accountId();
            columns[2][i] = item.catalog();
            columns[3][i] = item.schema();
            columns[4][i] = item.table();
            columns[5][i] = findings.get(i).verdict().name();
            columns[6][i] = findings.get(i).reason();
        }
        jdbc(connection -> {
            List<Object> parameters = new ArrayList<>();
            parameters.add(planId);
            parameters.add(connection.createArrayOf("integer", ids));
            for (String[] column : columns) {
                parameters.add(connection.createArrayOf("text", column));
            }
            Sql.update(connection, """
                    INSERT INTO plan_item (plan_id, item_id, datasource_id, account_id, catalog_name, schema_name,
                        table_name, verdict, reason, state, updated_at)
                    SELECT ?, t.item_id, t.datasource_id, t.account_id, t.catalog_name, t.schema_name, t.table_name,
                           t.verdict, t.reason, 'WAITING', now()
                    FROM unnest(?::integer[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                         AS t(item_id, datasource_id, account_id, catalog_name, schema_name, table_name, verdict, reason)""",
                    parameters.toArray());
            return null;
        });
    }

    /** Every item of the plan, in order. */
    List<Row> rows(UUID planId) {
        return jdbc(connection -> Sql.list(connection, "SELECT " + COLUMNS + " FROM plan_item i WHERE i.plan_id = ?"
                + " ORDER BY i.item_id", PlanItems::row, planId));
    }

    /**
     * Items the run sends next: waiting for their turn, or claimed and not sent (a replica that died
     * holding the claim; the item waits again once the claim lapses).
     */
    List<Row> unsent(UUID planId) {
        return jdbc(connection -> Sql.list(connection, "SELECT " + COLUMNS + " FROM plan_item i WHERE i.plan_id = ?"
                + " AND (i.state = 'WAITING' OR (i.state = 'RUNNING' AND i.sent_at IS NULL)) ORDER BY i.item_id",
                PlanItems::row, planId));
    }

    /** The items {@link #unsent} names go to Domo on behalf of whoever resumed the plan. */
    void releaseUnsent(UUID planId, Requester by) {
        jdbc(connection -> Sql.update(connection, "UPDATE plan_item SET released_by = ?, released_auth_method = ?"
                + " WHERE plan_id = ? AND (state = 'WAITING' OR (state = 'RUNNING' AND sent_at IS NULL))",
                by.principal(), by.authMethod(), planId));
    }

    /** Items not yet sent in this run (WAITING, or skipped by the preflight): what a preflight looks at. */
    List<Row> preflightable(UUID planId) {
        return jdbc(connection -> Sql.list(connection, "SELECT " + COLUMNS + " FROM plan_item i WHERE i.plan_id = ?"
                + " AND i.state IN ('WAITING', 'SKIPPED') ORDER BY i.item_id",
                PlanItems::row, planId));
    }

    /** An item whose verdict a preflight changed. */
    record VerdictChange(int itemId, Verdict from, Verdict to) {
    }

    /**
     * Records new verdicts on items not yet sent; for a plan that has started, a READY item waits
     * for its turn and any other is skipped. Returns the items whose verdict changed, in item order.
     */
    List<VerdictChange> updateVerdicts(UUID planId, List<Integer> itemIds, List<Finding> findings, boolean started) {
        return jdbc(connection -> {
            Array ids = connection.createArrayOf("integer", itemIds.toArray());
            Array verdicts = connection.createArrayOf("text", findings.stream().map(f -> f.verdict().name()).toArray());
            Array reasons = connection.createArrayOf("text", findings.stream().map(Finding::reason).toArray());
            return Sql.list(connection, """
                    WITH changed AS (
                        UPDATE plan_item i
                           SET verdict = t.verdict, reason = t.reason, updated_at = now(),
                               state = CASE WHEN NOT ? THEN i.state WHEN t.verdict = 'READY' THEN 'WAITING' ELSE 'SKIPPED' END,
                               note = CASE WHEN NOT ? THEN i.note
                                           WHEN t.verdict <> 'READY' THEN 'skipped: the preflight found it ' || t.verdict
                                           WHEN i.state = 'SKIPPED' THEN NULL ELSE i.note END,
                               finished_at = CASE WHEN NOT ? THEN i.finished_at WHEN t.verdict = 'READY' THEN NULL
                                                  ELSE coalesce(i.finished_at, now()) END
                          FROM unnest(?::integer[], ?::text[], ?::text[]) AS t(item_id, verdict, reason), plan_item prior
                         WHERE i.plan_id = ? AND i.item_id = t.item_id AND prior.plan_id = i.plan_id
                           AND prior.item_id = i.item_id
                           AND i.state IN ('WAITING', 'SKIPPED')
                     RETURNING i.*, prior.state AS prior_state, prior.verdict AS prior_verdict),
                    events AS (
                        INSERT INTO plan_event (plan_id, kind, item_id, state, data)
                        SELECT i.plan_id, 'item', i.item_id, i.state, """ + PlanEvents.ITEM_DATA + """

                        FROM changed i WHERE i.state <> i.prior_state)
                    SELECT item_id, prior_verdict, verdict FROM changed
                     WHERE verdict IS DISTINCT FROM prior_verdict ORDER BY item_id""",
                    row -> new VerdictChange(row.getInt(1), row.getString(2) == null ? null
                            : Verdict.valueOf(row.getString(2)), Verdict.valueOf(row.getString(3))),
                    started, started, started, ids, verdicts, reasons, planId);
        });
    }

    /** At start: every item the preflight did not find READY is skipped. Returns how many. */
    int skipNotReady(UUID planId) {
        return skip(planId, "i.state = 'WAITING' AND i.verdict <> 'READY'",
                "'skipped: the preflight found it ' || i.verdict");
    }

    /**
     * At cancel: every waiting item is skipped. Returns how many. Items claimed but not yet sent
     * are left to their workers (their link then finds the plan cancelled; they wait again and the
     * sweep skips them): touching them here would lock their rows against an intent transaction
     * that holds the chain's head and waits for the item, while this one would wait for the head.
     */
    /** Skips the plan's waiting items, noting why (the plan was cancelled, rejected, ...). */
    int skipWaiting(UUID planId, String why) {
        return skip(planId, "i.state = 'WAITING'", "'skipped: " + why.replace("'", "''") + "'");
    }

    /** How many items of the plan are in one of these states. */
    long count(UUID planId, ItemState... states) {
        return jdbc(connection -> Sql.first(connection, "SELECT count(*) FROM plan_item WHERE plan_id = ?"
                + " AND state = ANY (?::text[])", row -> row.getLong(1), planId,
                connection.createArrayOf("text", java.util.Arrays.stream(states).map(Enum::name).toArray()))
                .orElse(0L));
    }

    /** Items left WAITING in cancelled plans (released by a run that raced the cancel) are skipped too. */
    int skipWaitingOfCancelledPlans() {
        return jdbc(connection -> Sql.update(connection, """
                WITH changed AS (
                    UPDATE plan_item i SET state = 'SKIPPED', note = 'skipped: the plan was cancelled',
                           finished_at = now(), updated_at = now()
                     WHERE i.state = 'WAITING' AND i.plan_id IN (SELECT plan_id FROM plan WHERE state = 'CANCELLED')
                 RETURNING i.*)
                INSERT INTO plan_event (plan_id, kind, item_id, state, data)
                SELECT i.plan_id, 'item', i.item_id, i.state, """ + PlanEvents.ITEM_DATA + " FROM changed i"));
    }

    private int skip(UUID planId, String condition, String note) {
        return jdbc(connection -> Sql.update(connection, """
                WITH changed AS (
                    UPDATE plan_item i SET state = 'SKIPPED', note = %s, finished_at = now(), updated_at = now(),
                           claim_token = NULL, lease_owner = NULL, lease_until = NULL
                     WHERE i.plan_id = ? AND %s
                 RETURNING i.*)
                INSERT INTO plan_event (plan_id, kind, item_id, state, data)
                SELECT i.plan_id, 'item', i.item_id, i.state, %s FROM changed i""".formatted(note, condition,
                PlanEvents.ITEM_DATA), planId));
    }

    /**
     * Sends an INCOMPLETE, ABORTED or FAILED item again (or one a preflight skipped after it was sent),
     * on behalf of whoever asked: it waits for its turn. False when it is in no such state.
     */
    boolean retry(UUID planId, int itemId, Requester by) {
        return jdbc(connection -> {
            int updated = Sql.update(connection, """
                    UPDATE plan_item SET state = 'WAITING', note = ?, not_before = NULL, finished_at = NULL,
                           released_by = ?, released_auth_method = ?, updated_at = now(),
                           -- Skipped by a preflight: the operator's decision overrides the finding, or the item
                           -- would wait for ever (only READY items are claimed).
                           verdict = CASE WHEN state = 'SKIPPED' THEN 'READY' ELSE verdict END,
                           reason = CASE WHEN state = 'SKIPPED' THEN 'sent again on an operator''s retry; a preflight'
                                         || ' had found it ' || verdict || coalesce(': ' || reason, '') ELSE reason END
                     WHERE plan_id = ? AND item_id = ?
                       AND (state IN ('INCOMPLETE', 'ABORTED', 'FAILED')
                            OR state = 'SKIPPED' AND operation_id IS NOT NULL AND verdict <> 'READY')""",
                    "retry asked by " + by.principal(), by.principal(), by.authMethod(), planId, itemId);
            if (updated == 1) {
                PlanEvents.item(connection, planId, itemId);
            }
            return updated == 1;
        });
    }

    /** Counts by item state and by verdict, every state and verdict present (zero when none), plus {@code total}. */
    Map<String, Long> counts(UUID planId) {
        return counts(List.of(planId)).get(planId);
    }

    /** {@link #counts(UUID)} of each of these plans, in one query: a page of plans is one round trip, not one a plan. */
    Map<UUID, Map<String, Long>> counts(Collection<UUID> planIds) {
        Map<UUID, Map<ItemState, Long>> states = new HashMap<>();
        Map<UUID, Map<Verdict, Long>> verdicts = new HashMap<>();
        Map<UUID, Long> totals = new HashMap<>();
        if (!planIds.isEmpty()) {
            jdbc(connection -> Sql.list(connection, "SELECT plan_id, state, verdict, count(*) FROM plan_item"
                    + " WHERE plan_id = ANY(?) GROUP BY plan_id, state, verdict", row -> {
                        UUID planId = row.getObject(1, UUID.class);
                        long n = row.getLong(4);
                        states.computeIfAbsent(planId, id -> new EnumMap<>(ItemState.class))
                                .merge(ItemState.valueOf(row.getString(2)), n, Long::sum);
                        verdicts.computeIfAbsent(planId, id -> new EnumMap<>(Verdict.class))
                                .merge(Verdict.valueOf(row.getString(3)), n, Long::sum);
                        totals.merge(planId, n, Long::sum);
                        return null;
                    }, connection.createArrayOf("uuid", planIds.toArray())));
        }
        Map<UUID, Map<String, Long>> byPlan = new HashMap<>();
        for (UUID planId : planIds) {
            Map<String, Long> counts = new LinkedHashMap<>();
            counts.put("total", totals.getOrDefault(planId, 0L));
            Map<Verdict, Long> planVerdicts = verdicts.getOrDefault(planId, Map.of());
            for (Verdict verdict : Verdict.values()) {
                counts.put(verdict.name(), planVerdicts.getOrDefault(verdict, 0L));
            }
            Map<ItemState, Long> planStates = states.getOrDefault(planId, Map.of());
            for (ItemState state : ItemState.values()) {
                counts.put(state.name(), planStates.getOrDefault(state, 0L));
            }
            byPlan.put(planId, counts);
        }
        return byPlan;
    }

    /** Items by target account ("" for reversals, which name none) and verdict, accounts in order. */
    Map<String, Map<Verdict, Long>> byAccount(UUID planId) {
        Map<String, Map<Verdict, Long>> accounts = new TreeMap<>();
        jdbc(connection -> Sql.list(connection, "SELECT coalesce(account_id, ''), verdict, count(*) FROM plan_item"
                + " WHERE plan_id = ? GROUP BY 1, 2", row -> {
                    accounts.computeIfAbsent(row.getString(1), account -> new EnumMap<>(Verdict.class))
                            .put(Verdict.valueOf(row.getString(2)), row.getLong(3));
                    return null;
                }, planId));
        return accounts;
    }

    /** Items that finished (ran to an end) since {@code since}, and items still to run (waiting or running). */
    record Pace(long finishedSince, long remaining) {
    }

    Pace pace(UUID planId, Instant since) {
        return jdbc(connection -> Sql.first(connection, """
                SELECT count(*) FILTER (WHERE finished_at >= ? AND state NOT IN ('SKIPPED', 'WAITING')),
                       count(*) FILTER (WHERE state IN ('WAITING', 'RUNNING'))
                FROM plan_item WHERE plan_id = ?""", row -> new Pace(row.getLong(1), row.getLong(2)), since, planId)
                .orElseThrow());
    }

    /** Items that keep the plan from finishing: waiting, running, or with an unknown outcome. */
    long open(UUID planId) {
        return jdbc(connection -> Sql.first(connection,
                "SELECT count(*) FROM plan_item WHERE plan_id = ? AND state IN ('WAITING', 'RUNNING', 'UNKNOWN')",
                row -> row.getLong(1), planId).orElseThrow());
    }

    /** At most {@code limit} items matching the filter, in plan order, after {@code afterItemId}. */
    List<Row> page(UUID planId, Filter filter, int afterItemId, int limit) {
        List<Object> parameters = new ArrayList<>(List.of(planId, afterItemId));
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS
                + " FROM plan_item i WHERE i.plan_id = ? AND i.item_id > ?");
        if (filter.state() != null) {
            sql.append(" AND i.state = ?");
            parameters.add(filter.state());
        }
        if (filter.verdict() != null) {
            sql.append(" AND i.verdict = ?");
            parameters.add(filter.verdict());
        }
        sql.append(" ORDER BY i.item_id LIMIT ?");
        parameters.add(limit);
        return jdbc(connection -> Sql.list(connection, sql.toString(), PlanItems::row, parameters.toArray()));
    }

    Optional<Row> find(UUID planId, int itemId) {
        return jdbc(connection -> Sql.first(connection, "SELECT " + COLUMNS
                + " FROM plan_item i WHERE i.plan_id = ? AND i.item_id = ?", PlanItems::row, planId, itemId));
    }

    /**
     * Running plans (oldest start first) that could send an item now: not slowed down by Domo, an
     * item whose turn has come, and fewer items in flight than their maxConcurrency.
     */
    List<UUID> wanting() {
        return jdbc(connection -> Sql.list(connection, """
                SELECT p.plan_id FROM plan p
                 WHERE p.state = 'RUNNING' AND (p.not_before IS NULL OR p.not_before <= now())
                   AND EXISTS (SELECT 1 FROM plan_item i WHERE i.plan_id = p.plan_id AND i.state = 'WAITING'
                                  AND i.verdict = 'READY' AND (i.not_before IS NULL OR i.not_before <= now()))
                   AND (SELECT count(*) FROM plan_item i WHERE i.plan_id = p.plan_id AND """ + IN_FLIGHT + """
                       ) < p.max_concurrency
                 ORDER BY p.started_at, p.plan_id""", row -> row.getObject(1, UUID.class), unknownInFlightSeconds));
    }

    /**
     * The datasources this plan changed in Domo or may have, in plan order: what a rollback reverses.
     * Any of the item's operations counts, not only its last: a FAILED on a 5xx that a retry followed
     * with Domo's "already migrated" may still be what migrated it. The rule is
     * {@link Operation#mayHaveTakenEffectSql}: COMPLETE, INCOMPLETE, FAILED on an answer that does not
     * show Domo did nothing, and a resolution ABORTED that Domo's late answer contradicts. The rollback's preflight then finds those Domo does not show migrated
     * ALREADY_DONE.
     */
    List<String> changedDatasources(UUID planId) {
        return List.copyOf(changedItems(planId).keySet());
    }

    /** {@link #changedDatasources}, each with its item's id, in plan order. */
    Map<String, Integer> changedItems(UUID planId) {
        Map<String, Integer> changed = new LinkedHashMap<>();
        jdbc(connection -> Sql.list(connection, """
                SELECT i.datasource_id, i.item_id FROM plan_item i
                WHERE i.plan_id = ? AND EXISTS (
                    SELECT 1 FROM operation o
                    WHERE o.plan_id = i.plan_id AND o.datasource_id = i.datasource_id AND %s)
                ORDER BY i.item_id""".formatted(Operation.mayHaveTakenEffectSql("o")),
                row -> Map.entry(row.getString(1), row.getInt(2)), planId))
                .forEach(item -> changed.put(item.getKey(), item.getValue()));
        return changed;
    }

    /**
     * What a rollback of this plan reverses: of {@link #changedItems}, those whose data source no
     * other operation has changed or may have changed since this plan's last migration of it (by the
     * order of their intents): not a reversal by hand, another plan's migration, nor a cancelled
     * rollback's reversal. Those it leaves alone: reversing one would undo that later work, which
     * its approver never saw (plans review).
     */
    Map<String, Integer> rollbackItems(UUID planId) {
        Map<String, Integer> kept = new LinkedHashMap<>();
        jdbc(connection -> Sql.list(connection, """
                SELECT i.datasource_id, i.item_id FROM plan_item i
                CROSS JOIN LATERAL (SELECT count(*) AS changes, max(o.intent_seq) AS last_seq FROM operation o
                                    WHERE o.plan_id = i.plan_id AND o.datasource_id = i.datasource_id AND %1$s) mine
                WHERE i.plan_id = ? AND mine.changes > 0 AND NOT EXISTS (
                    SELECT 1 FROM operation later
                    WHERE datasource_key(later.datasource_id) = datasource_key(i.datasource_id)
                      AND later.plan_id IS DISTINCT FROM i.plan_id
                      AND later.intent_seq > coalesce(mine.last_seq, 0) AND %2$s)
                ORDER BY i.item_id""".formatted(Operation.mayHaveTakenEffectSql("o"), Operation.mayHaveTakenEffectSql("later")),
                row -> Map.entry(row.getString(1), row.getInt(2)), planId))
                .forEach(item -> kept.put(item.getKey(), item.getValue()));
        return kept;
    }

    /**
     * Claims up to {@code wanted} waiting items of a running plan for this replica, in its own
     * transaction, as far as the plan's maxConcurrency allows across all replicas: the plan's row
     * lock makes the claimers of one plan take turns.
     */
    List<Claim> claim(UUID planId, int wanted, String replica, Duration lease) {
        return QuarkusTransaction.requiringNew().call(() -> jdbc(connection -> {
            withoutWaitingForDisk(connection);
            return claim(connection, planId, wanted, replica, lease);
        }));
    }

    /**
     * A claim commits without waiting for the WAL flush (about 3 ms, on every item's path). Safe: a
     * lost claim only leaves the item WAITING, and the intent that links it is committed
     * synchronously, which flushes the claim before it. Settlements wait: each writes the item's
     * event, which an event stream may send as soon as it is visible, and an asynchronous commit lost
     * in a crash of PostgreSQL can take the sequence's progress with it, so that later events got ids
     * below those clients already had (and never saw them). The audit trail's own writes (the
     * operation, the chain, plan transitions) commit synchronously too.
     */
    private static void withoutWaitingForDisk(Connection connection) throws SQLException {
        Sql.update(connection, "SET LOCAL synchronous_commit TO OFF");
    }

    /**
     * Records how a claimed item ended, or that it waits again ({@code state} WAITING: nothing, or
     * nothing usable, was sent; not before {@code notBefore}), and with {@code next} claims the
     * plan's next item for the same worker, in one transaction: per item, one commit less.
     */
    Optional<Claim> settle(Claim claim, ItemState state, String note, Instant notBefore, boolean next, String replica,
            Duration lease) {
        return QuarkusTransaction.requiringNew().call(() -> jdbc(connection -> {
            Sql.update(connection, """
                    WITH settled AS (
                        UPDATE plan_item SET state = ?, note = ?, not_before = ?,
                               finished_at = CASE WHEN ? THEN NULL ELSE now() END,
                               claim_token = NULL, lease_owner = NULL, lease_until = NULL, updated_at = now()
                         WHERE plan_id = ? AND item_id = ? AND claim_token = ? AND state = 'RUNNING'
                     RETURNING *)
                    INSERT INTO plan_event (plan_id, kind, item_id, state, data)
                    SELECT i.plan_id, 'item', i.item_id, i.state, """ + PlanEvents.ITEM_DATA + " FROM settled i",
                    state, note, notBefore, state == ItemState.WAITING, claim.planId(), claim.itemId(), claim.token());
            if (!next) {
                return Optional.<Claim>empty();
            }
            List<Claim> claimed = claim(connection, claim.planId(), 1, replica, lease);
            return claimed.isEmpty() ? Optional.<Claim>empty() : Optional.of(claimed.get(0));
        }));
    }

    private List<Claim> claim(Connection connection, UUID planId, int wanted, String replica, Duration lease)
            throws SQLException {
        record Running(Direction direction, String startedBy, String startedAuthMethod, Scopes scopes) {
        }
        // The lock first, in a statement of its own: the count below then runs on a snapshot taken
        // after the claimer before us committed, so concurrent claimers never overshoot maxConcurrency.
        Optional<Running> plan = Sql.first(connection, """
                SELECT direction, started_by, started_auth_method, creator_scopes FROM plan
                WHERE plan_id = ? AND state = 'RUNNING' AND (not_before IS NULL OR not_before <= now())
                FOR NO KEY UPDATE""", row -> new Running(Direction.valueOf(row.getString(1)), row.getString(2),
                row.getString(3), row.getString(4) == null ? Scopes.UNRESTRICTED : Scopes.fromJson(row.getString(4))),
                planId);
        if (plan.isEmpty()) {
            return List.of();
        }
        Running running = plan.get();
        UUID token = UUID.randomUUID();
        // Materialized: as a subquery in FROM, a nested loop would run the locking LIMIT again for
        // every row and claim more than asked.
        return Sql.list(connection, """
                WITH in_flight AS (
                    SELECT count(*) AS n FROM plan_item WHERE plan_id = ? AND """ + IN_FLIGHT + """
                    ),
                next AS MATERIALIZED (
                    SELECT item_id FROM plan_item
                     WHERE plan_id = ? AND state = 'WAITING' AND verdict = 'READY'
                       AND (not_before IS NULL OR not_before <= now())
                     ORDER BY item_id
                     LIMIT (SELECT greatest(0, least(?, p.max_concurrency - in_flight.n))
                              FROM plan p, in_flight WHERE p.plan_id = ?)
                       FOR UPDATE SKIP LOCKED)
                UPDATE plan_item i
                   SET state = 'RUNNING', claim_token = ?, lease_owner = ?, lease_until = now() + make_interval(secs => ?),
                       sent_at = NULL, sent_by = NULL, updated_at = now()
                  FROM next
                 WHERE i.plan_id = ? AND i.item_id = next.item_id
                RETURNING i.item_id, i.datasource_id, i.account_id, i.catalog_name, i.schema_name, i.table_name,
                          i.released_by, i.released_auth_method""",
                row -> new Claim(planId, row.getInt(1), token, new PlanItemSpec(row.getString(2), row.getString(3),
                        row.getString(4), row.getString(5), row.getString(6)), running.direction(),
                        row.getString(7) == null ? running.startedBy() : row.getString(7),
                        row.getString(7) == null ? running.startedAuthMethod() : row.getString(8), running.scopes()),
                planId, unknownInFlightSeconds, planId, wanted, planId, token, replica, seconds(lease), planId);
    }

    /** Claims that were never sent and whose lease ran out (their replica died, or stalled) wait again. */
    int releaseExpiredClaims() {
        return jdbc(connection -> Sql.update(connection, """
                UPDATE plan_item SET state = 'WAITING', claim_token = NULL, lease_owner = NULL, lease_until = NULL,
                       updated_at = now()
                 WHERE state = 'RUNNING' AND sent_at IS NULL AND lease_until < now()"""));
    }

    /**
     * Links a claimed item to the operation whose intent is being committed, in that transaction:
     * both commit or neither. Refused (409, and so no intent, no call to Domo) when the claim is no
     * longer this one's, the plan stopped running meanwhile, or another item's 429 made the whole plan
     * wait for Domo's Retry-After since this one was claimed.
     */
    void link(Claim claim, UUID operationId, String replica, Duration lease) {
        jdbc(connection -> {
            // The lease counts from now, after the intent waited for the chain's head, not from the transaction's
            // start (now()): a wait there would shorten the lease on Domo's call, and another replica's sweep
            // would take the item for abandoned while its answer was being recorded (race review).
            int linked = Sql.update(connection, """
                    WITH linked AS (
                        UPDATE plan_item SET operation_id = ?, sent_at = clock_timestamp(), sent_by = ?,
                               attempts = attempts + 1,
                               lease_until = clock_timestamp() + make_interval(secs => ?), not_before = NULL, note = NULL,
                               updated_at = now()
                         WHERE plan_id = ? AND item_id = ? AND claim_token = ? AND state = 'RUNNING' AND sent_at IS NULL
                           AND EXISTS (SELECT 1 FROM plan WHERE plan_id = ? AND state = 'RUNNING'
                                          AND (not_before IS NULL OR not_before <= now()))
                     RETURNING *)
                    INSERT INTO plan_event (plan_id, kind, item_id, state, data)
                    SELECT i.plan_id, 'item', i.item_id, i.state, """ + PlanEvents.ITEM_DATA + " FROM linked i",
                    operationId, replica, seconds(lease), claim.planId(), claim.itemId(), claim.token(), claim.planId());
            if (linked != 1) {
                throw new ProblemException(409, ProblemType.PLAN_ITEM_STATE, "Item " + claim.itemId() + " of plan "
                        + claim.planId() + " is no longer claimed by this replica, or the plan stopped running or waits for"
                        + " Domo's Retry-After");
            }
            return null;
        });
    }

    /**
     * Sent items whose owner is gone (lease run out) and, with {@code withUnknown}, items whose
     * outcome is unknown: their operations may have been resolved since. In item order after
     * {@code after} (null: from the first), so that sweeps that each read {@code limit} go round
     * all of them: without an order, more unsettled items than that would hide the rest for good.
     */
    List<Unsettled> unsettled(boolean withUnknown, Unsettled after, int limit) {
        return jdbc(connection -> Sql.list(connection, """
                SELECT plan_id, item_id, operation_id, state FROM plan_item
                WHERE ((state = 'RUNNING' AND sent_at IS NOT NULL AND lease_until < now())
                       OR (? AND state = 'UNKNOWN'))
                  AND (plan_id, item_id) > (?, ?)
                ORDER BY plan_id, item_id
                LIMIT ?""", row -> new Unsettled(row.getObject(1, UUID.class), row.getInt(2),
                row.getObject(3, UUID.class), ItemState.valueOf(row.getString(4))), withUnknown,
                after == null ? new UUID(0, 0) : after.planId(), after == null ? 0 : after.itemId(), limit));
    }

    /** The items whose latest operation this is (one, normally). */
    List<Unsettled> ofOperation(UUID operationId) {
        return jdbc(connection -> Sql.list(connection, """
                SELECT plan_id, item_id, operation_id, state FROM plan_item
                WHERE operation_id = ? AND state IN ('RUNNING', 'UNKNOWN')""",
                row -> new Unsettled(row.getObject(1, UUID.class), row.getInt(2), row.getObject(3, UUID.class),
                        ItemState.valueOf(row.getString(4))), operationId));
    }

    /**
     * Moves an unsettled item to the state its operation reached, unless it moved meanwhile or its
     * owner still holds it (a RUNNING item whose lease has not run out is its owner's to settle).
     */
    boolean settleFromOperation(Unsettled item, ItemState state, String note) {
        return QuarkusTransaction.requiringNew().call(() -> jdbc(connection -> {
            int updated = Sql.update(connection, """
                    UPDATE plan_item SET state = ?, note = ?, finished_at = CASE WHEN ? THEN NULL ELSE now() END,
                           claim_token = NULL, lease_owner = NULL, lease_until = NULL, updated_at = now()
                     WHERE plan_id = ? AND item_id = ? AND operation_id = ? AND state = ?
                       AND (state = 'UNKNOWN' OR lease_until < now())""",
                    state, note, state == ItemState.WAITING, item.planId(), item.itemId(), item.operationId(),
                    item.state());
            if (updated == 1) {
                PlanEvents.item(connection, item.planId(), item.itemId());
            }
            return updated == 1;
        }));
    }

    private static Row row(ResultSet row) throws SQLException {
        return new Row(row.getObject("plan_id", UUID.class), row.getInt("item_id"),
                new PlanItemSpec(row.getString("datasource_id"), row.getString("account_id"),
                        row.getString("catalog_name"), row.getString("schema_name"), row.getString("table_name")),
                Verdict.valueOf(row.getString("verdict")), row.getString("reason"),
                ItemState.valueOf(row.getString("state")), row.getString("note"),
                row.getObject("operation_id", UUID.class), row.getInt("attempts"), Sql.instant(row, "sent_at"),
                Sql.instant(row, "finished_at"));
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    private interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Work on the connection of the caller's transaction, or on its own; a failure is a 503. */
    private <T> T jdbc(Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The plan store is unavailable; retry later",
                    e);
        }
    }
}
