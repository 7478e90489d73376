package com.domomigrationproxy.ledger;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.jboss.logging.Logger;
import org.postgresql.util.PSQLException;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.DatasourceIds;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.narayana.jta.QuarkusTransactionException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * The audit trail of operations: the one place that writes and reads the {@code operation} table.
 * The intent is committed before Domo is called, the outcome after, each with its event in the
 * hash chain ({@link HashChain}) in the same transaction. Each write is a transaction of its own,
 * committed before the method returns, so that a failure to commit is seen here; none ever spans a
 * call to Domo.
 */
@ApplicationScoped
public class OperationStore {

    private static final String IN_FLIGHT_CONSTRAINT = "uq_operation_in_flight";
    private static final String NEWEST_FIRST = " ORDER BY o.requested_at DESC, o.operation_id DESC";
    /**
     * How long an intent's transaction may wait for a row lock once the intent is written (its key's,
     * its plan item's): a PENDING operation's age counts from the intent's record, so the grace must
     * cover this.
     */
    public static final Duration INTENT_LOCK_WAIT = Duration.ofSeconds(5);
    private static final int BATCH = 250;
    private static final int READ_AHEAD = 2;
    private static final Logger LOG = Logger.getLogger(OperationStore.class);
    /** The chain event of Domo's answer to an operation resolved before the answer could be written. */
    public static final String LATE_OUTCOME = "LATE_OUTCOME";
    /** A reversal resolved COMPLETE whose late answer says otherwise: it no longer ends what came before it. */
    private static final String LATE_OUTCOME_NOT_COMPLETE = """
            (o.reconciled_state IS NOT NULL AND EXISTS (SELECT 1 FROM audit_event l
              WHERE l.subject = o.operation_id::text AND l.kind = 'LATE_OUTCOME'
                AND l.payload::jsonb->>'state' <> 'COMPLETE'))""";

