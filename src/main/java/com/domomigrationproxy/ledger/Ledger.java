package com.domomigrationproxy.ledger;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * The hash chain as a whole: appends events that are about no operation (plan transitions,
 * auditors' access, checkpoints), reads events in sequence order, and verifies the whole chain.
 * Operation events are written by {@link OperationStore}.
 */
@ApplicationScoped
public class Ledger {

    /** What an event kind looks like, anchored as OpenAPI patterns are read. */
    public static final String KIND_PATTERN = "^[A-Z][A-Z_]{0,63}$";
    private static final Pattern KIND = Pattern.compile(KIND_PATTERN);
    private static final int FETCH_SIZE = 1_000;
    private static final String EVENTS = """
            SELECT e.seq AS event_seq, e.kind AS event_kind, e.operation_id AS event_operation_id,
                   e.subject AS event_subject, e.recorded_at AS event_recorded_at, e.prev_hash AS event_prev_hash,
                   e.hash AS event_hash, e.payload AS event_payload, o.*
            FROM audit_event e LEFT JOIN operation o ON o.operation_id = e.operation_id
            """;

    private final DataSource dataSource;
    private final Event<LedgerEvent> events;
    private final CheckpointKeys keys;
    private final Optional<Path> checkpointDir;

    @Inject
    Ledger(DataSource dataSource, Event<LedgerEvent> events, CheckpointKeys keys, LedgerConfig config) {
        this.dataSource = dataSource;
        this.events = events;
        this.keys = keys;
        this.checkpointDir = config.checkpointDir();
    }

    /**
     * Appends an event about no operation, in the caller's transaction when there is one (so that
     * the state change it records and the event commit together), else in its own.
     * {@code members} are strings, numbers, booleans, lists and maps; {@code event} is added.
     */
    public ChainEvent append(String kind, String subject, Map<String, ?> members) {
        if (!KIND.matcher(kind).matches() || HashChain.OPERATION_EVENTS.contains(kind)) {
            throw new IllegalArgumentException(kind + " is not an event kind this method appends");
        }
        String payload = HashChain.payload(kind, members);
        ChainEvent event = QuarkusTransaction.joiningExisting().call(() -> {
            try (Connection connection = dataSource.getConnection()) {
                HashChain.Appended link = HashChain.append(connection, kind, StorableText.of(subject), payload);
                return new ChainEvent(link.seq(), kind, null, subject, link.recordedAt(), link.prevHash(), link.hash(),
                        payload);
            } catch (SQLException e) {
                throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE,
                        "The audit store cannot record this event; retry later", e);
            }
        });
        events.fire(new LedgerEvent.ChainAppended(event.seq(), kind));
        return event;
    }

    /** At most {@code limit} events matching the query with seq greater than {@code afterSeq}, in sequence order. */
    public List<ChainEvent> events(EventQuery query, long afterSeq, int limit) {
        List<ChainEvent> page = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        String sql = EVENTS + " WHERE " + query.where(parameters) + " AND e.seq > ? ORDER BY e.seq LIMIT ?";
        parameters.add(afterSeq);
        parameters.add(limit);
        streamRows(dataSource, sql, parameters, rows -> eachEvent(rows, (event, operation) -> page.add(event)));
        return page;
    }

    /**
     * At most {@code limit} events matching the query with seq lower than {@code beforeSeq} (when
     * given), newest first: the latest of a kind, as the console shows auditors' own access.
     */
    public List<ChainEvent> newestEvents(EventQuery query, Long beforeSeq, int limit) {
        List<ChainEvent> page = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        StringBuilder sql = new StringBuilder(EVENTS).append(" WHERE ").append(query.where(parameters));
        if (beforeSeq != null) {
            sql.append(" AND e.seq < ?");
            parameters.add(beforeSeq);
        }
        sql.append(" ORDER BY e.seq DESC LIMIT ?");
        parameters.add(limit);
        streamRows(dataSource, sql.toString(), parameters, rows -> eachEvent(rows, (event, operation) -> page.add(event)));
        return page;
    }

    /** Every event matching the query, in sequence order, one at a time (constant memory). */
    public void streamEvents(EventQuery query, Consumer<ChainEvent> sink) {
        List<Object> parameters = new ArrayList<>();
        String sql = EVENTS + " WHERE " + query.where(parameters) + " ORDER BY e.seq";
        streamRows(dataSource, sql, parameters, rows -> eachEvent(rows, (event, operation) -> sink.accept(event)));
    }

    /**
     * Recomputes the whole chain in one snapshot, then looks for operations whose events are
     * missing, checks that the chain head names the last event, and checks the chain against every
     * stored checkpoint and the newest checkpoint file. One file is enough outside the database: a
     * checkpoint commits to every event up to its seq, and the newest one reaches furthest.
     */
    public IntegrityReport verify() {
        ChainVerifier verifier = new ChainVerifier();
        CheckpointVerifier checkpoints = new CheckpointVerifier(keys);
        Optional<Path> newestFile = checkpointDir.flatMap(Checkpoints::newestFile);
        inSnapshot(connection -> {
            query(connection, EVENTS + " ORDER BY e.seq", List.of(), rows -> eachEvent(rows,
                    (event, operation) -> verifier.acceptEvent(event.seq(), event.type(), event.operationId(),
                            event.prevHash(), event.hash(), event.payload())));
            query(connection, OperationRows.SELECT_WITH_EVENT_LINKS, List.of(), rows -> {
                OperationRows.Columns columns = new OperationRows.Columns(rows);
                int[][] eventLinks = OperationRows.eventLinkColumns(rows);
                while (rows.next()) {
                    verifier.acceptOperation(OperationRows.map(rows, columns), OperationRows.eventLinks(rows, eventLinks));
                }
            });
            query(connection, "SELECT seq, hash FROM audit_chain_head", List.of(), rows -> {
                if (rows.next()) {
                    verifier.acceptHead(rows.getLong("seq"), rows.getString("hash"));
                } else {
                    verifier.acceptHead(-1, "");
                }
            });
            query(connection, "SELECT c.*, e.hash AS chain_hash FROM audit_checkpoint c"
                    + " LEFT JOIN audit_event e ON e.seq = c.seq ORDER BY c.seq, c.id", List.of(), rows -> {
                while (rows.next()) {
                    checkpoints.accept(Checkpoints.map(rows), "database", rows.getString("chain_hash"));
                }
            });
            if (newestFile.isPresent()) {
                verifyFile(connection, newestFile.get(), checkpoints);
            }
        });
        return verifier.report(Instant.now(), checkpoints);
    }

    private static void verifyFile(Connection connection, Path file, CheckpointVerifier checkpoints)
            throws SQLException {
        String source = "file " + file.getFileName();
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoints.readFile(file);
        } catch (IOException | RuntimeException e) {
            checkpoints.unreadable(source);
            return;
        }
        String[] chainHash = new String[1];
        query(connection, "SELECT hash FROM audit_event WHERE seq = ?", List.of(checkpoint.seq()), rows -> {
            if (rows.next()) {
                chainHash[0] = rows.getString(1);
            }
        });
        checkpoints.accept(checkpoint, source, chainHash[0]);
    }

    /** Reads a result set handed over whole. */
    interface Rows {
        void read(ResultSet rows) throws SQLException;
    }

    /**
     * Runs one query outside any JTA transaction, streaming through a server-side cursor (which
     * needs a transaction of its own: read-only, never committed). Every streamed query is ordered
     * as an index is (each filter has one ending in its order), and sorting is off for it: the
     * planner, costing the whole result, would rather scan the table and sort a large range (a
     * tenth of 10,000,000 operations: 4 s before the first row), where the index sends rows from
     * the first one on and the reader and writer work alongside PostgreSQL.
     */
    static void streamRows(DataSource dataSource, String sql, List<Object> parameters, Rows reader) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            try {
                try (Statement settings = connection.createStatement()) {
                    settings.execute("SET LOCAL enable_sort = off");
                }
                query(connection, sql, parameters, reader);
            } finally {
                connection.rollback();
                connection.setReadOnly(false);
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private void inSnapshot(SqlWork work) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                work.run(connection);
            } finally {
                connection.rollback();
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                connection.setReadOnly(false);
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private interface SqlWork {
        void run(Connection connection) throws SQLException;
    }

    private interface EventSink {
        void accept(ChainEvent event, Operation operation);
    }

    private static void query(Connection connection, String sql, List<Object> parameters, Rows reader)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            Sql.bind(statement, parameters.toArray());
            statement.setFetchSize(FETCH_SIZE);
            try (ResultSet rows = statement.executeQuery()) {
                reader.read(rows);
            }
        }
    }

    /** Maps each joined row to its event (payload rebuilt for operation events) and operation, if any. */
    private static void eachEvent(ResultSet rows, EventSink sink) throws SQLException {
        OperationRows.Columns columns = new OperationRows.Columns(rows);
        int seq = rows.findColumn("event_seq");
        int kind = rows.findColumn("event_kind");
        int operationId = rows.findColumn("event_operation_id");
        int subject = rows.findColumn("event_subject");
        int recordedAt = rows.findColumn("event_recorded_at");
        int prevHash = rows.findColumn("event_prev_hash");
        int hash = rows.findColumn("event_hash");
        int payload = rows.findColumn("event_payload");
        while (rows.next()) {
            String type = rows.getString(kind);
            Operation operation = rows.getObject(columns.operationId) == null ? null : OperationRows.map(rows, columns);
            String text = rows.getString(payload);
            if (text == null && operation != null && HashChain.OPERATION_EVENTS.contains(type)) {
                text = HashChain.payload(type, operation);
            }
            sink.accept(new ChainEvent(rows.getLong(seq), type, rows.getObject(operationId, UUID.class),
                    rows.getString(subject), Sql.instant(rows, recordedAt), rows.getString(prevHash),
                    rows.getString(hash), text), operation);
        }
    }

    private static ProblemException unavailable(SQLException e) {
        return new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The audit store cannot be read; retry later", e);
    }
}