    private final DataSource dataSource;
    private final Event<LedgerEvent> events;
    private final LedgerConfig config;
    private final Ledger ledger;
    /** Outcomes Domo gave that the database could not take yet, oldest first, by operation id. */
    private final Map<UUID, Backlogged> backlog = new LinkedHashMap<>();
    /** Set by the last try at shutdown: an outcome that fails later is logged as lost at once. Guarded by backlog. */
    private boolean closed;
    /** The threads that read exports ahead of their writers: one per running export. */
    private final ExecutorService readers = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "export-reader");
        thread.setDaemon(true);
        return thread;
    });

    @Inject
    OperationStore(DataSource dataSource, Event<LedgerEvent> events, LedgerConfig config, Ledger ledger) {
        this.dataSource = dataSource;
        this.events = events;
        this.config = config;
        this.ledger = ledger;
    }

    /**
     * Commits the PENDING row and its INTENT event, and whatever {@code sameTransaction} writes
     * (an Idempotency-Key's link to the operation), all or nothing. Throws 409 when another
     * operation holds the datasource and 503 when the store cannot take the row; in both cases
     * Domo must not be called. With nothing to write alongside ({@code sameTransaction} null), the
     * row and its event are one statement sent outside a transaction block, as the outcome is:
     * PostgreSQL commits it within that round trip, so the chain head is locked the shortest time.
     */
    public Operation recordIntent(OperationIntent intent, Consumer<Operation> sameTransaction) {
        // PostgreSQL keeps microseconds; the answer must match what a later read returns.
        Operation pending = new Operation(UUID.randomUUID(), storable(intent).at(now()), Outcome.PENDING, null, null,
                null);
        try {
            if (sameTransaction == null) {
                outsideTransaction(() -> write(connection -> appended(insert(connection, pending), HashChain.INTENT)));
            } else {
                QuarkusTransaction.requiringNew().run(() -> {
                    write(connection -> {
                        appended(insert(connection, pending), HashChain.INTENT);
                        // The intent's time is taken now; reconciliation counts a PENDING operation's age from
                        // it. A row lock the rest of this transaction waits for (the key's, the plan item's)
                        // would commit the intent older than it looks, up to the transaction's 60 s: taken
                        // for abandoned while its Domo call runs, under a short grace.
                        Sql.update(connection, "SET LOCAL lock_timeout = '" + INTENT_LOCK_WAIT.toMillis() + "ms'");
                    });
                    sameTransaction.accept(pending);
                });
            }
        } catch (InFlight e) {
            throw inFlight(intent.datasourceId());
        } catch (ProblemException e) {
            throw e;
        } catch (RuntimeException e) {
            events.fire(new LedgerEvent.AuditWriteFailed(LedgerEvent.Phase.INTENT));
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE,
                    "The audit store cannot record this operation, so Domo was not called; retry later", e);
        }
        events.fire(new LedgerEvent.OperationRecorded(pending));
        return pending;
    }

    /**
     * Records the outcome of a PENDING operation: one UPDATE that only an unresolved PENDING row
     * matches, and its OUTCOME event. If the store fails now, Domo has already acted: the answer
     * still goes to the caller, the outcome is written again in the background until the store
     * takes it, and reconciliation is the last resort.
     */
    public Operation recordOutcome(Operation pending, Outcome outcome) {
        Operation done = new Operation(pending.operationId(), pending.intent(), outcome.storable().recordedAt(now()),
                null, null, null);
        try {
            writeOutcome(done);
        } catch (RuntimeException e) {
            events.fire(new LedgerEvent.AuditWriteFailed(LedgerEvent.Phase.OUTCOME));
            backlog(done, rootCause(e));
            Operation answered = new Operation(done.operationId(), done.intent(), done.outcome().recordedAt(null),
                    null, null, null);
            events.fire(new LedgerEvent.OperationFinished(answered, false));
            return answered;
        }
        events.fire(new LedgerEvent.OperationFinished(done, true));
        return done;
    }

    /** True while an outcome of this operation waits here for the database: it is not unknown. */
    public boolean outcomeBacklogged(UUID operationId) {
        synchronized (backlog) {
            return backlog.containsKey(operationId);
        }
    }

    /** Writes backlogged outcomes again, oldest first; gives up on each after the configured time. */
    @Scheduled(identity = "audit-outcome-retry", every = "${proxy.audit.outcome-retry-interval:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void retryBackloggedOutcomes() {
        writeBacklog(false);
    }

    /**
     * At shutdown, after the requests in flight: one last try, and each outcome still unwritten is
     * logged as lost (the process that held it stops), as docs/operations.md says; a SIGTERM dropped
     * them without the line an alert watches for.
     */
    void onShutdown(@Observes ShutdownEvent event) {
        synchronized (backlog) {
            closed = true;
        }
        writeBacklog(true);
    }

    /** A store that starts (again) keeps failed outcomes for its retries. */
    void onStart(@Observes StartupEvent event) {
        synchronized (backlog) {
            closed = false;
        }
    }

    /**
     * One writer at a time: the last try at shutdown may meet a scheduled round under way, and both
     * writing one outcome would append its LATE_OUTCOME event twice.
     */
    private synchronized void writeBacklog(boolean stopping) {
        List<Backlogged> due;
        synchronized (backlog) {
            due = new ArrayList<>(backlog.values());
        }
        boolean storeDown = false;
        for (Backlogged entry : due) {
            Operation done = new Operation(entry.operation().operationId(), entry.operation().intent(),
                    entry.operation().outcome().recordedAt(now()), null, null, null);
            if (!storeDown) {
                try {
                    writeOutcome(done);
                    forget(done.operationId());
                    LOG.infof("Outcome of operation %s recorded after %d s in the backlog: %s", done.operationId(),
                            (System.nanoTime() - entry.sinceNanos()) / 1_000_000_000L, done.state());
                    continue;
                } catch (RuntimeException e) {
                    storeDown = true; // the rest would wait for the same store
                }
            }
            if (stopping || System.nanoTime() - entry.sinceNanos() > config.outcomeRetryFor().toNanos()) {
                forget(done.operationId());
                notRecorded(done, stopping);
            } else {
                return; // the store is still down: the rest waits for the next round
            }
        }
    }

    /*
     * The updates of one operation below test its state as "(state = …) IS TRUE" (the same, state
     * is NOT NULL) so that only the primary key can find the row: with "state = 'PENDING'" the
     * planner, counting a handful of PENDING rows, walks ix_operation_state's PENDING range
     * instead, and that range keeps an entry for every operation that was PENDING since the last
     * vacuum (an outcome is no HOT update): 4 ms per outcome at 10,000,000 rows, against 0.1 ms.
     */

    /**
     * Records, next to an unresolved operation, what Domo showed later or what a person decided
     * ({@code by}, null for the service). Returns empty when it was resolved meanwhile.
     */
    public Optional<Operation> recordReconciliation(UUID operationId, OperationState state, String note, String by) {
        var reconciliation = new Operation.Reconciliation(state, now(), StorableText.of(note), by);
        return change(operationId, HashChain.RECONCILIATION, """
                reconciled_state = ?, reconciled_at = ?, reconciliation_note = ?, reconciled_by = ?""",
                new Object[] { state, reconciliation.at(), reconciliation.note(), by },
                new Operation(operationId, null, null, reconciliation, null, null), LedgerEvent.OperationReconciled::new);
    }

    /** Flags an unresolved operation for a person, once. Returns empty when flagged or resolved meanwhile. */
    public Optional<Operation> flagForReview(UUID operationId, String reason) {
        var review = new Operation.Review(StorableText.of(reason), now());
        return change(operationId, HashChain.REVIEW, "review_reason = ?, review_flagged_at = ?",
                new Object[] { review.reason(), review.flaggedAt() },
                new Operation(operationId, null, null, null, review, null), LedgerEvent.OperationFlagged::new);
    }

    /**
     * Operations whose outcome nobody knows and that no person has been asked about yet: UNKNOWN,
     * or PENDING with an intent recorded before {@code pendingBefore} ({@link #intentRecordedAt});
     * oldest first, after {@code after} (null: from the first). A page of what reconciliation looks
     * at: at most {@code size}, fewer when they are large ({@link RowPage}).
     */
    public RowPage<Operation> unresolved(Instant pendingBefore, Operation after, int size) {
        List<Object> parameters = new ArrayList<>();
        StringBuilder page = new StringBuilder(OperationRows.SELECT).append("""
                 WHERE o.reconciled_at IS NULL AND o.review_reason IS NULL
                  AND (o.state = 'UNKNOWN' OR (o.state = 'PENDING' AND greatest(o.requested_at, (
                      SELECT e.recorded_at FROM audit_event e WHERE e.seq = o.intent_seq
                         AND e.operation_id = o.operation_id AND e.kind = 'INTENT')) < ?))""");
        parameters.add(pendingBefore);
        if (after != null) {
            page.append(" AND (o.requested_at, o.operation_id) > (?, ?)");
            parameters.add(after.requestedAt());
            parameters.add(after.operationId());
        }
        page.append(" ORDER BY o.requested_at, o.operation_id");
        return bounded(page, parameters, size, "requested_at, operation_id");
    }

    /**
     * Every operation on a datasource in the order their intents were recorded (that of their Domo
     * calls; rows from before the chain links first): the evidence of what state it was in before.
     */
    public List<Operation> history(String datasourceId) {
        return read(connection -> Sql.list(connection, OperationRows.SELECT
                + " WHERE datasource_key(o.datasource_id) = ? ORDER BY o.intent_seq NULLS FIRST, o.requested_at, o.operation_id",
                mapper(), DatasourceIds.canonical(datasourceId)));
    }

    /**
     * The late answers ({@link #LATE_OUTCOME} events) to the operations on a datasource, by operation:
     * what {@link #history} does not show, for {@link Operation#mayHaveTakenEffect} and
     * {@link Operation#tookEffect}.
     */
    public Map<UUID, Operation.LateAnswer> lateAnswers(String datasourceId) {
        Map<UUID, Operation.LateAnswer> answers = new HashMap<>();
        read(connection -> Sql.list(connection, """
                SELECT o.operation_id, l.payload::jsonb->>'state', (l.payload::jsonb->>'upstreamStatus')::int
                  FROM operation o JOIN audit_event l ON l.subject = o.operation_id::text AND l.kind = ?
                 WHERE datasource_key(o.datasource_id) = ?""", row -> answers.put(row.getObject(1, UUID.class),
                new Operation.LateAnswer(OperationState.valueOf(row.getString(2)), (Integer) row.getObject(3))),
                LATE_OUTCOME, DatasourceIds.canonical(datasourceId)));
        return answers;
    }

    /**
     * When the database recorded the operation's intent: its INTENT event's time, taken once the
     * chain head's lock was held. Domo is called only after that, and it may be well after
     * {@code requestedAt} (stamped before the intent waits for the lock: behind a replica lost
     * holding it, minutes). Never before {@code requestedAt}: the two come from different clocks
     * (the database's, the replica's), and a database clock behind must not make an operation look
     * abandoned sooner; {@code requestedAt} too for a row without its link (none are written so any more).
     */
    public Instant intentRecordedAt(Operation operation) {
        Instant recorded = read(connection -> Sql.first(connection, "SELECT e.recorded_at FROM operation o"
                + " JOIN audit_event e ON e.seq = o.intent_seq AND e.operation_id = o.operation_id AND e.kind = 'INTENT'"
                + " WHERE o.operation_id = ?", row -> Sql.instant(row, 1), operation.operationId()))
                .orElse(operation.requestedAt());
        return recorded.isAfter(operation.requestedAt()) ? recorded : operation.requestedAt();
    }

    public Optional<Operation> find(UUID operationId) {
        return read(connection -> Sql.first(connection, OperationRows.SELECT + " WHERE o.operation_id = ?", mapper(),
                operationId));
    }

    /**
     * The outcome of each of these operations, by id, read without the rest of their rows: a plan's
     * items show only this, a page or a report's thousand at a time, and the operations of a plan all
     * repeat its creator's scopes (a thousand rows of a 64 KiB grant were 128 MiB of heap).
     */
    public Map<UUID, Outcome> outcomes(Collection<UUID> operationIds) {
        return byId(OperationRows.OUTCOMES, operationIds, OperationRows::outcome);
    }

    /**
     * What plan items follow of each of these operations, by id, without the rest of their rows: a
     * plan executor's sweep reads up to a thousand at a time.
     */
    public Map<UUID, OperationStatus> statuses(Collection<UUID> operationIds) {
        return byId(OperationRows.STATUSES, operationIds, OperationRows::status);
    }

    /** What {@code select} (operation_id first, then what {@code mapper} reads) has of these operations, by id. */
    private <T> Map<UUID, T> byId(String select, Collection<UUID> operationIds, Sql.Row<T> mapper) {
        if (operationIds.isEmpty()) {
            return Map.of();
        }
        Map<UUID, T> found = new HashMap<>();
        read(connection -> Sql.list(connection, select + " WHERE o.operation_id = ANY(?)",
                row -> found.put(row.getObject(1, UUID.class), mapper.map(row)),
                connection.createArrayOf("uuid", operationIds.toArray())));
        return found;
    }

    /** The operation holding each of these datasources (in flight, or its outcome not yet known), if any. */
    public Map<String, UUID> holders(Collection<String> datasourceIds) {
        if (datasourceIds.isEmpty()) {
            return Map.of();
        }
        return read(connection -> {
            Map<String, UUID> holders = new HashMap<>();
            ByKey asked = new ByKey(datasourceIds);
            Sql.list(connection, """
                    SELECT datasource_key(o.datasource_id), o.operation_id FROM operation o
                    WHERE datasource_key(o.datasource_id) = ANY(?)""" + " AND " + Operation.unresolvedSql("o"),
                    row -> asked.put(holders, row.getString(1), row.getObject(2, UUID.class)), asked.keys(connection));
            return holders;
        });
    }

    /**
     * For each of these datasources, the account of its latest migration that took effect or may
     * have: where Domo lists it as migrated. Latest in the order intents were recorded, as
     * {@link #accountsToReverseFrom} reads them. The rule of {@link Operation#mayHaveTakenEffectSql}: not
     * ABORTED (unless Domo's late answer says otherwise), and not FAILED with no status, a 3xx or a 4xx
     * (a FAILED with a 2xx or a 5xx counts).
     */
    public Map<String, String> lastMigrationAccounts(Collection<String> datasourceIds) {
        if (datasourceIds.isEmpty()) {
            return Map.of();
        }
        return read(connection -> {
            Map<String, String> accounts = new HashMap<>();
            ByKey asked = new ByKey(datasourceIds);
            Sql.list(connection, """
                    SELECT DISTINCT ON (datasource_key(datasource_id)) datasource_key(datasource_id), account_id
                    FROM operation o WHERE datasource_key(datasource_id) = ANY(?) AND direction = 'V1_TO_V2' AND %s
                    ORDER BY datasource_key(datasource_id), intent_seq DESC NULLS LAST, requested_at DESC, operation_id DESC"""
                    .formatted(Operation.mayHaveTakenEffectSql("o")),
                    row -> asked.put(accounts, row.getString(1), row.getString(2)), asked.keys(connection));
            return accounts;
        });
    }

    /**
     * For each of these datasources, the accounts a reversal may take it out of: every account that a
     * migration which took effect or may have (the rule of {@link #lastMigrationAccounts}) went to
     * since its last reversal that took effect (COMPLETE, or resolved so), in the order their intents
     * were recorded (that of their Domo calls: requestedAt is stamped before an intent waits for the
     * audit store, and rows from before the chain links, with no intent seq, come first); with none
     * since, the account of the last such migration before it. Empty for a datasource with none: a
     * migration whose effect is uncertain must not hide the one that did take effect before it.
     */
    public Map<String, Set<String>> accountsToReverseFrom(Collection<String> datasourceIds) {
        if (datasourceIds.isEmpty()) {
            return Map.of();
        }
        return read(connection -> {
            ByKey asked = new ByKey(datasourceIds);
            Map<String, Set<String>> since = new HashMap<>();
            Map<String, String> before = new HashMap<>();
            Sql.list(connection, """
                    SELECT datasource_key(datasource_id), direction, account_id FROM operation o
                    WHERE datasource_key(datasource_id) = ANY(?) AND ((direction = 'V1_TO_V2' AND %s)
                      OR (direction = 'V2_TO_V1' AND coalesce(reconciled_state, state) = 'COMPLETE'
                        AND NOT %s))
                    ORDER BY datasource_key(datasource_id), intent_seq NULLS FIRST, requested_at, operation_id"""
                    .formatted(Operation.mayHaveTakenEffectSql("o"), LATE_OUTCOME_NOT_COMPLETE),
                    row -> {
                        String datasource = row.getString(1);
                        Set<String> accounts = since.computeIfAbsent(datasource, any -> new LinkedHashSet<>());
                        if (Direction.V2_TO_V1.name().equals(row.getString(2))) {
                            accounts.stream().reduce((first, last) -> last).ifPresent(last -> before.put(datasource, last));
                            accounts.clear();
                        } else {
                            accounts.remove(row.getString(3));
                            accounts.add(row.getString(3));
                        }
                        return null;
                    },
                    asked.keys(connection));
            Map<String, Set<String>> accounts = new HashMap<>();
            since.forEach((datasource, found) -> {
                if (!found.isEmpty()) {
                    asked.put(accounts, datasource, found);
                } else if (before.containsKey(datasource)) {
                    asked.put(accounts, datasource, Set.of(before.get(datasource)));
                }
            });
            return accounts;
        });
    }

    /**
     * Operations matching the query, newest first, after {@code after} when given: at most
     * {@code size}, fewer when they are large ({@link RowPage}).
     */
    public RowPage<Operation> page(OperationQuery query, OperationQuery.Position after, int size) {
        List<Object> parameters = new ArrayList<>();
        StringBuilder page = new StringBuilder(OperationRows.SELECT).append(" WHERE ").append(query.where(parameters));
        if (after != null) {
            page.append(" AND (o.requested_at, o.operation_id) < (?, ?)");
            parameters.add(after.requestedAt());
            parameters.add(after.operationId());
        }
        page.append(NEWEST_FIRST);
        return bounded(page, parameters, size, "requested_at DESC, operation_id DESC");
    }

    /**
     * The page of {@code size} operations of an ordered query ({@code order}: the same order by its
     * output columns), ended at {@link RowPage#BYTES} of their scopes in the database: every row
     * repeats its caller's grant, which has no size limit.
     */
    private RowPage<Operation> bounded(StringBuilder ordered, List<Object> parameters, int size, String order) {
        String sql = RowPage.bounded(ordered.toString(), parameters, size, "coalesce(octet_length(scopes), 0)", order);
        Sql.Row<Operation> operation = mapper();
        RowPage.Counted counted = new RowPage.Counted();
        List<Operation> read = read(connection -> Sql.list(connection, sql, row -> counted.row(row, operation.map(row)),
                parameters.toArray()));
        return counted.page(read, size);
    }

    /**
     * Every operation matching the query, newest first, handed over one at a time on the calling
     * thread (bounded memory: the rows are read on another thread at most {@value #READ_AHEAD}
     * batches of {@value #BATCH} rows, or of about 1 MiB of scopes, ahead, while the caller writes the
     * ones before).
     */
    public void stream(OperationQuery query, Consumer<Operation> sink) {
        List<Object> parameters = new ArrayList<>();
        String sql = newestFirst(OperationRows.SELECT, query, parameters);
        ReadAhead.run(readers, BATCH, READ_AHEAD, Operation::scopesLength, items -> Ledger.streamRows(dataSource, sql,
                parameters, rows -> {
                    OperationRows.Columns columns = new OperationRows.Columns(rows);
                    FetchSize fetch = new FetchSize(rows);
                    while (rows.next()) {
                        Operation operation = OperationRows.map(rows, columns);
                        fetch.read(operation.scopesLength());
                        items.accept(operation);
                    }
                }), sink);
    }

    /**
     * Every operation matching the query, newest first, as the UTF-8 text of {@code fields}: one
     * array per operation, in the fields' order, null where the operation has no value. Handed over
     * as {@link #stream} hands Operations, for an export that copies bytes (a million-row CSV spent
     * half its CPU building Operations from the driver's strings and timestamps, then encoding them
     * again); read with COPY, which sends rows without waiting for fetches.
     */
    public void streamText(OperationQuery query, List<OperationField> fields, Consumer<byte[][]> sink) {
        List<Object> parameters = new ArrayList<>();
        String sql = newestFirst(OperationField.select(fields), query, parameters);
        ReadAhead.run(readers, BATCH, READ_AHEAD, OperationStore::length, items -> Ledger.copyRows(dataSource, sql,
                parameters, copy -> new OperationText(fields).read(copy, items)), sink);
    }

    private static long length(byte[][] fields) {
        long length = 0;
        for (byte[] field : fields) {
            length += field == null ? 0 : field.length;
        }
        return length;
    }

    private static String newestFirst(String select, OperationQuery query, List<Object> parameters) {
        return select + " WHERE " + query.where(parameters) + NEWEST_FIRST;
    }

    @PreDestroy
    void stopReaders() {
        readers.shutdownNow();
    }

    /**
     * The outcome and its event are one statement, sent outside any transaction: PostgreSQL
     * commits it itself, so the chain head's row lock is held for the statement and its commit
     * only, not also for a round trip back to the service and a separate COMMIT (under load, the
     * service thread holding the lock could wait for a core meanwhile, and every appender with it).
     */
    private void writeOutcome(Operation done) {
        boolean[] written = new boolean[1];
        outsideTransaction(() -> write(connection -> {
            Outcome outcome = done.outcome();
            Optional<HashChain.Appended> link = HashChain.appendUpdate(connection, done.operationId(),
                    "(state = 'PENDING') IS TRUE AND reconciled_at IS NULL", """
                    state = ?, toe = ?, start_time = ?, end_time = ?, error_message = ?, upstream_status = ?,
                    duration_ms = ?, completed_at = ?""",
                    new Object[] { outcome.state(), outcome.toe(), outcome.startTime(), outcome.endTime(),
                            outcome.errorMessage(), outcome.upstreamStatus(), outcome.durationMs(),
                            outcome.completedAt() },
                    HashChain.OUTCOME, HashChain.outcomePayload(done));
            link.ifPresent(appended -> appended(appended, HashChain.OUTCOME));
            written[0] = link.isPresent();
        }));
        if (!written[0]) {
            afterResolution(done);
        }
    }

    /**
     * The outcome was not written: either this very outcome was written by an earlier attempt whose
     * acknowledgement was lost (then there is nothing to do), or the operation, still PENDING, was
     * resolved meanwhile: reconciled, or by a person, while this replica held the outcome in its
     * backlog. Then the row keeps its resolution, and what Domo said goes into the chain as a
     * LATE_OUTCOME event of its own, next to the resolution it may contradict, so that it is not lost.
     */
    private void afterResolution(Operation done) {
        Operation now = find(done.operationId()).orElseThrow();
        // Only an outcome moves a row off PENDING: a row that left it has this outcome already
        // (reconciled afterwards or not); one still PENDING was resolved before any outcome came.
        if (now.state() != OperationState.PENDING || now.reconciliation() == null) {
            LOG.infof("Outcome of operation %s was already recorded (state=%s)", done.operationId(), now.state());
            return;
        }
        // An earlier attempt may have appended it and lost the acknowledgement, as for the outcome itself.
        if (read(connection -> Sql.first(connection, "SELECT 1 FROM audit_event WHERE subject = ? AND kind = ?",
                row -> true, done.operationId().toString(), LATE_OUTCOME)).isPresent()) {
            LOG.infof("Late outcome of operation %s was already recorded", done.operationId());
            return;
        }
        Outcome outcome = done.outcome();
        LOG.errorf("Outcome of operation %s arrived after the operation was resolved as %s; Domo said state=%s toe=%s:"
                + " recorded as a %s event", done.operationId(), now.reconciliation().state(), outcome.state(),
                outcome.toe(), LATE_OUTCOME);
        Map<String, Object> members = HashChain.outcomeMembers(done);
        members.put("resolvedAs", now.reconciliation().state().name());
        members.put("resolvedBy", now.reconciliation().by());
        ledger.append(LATE_OUTCOME, done.operationId().toString(), members);
    }

    /**
     * Reconciles or flags an unresolved operation ({@code set}, the columns of {@code kind}) with
     * its event, in one statement, and reads it back; empty when it was resolved or flagged
     * meanwhile. {@code changes} holds what the event covers: the operation id and the new values.
     */
    private Optional<Operation> change(UUID operationId, String kind, String set, Object[] parameters,
            Operation changes, java.util.function.Function<Operation, LedgerEvent> event) {
        String condition = "(state IN ('PENDING', 'UNKNOWN')) IS TRUE AND reconciled_at IS NULL"
                + (HashChain.REVIEW.equals(kind) ? " AND review_reason IS NULL" : "");
        Optional<HashChain.Appended> link = outsideTransaction(() -> read(connection -> HashChain.appendUpdate(
                connection, operationId, condition, set, parameters, kind,
                HashChain.payload(kind, changes))));
        if (link.isEmpty()) {
            return Optional.empty();
        }
        appended(link.get(), kind);
        Optional<Operation> changed = find(operationId);
        changed.ifPresent(operation -> events.fire(event.apply(operation)));
        return changed;
    }

    /** The PENDING row and its INTENT event, in one statement. */
    private static HashChain.Appended insert(Connection connection, Operation pending) throws SQLException {
        OperationIntent intent = pending.intent();
        try {
            return HashChain.appendInsert(connection, """
                    operation_id, direction, datasource_id, account_id, catalog_name, schema_name, table_name,
                    requested_by, requested_at, request_id, auth_method, client_address, plan_id, scopes_digest, state""",
                    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, operation_grant_digest(?), 'PENDING'",
                    new Object[] { pending.operationId(), intent.direction(), intent.datasourceId(),
                            intent.accountId(), intent.catalog(), intent.schema(), intent.table(),
                            intent.requestedBy(), intent.requestedAt(), intent.requestId(), intent.authMethod(),
                            intent.clientAddress(), intent.planId(),
                            intent.scopes() == null ? null : intent.scopes().toJson() },
                    HashChain.INTENT, pending.operationId(), HashChain.intentPayload(pending));
        } catch (SQLException e) {
            if (e instanceof PSQLException refused && refused.getServerErrorMessage() != null
                    && IN_FLIGHT_CONSTRAINT.equals(refused.getServerErrorMessage().getConstraint())) {
                throw new InFlight();
            }
            throw e;
        }
    }

    private void appended(HashChain.Appended link, String kind) {
        events.fire(new LedgerEvent.ChainAppended(link.seq(), kind));
    }

    private ProblemException inFlight(String datasourceId) {
        Optional<Operation> holder;
        try {
            holder = read(connection -> Sql.first(connection, OperationRows.SELECT
                    + " WHERE datasource_key(o.datasource_id) = ? AND " + Operation.unresolvedSql("o"),
                    mapper(), DatasourceIds.canonical(datasourceId)));
        } catch (RuntimeException e) {
            LOG.warnf("Could not look up the operation holding datasource %s: %s", datasourceId, rootCause(e));
            holder = Optional.empty();
        }
        String detail;
        if (holder.map(Operation::review).isPresent()) {
            detail = "Datasource " + datasourceId + " has an operation whose outcome Domo could not tell; it stays"
                    + " locked until a person records how it ended";
        } else if (holder.filter(operation -> operation.state() == OperationState.UNKNOWN).isPresent()) {
            detail = "Datasource " + datasourceId + " has an operation whose outcome is unknown (Domo did not answer in"
                    + " time); it stays locked until that outcome is reconciled with Domo";
        } else {
            detail = "Another migration or reversal of datasource " + datasourceId
                    + " is in progress; wait for its outcome before starting another";
        }
        ProblemException conflict = new ProblemException(409, ProblemType.OPERATION_IN_PROGRESS, detail);
        return holder.map(operation -> conflict.withRunningOperationId(operation.operationId())).orElse(conflict);
    }

    private static void notRecorded(Operation done, boolean stopping) {
        LOG.errorf("AUDIT OUTCOME NOT RECORDED: operation %s stays PENDING (state=%s toe=%s)%s;"
                + " reconciliation will resolve it", done.operationId(), done.state(), done.outcome().toe(),
                stopping ? " as the process stops" : "");
    }

    private void backlog(Operation done, String cause) {
        synchronized (backlog) {
            if (closed) {
                // After the last try at shutdown (a request that outlived the wait for requests in flight):
                // no retry comes, so it is said now, not dropped unsaid with the process (lifecycle review).
                notRecorded(done, true);
                return;
            }
            LOG.errorf("Outcome of operation %s not recorded yet (%s): state=%s toe=%s; retrying in the background",
                    done.operationId(), cause, done.state(), done.outcome().toe());
            if (backlog.size() >= config.outcomeBacklogSize()) {
                Iterator<Backlogged> oldest = backlog.values().iterator();
                Backlogged dropped = oldest.next();
                oldest.remove();
                LOG.errorf("AUDIT OUTCOME NOT RECORDED: the outcome backlog is full; operation %s (state=%s toe=%s) is"
                        + " left to reconciliation", dropped.operation().operationId(), dropped.operation().state(),
                        dropped.operation().outcome().toe());
            }
            backlog.put(done.operationId(), new Backlogged(done, System.nanoTime()));
        }
    }

    private void forget(UUID operationId) {
        synchronized (backlog) {
            backlog.remove(operationId);
        }
    }

    private static OperationIntent storable(OperationIntent intent) {
        return new OperationIntent(intent.direction(), StorableText.of(intent.datasourceId()),
                StorableText.of(intent.accountId()), StorableText.of(intent.catalog()), StorableText.of(intent.schema()),
                StorableText.of(intent.table()), StorableText.of(intent.requestedBy()), intent.requestedAt(),
                StorableText.of(intent.requestId()), intent.authMethod(), StorableText.of(intent.clientAddress()),
                intent.planId(), intent.scopes());
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    private static Sql.Row<Operation> mapper() {
        OperationRows.Columns[] columns = new OperationRows.Columns[1];
        return row -> {
            if (columns[0] == null) {
                columns[0] = new OperationRows.Columns(row);
            }
            return OperationRows.map(row, columns[0]);
        };
    }

    /** Work on a pooled connection; inside a transaction it is the transaction's connection. */
    private interface Work {
        void run(Connection connection) throws SQLException;
    }

    private interface Query<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Writes; a failure stays a plain runtime exception, for the caller to tell the phase. */
    /**
     * Runs one autocommitted write outside whatever transaction the caller is in; its failure is
     * thrown as it is (the transaction runner would wrap it).
     */
    private static void outsideTransaction(Runnable work) {
        outsideTransaction(() -> {
            work.run();
            return null;
        });
    }

    private static <T> T outsideTransaction(java.util.concurrent.Callable<T> work) {
        try {
            return QuarkusTransaction.suspendingExisting().call(work);
        } catch (QuarkusTransactionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw e;
        }
    }

    private void write(Work work) {
        try (Connection connection = dataSource.getConnection()) {
            work.run(connection);
        } catch (SQLException e) {
            throw new StoreFailure(e);
        }
    }

    private <T> T read(Query<T> query) {
        try (Connection connection = dataSource.getConnection()) {
            return query.run(connection);
        } catch (SQLException e) {
            throw OperationRows.readFailure(e);
        }
    }

    private static String rootCause(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName();
    }

    /**
     * The datasource ids a caller asked about, by their key (SQL's {@code datasource_key}, a UUID in
     * lower case): rows come back by key, and the answers go out under the ids as asked.
     */
    private static final class ByKey {

        private final Map<String, List<String>> ids = new HashMap<>();

        ByKey(Collection<String> datasourceIds) {
            for (String id : datasourceIds) {
                ids.computeIfAbsent(DatasourceIds.canonical(id), key -> new ArrayList<>()).add(id);
            }
        }

        java.sql.Array keys(Connection connection) throws SQLException {
            return connection.createArrayOf("text", ids.keySet().toArray());
        }

        <V> Void put(Map<String, V> answers, String key, V value) {
            for (String id : ids.getOrDefault(key, List.of())) {
                answers.put(id, value);
            }
            return null;
        }
    }

    private record Backlogged(Operation operation, long sinceNanos) {
    }

    /** A write the database refused or could not take. */
    private static final class StoreFailure extends RuntimeException {
        StoreFailure(SQLException cause) {
            super(cause.getSQLState(), cause, false, false);
        }
    }

    /** The datasource is held by another operation (the in-flight unique index refused the row). */
    private static final class InFlight extends RuntimeException {
        InFlight() {
            super(null, null, false, false);
        }
    }
}
