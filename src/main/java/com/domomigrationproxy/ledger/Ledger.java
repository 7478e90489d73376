package com.domomigrationproxy.ledger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

import com.domomigrationproxy.problem.BusyGate;
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
    /** What an event's row brings that has no size limit: its payload, or its operation's scopes. */
    private static final String EVENT_BYTES = "coalesce(octet_length(event_payload), 0) + coalesce(octet_length(scopes), 0)";
    private static final String EVENTS = """
            SELECT e.seq AS event_seq, e.kind AS event_kind, e.operation_id AS event_operation_id,
                   e.subject AS event_subject, e.recorded_at AS event_recorded_at, e.prev_hash AS event_prev_hash,
                   e.hash AS event_hash, e.payload AS event_payload, o.*
            FROM audit_event e LEFT JOIN operation o ON o.operation_id = e.operation_id
            """;

    /**
     * One integrity check at a time on a replica: each holds a snapshot, a thread and a page of rows
     * for as long as the chain takes to read, and 25 at once exhausted the chart's heap (security
     * review). Another waits up to 10 s.
     */
    private final BusyGate oneCheck = new BusyGate(1, Duration.ofSeconds(10),
            "Another integrity check is running on this replica", 10);
    private final DataSource dataSource;
    private final Event<LedgerEvent> events;
    private final CheckpointKeys keys;
    private final Optional<Path> checkpointDir;
    private final LedgerConfig config;

    @Inject
    Ledger(DataSource dataSource, Event<LedgerEvent> events, CheckpointKeys keys, LedgerConfig config) {
        this.dataSource = dataSource;
        this.events = events;
        this.keys = keys;
        this.checkpointDir = config.checkpointDir();
        this.config = config;
    }

    /**
     * Appends an event about no operation, in the caller's transaction when there is one (so that
     * the state change it records and the event commit together), else in its own.
     * {@code members} are strings, numbers, booleans, lists and maps; {@code event}, {@code subject}
     * and {@code recordedAt} (the row's) are added.
     */
    public ChainEvent append(String kind, String subject, Map<String, ?> members) {
        if (!KIND.matcher(kind).matches() || HashChain.OPERATION_EVENTS.contains(kind)) {
            throw new IllegalArgumentException(kind + " is not an event kind this method appends");
        }
        HashChain.requireOwnMembersFree(members);
        String storedSubject = StorableText.of(subject);
        ChainEvent event = QuarkusTransaction.joiningExisting().call(() -> {
            try (Connection connection = dataSource.getConnection()) {
                // The row's time is the payload's, so that the hash covers it: the database's clock,
                // read under the head's lock, as for operation events (time follows seq). One more
                // round trip under that lock, for events about no operation only (audit reads, plan
                // transitions, checkpoints): the operation path appends in one statement as before.
                Instant recordedAt = HashChain.lockHead(connection);
                String payload = HashChain.payload(kind, storedSubject, recordedAt, members);
                HashChain.Appended link = HashChain.append(connection, kind, storedSubject, recordedAt, payload);
                return new ChainEvent(link.seq(), kind, null, storedSubject, link.recordedAt(), link.prevHash(),
                        link.hash(), payload);
            } catch (SQLException e) {
                throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, e instanceof HashChain.HeadBehind
                        ? e.getMessage() : "The audit store cannot record this event; retry later", e);
            }
        });
        events.fire(new LedgerEvent.ChainAppended(event.seq(), kind));
        return event;
    }

    /** The seq of the chain's newest event; 0 for an empty chain. */
    public long headSeq() {
        try (Connection connection = dataSource.getConnection()) {
            return Sql.first(connection, "SELECT seq FROM audit_chain_head", row -> row.getLong(1)).orElse(0L);
        } catch (SQLException e) {
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The audit store cannot be read; retry later",
                    e);
        }
    }

    /**
     * Events matching the query with seq greater than {@code afterSeq}, in sequence order: at most
     * {@code size}, fewer when they are large ({@link RowPage}).
     */
    public RowPage<ChainEvent> events(EventQuery query, long afterSeq, int size) {
        List<ChainEvent> read = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        String ordered = EVENTS + " WHERE " + query.where(parameters) + " AND e.seq > ? ORDER BY e.seq";
        parameters.add(afterSeq);
        String page = RowPage.bounded(ordered, parameters, size, EVENT_BYTES, "event_seq");
        RowPage.Counted counted = new RowPage.Counted();
        readPage(page, parameters, rows -> eachEvent(rows,
                (event, operation) -> read.add(counted.row(rows, event))));
        return counted.page(read, size);
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
        readPage(sql.toString(), parameters, rows -> eachEvent(rows, (event, operation) -> page.add(event)));
        return page;
    }

    /**
     * One page (a query with a LIMIT), read whole: no cursor, and so no transaction of its own nor
     * the planner settings of a stream ({@link #streamRows}).
     */
    private void readPage(String sql, List<Object> parameters, Rows reader) {
        try (Connection connection = dataSource.getConnection()) {
            query(connection, sql, parameters, reader);
        } catch (SQLException e) {
            throw unavailable(e);
        }
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
     * stored checkpoint, the newest checkpoint file and every CHECKPOINT event of the chain. One file
     * is enough outside the database: a checkpoint commits to every event up to its seq, and the
     * newest one reaches furthest.
     */
    public IntegrityReport verify() {
        return oneCheck.through(this::verifyNow);
    }

    private IntegrityReport verifyNow() {
        ChainVerifier verifier = new ChainVerifier();
        CheckpointVerifier checkpoints = new CheckpointVerifier(keys, config);
        NewestFile newest = newestFile();
        Optional<Path> newestFile = newest.file();
        inSnapshot(connection -> {
            verifier.contiguousFrom(firstCheckpointed(connection, newestFile));
            query(connection, EVENTS + " ORDER BY e.seq", List.of(), rows -> eachEvent(rows,
                    (event, operation) -> verifier.acceptEvent(event)));
            query(connection, OperationRows.SELECT_WITH_EVENT_LINKS, List.of(), rows -> {
                OperationRows.Columns columns = new OperationRows.Columns(rows);
                int[][] eventLinks = OperationRows.eventLinkColumns(rows);
                int grantRenamed = rows.findColumn(OperationRows.GRANT_RENAMED);
                FetchSize fetch = new FetchSize(rows);
                while (rows.next()) {
                    Operation operation;
                    try {
                        operation = OperationRows.map(rows, columns);
                    } catch (OperationRows.UnreadableRow e) {
                        verifier.unreadable(e.operationId, e.getMessage());
                        continue;
                    }
                    fetch.read(operation.scopesLength());
                    if (rows.getBoolean(grantRenamed)) {
                        // The release after V24 reads the grant by its digest: one that names another is caught now.
                        verifier.unreadable(operation.operationId(), "names by its scopes_digest a grant other than its scopes");
                        continue;
                    }
                    verifier.acceptOperation(operation, OperationRows.eventLinks(rows, eventLinks));
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
                // Its text columns have no size limit, as an event's payload has none: fetched by their size too.
                FetchSize fetch = new FetchSize(rows);
                while (rows.next()) {
                    Checkpoint stored = Checkpoints.map(rows);
                    fetch.read(stored.origin().length() + stored.text().length() + stored.signature().length());
                    checkpoints.accept(stored, "database", rows.getString("chain_hash"));
                }
            });
            long stored = checkpoints.checked();
            if (newest.unlistable()) {
                // Where an unreadable file is named: after the stored checkpoints, which come first.
                checkpoints.unreadable("directory " + checkpointDir.orElseThrow(), "the checkpoint directory cannot"
                        + " be listed (PROXY_AUDIT_CHECKPOINT_DIR), so its newest checkpoint cannot be checked");
            } else if (newestFile.isPresent()) {
                verifyFile(connection, newestFile.get(), checkpoints);
            } else if (checkpointDir.isPresent() && stored > 0) {
                checkpoints.unreadable("directory " + checkpointDir.get(), "the checkpoint directory"
                        + " (PROXY_AUDIT_CHECKPOINT_DIR) " + Checkpoints.LOST_FILES + ", so nothing outside the"
                        + " database holds what was signed");
            }
            // The CHECKPOINT events too, as the offline verifier checks them: the application role could
            // append one it made up. Streamed, each with the chain's event at the seq its payload names
            // (read from the text here, compared below with the seq the checkpoint parses to).
            query(connection, """
                    SELECT e.seq, e.payload, h.seq AS chain_seq, h.hash AS chain_hash
                      FROM audit_event e
                      LEFT JOIN audit_event h ON h.seq = substring(e.payload from '"seq":([0-9]{1,18})')::bigint
                     WHERE e.kind = ? ORDER BY e.seq""", List.of(Checkpoints.EVENT), rows -> {
                FetchSize fetch = new FetchSize(rows);
                while (rows.next()) {
                    String payload = rows.getString("payload");
                    fetch.read(payload == null ? 0 : payload.length());
                    verifyEmbedded(rows, payload, checkpoints);
                }
            });
        });
        return verifier.report(Instant.now(), checkpoints);
    }

    /** The newest checkpoint file, if any; or a directory that could not be listed. */
    private record NewestFile(Optional<Path> file, boolean unlistable) {
    }

    /**
     * The newest checkpoint file. A directory that cannot be listed is named as a checkpoint that
     * fails, as an unreadable file is: the chain can still be checked, but not against the proof
     * kept outside the database (it was a 500).
     */
    private NewestFile newestFile() {
        try {
            return new NewestFile(checkpointDir.flatMap(Checkpoints::newestFile), false);
        } catch (UncheckedIOException e) {
            return new NewestFile(Optional.empty(), true);
        }
    }

    /**
     * The first seq any checkpoint covers (stored, in the chain, or the newest file), from which the
     * chain must have no gaps; null when there is none. A CHECKPOINT event's own seq stands for the
     * seq it signed, the one before it or earlier.
     */
    private static Long firstCheckpointed(Connection connection, Optional<Path> newestFile) throws SQLException {
        Long[] first = new Long[1];
        query(connection, "SELECT least((SELECT min(seq) FROM audit_checkpoint),"
                + " (SELECT min(seq) FROM audit_event WHERE kind = ?))", List.of(Checkpoints.EVENT), rows -> {
                    if (rows.next()) {
                        long seq = rows.getLong(1);
                        first[0] = rows.wasNull() ? null : seq;
                    }
                });
        if (newestFile.isPresent()) {
            try {
                long fileSeq = Checkpoints.readFile(newestFile.get()).seq();
                first[0] = first[0] == null ? fileSeq : Math.min(first[0], fileSeq);
            } catch (IOException | RuntimeException e) {
                // verifyFile names the unreadable file as a failing checkpoint.
            }
        }
        return first[0];
    }

    private static void verifyEmbedded(ResultSet row, String payload, CheckpointVerifier checkpoints)
            throws SQLException {
        String source = "CHECKPOINT event seq " + row.getLong("seq");
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoints.fromEvent(payload);
        } catch (IOException | RuntimeException e) {
            checkpoints.unreadable(source, "the event's payload cannot be read as a checkpoint");
            return;
        }
        long chainSeq = row.getLong("chain_seq");
        boolean found = !row.wasNull() && chainSeq == checkpoint.seq();
        checkpoints.accept(checkpoint, source, found ? row.getString("chain_hash") : null);
    }

    private static String chainHash(Connection connection, long seq) throws SQLException {
        String[] chainHash = new String[1];
        query(connection, "SELECT hash FROM audit_event WHERE seq = ?", List.of(seq), rows -> {
            if (rows.next()) {
                chainHash[0] = rows.getString(1);
            }
        });
        return chainHash[0];
    }

    private static void verifyFile(Connection connection, Path file, CheckpointVerifier checkpoints)
            throws SQLException {
        String source = "file " + file.getFileName();
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoints.readFile(file);
        } catch (IOException | RuntimeException e) {
            checkpoints.unreadable(source, "the file cannot be read as a checkpoint");
            return;
        }
        if (!Checkpoints.namedAfter(file, checkpoint)) {
            checkpoints.unreadable(source, "the file is not named after its checkpoint (seq " + checkpoint.seq()
                    + "): it was renamed or copied, and may hide newer checkpoints");
            return;
        }
        checkpoints.accept(checkpoint, source, chainHash(connection, checkpoint.seq()));
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
        readOnly(dataSource, connection -> query(connection, sql, parameters, reader));
    }

    /** Reads a COPY's data, on the thread that runs it, until the COPY ends. */
    interface CopyReader {
        void read(CopyOut copy) throws SQLException;
    }

    /**
     * Runs one query as {@code COPY (query) TO STDOUT (FORMAT binary)}, in a read-only transaction
     * with sorting off as {@link #streamRows} runs it. A COPY's rows come as fast as the reader
     * takes them, where a cursor's come a batch per fetch, PostgreSQL idle until the next one (a
     * million-row export spent a second of its four in those turns). COPY takes no bind
     * parameters: each is set for the transaction ({@code set_config}, its value bound) and read
     * back in the query with {@code current_setting}, cast to its type, so a value never becomes
     * SQL text. A reader that stops early (its client went away) cancels the COPY, and the
     * connection goes back to the pool ready for the next statement.
     */
    static void copyRows(DataSource dataSource, String sql, List<Object> parameters, CopyReader reader) {
        readOnly(dataSource, connection -> {
            String query = "COPY (" + settingsFor(connection, sql, parameters) + ") TO STDOUT (FORMAT binary)";
            PGConnection postgres = connection.unwrap(PGConnection.class);
            CopyOut copy = postgres.getCopyAPI().copyOut(query);
            try {
                reader.read(copy);
            } finally {
                if (copy.isActive()) {
                    // The driver's cancelCopy() leaves the rest of the COPY on the wire, and the
                    // connection unusable (pgjdbc issue 1290): cancel the statement instead and read
                    // to its end, which is the cancellation's error.
                    postgres.cancelQuery();
                    try {
                        while (copy.readFromCopy() != null) {
                            // what was sent before the cancellation arrived
                        }
                    } catch (SQLException cancelled) {
                        // the end of the COPY, as asked
                    }
                }
            }
        });
    }

    /**
     * The query with each {@code ?} replaced by a transaction setting of the same value, which
     * this sets: Strings and enums as text, Instants (years 1 to 9999, as the audit API takes
     * them) rounded to the microsecond as the JDBC driver rounds them, UUIDs. Every {@code ?} of
     * the query is a placeholder (the ledger's queries use no {@code ?} operator).
     */
    private static String settingsFor(Connection connection, String sql, List<Object> parameters) throws SQLException {
        StringBuilder query = new StringBuilder(sql.length() + 64 * parameters.size());
        StringBuilder settings = new StringBuilder("SELECT ");
        int count = 0;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (c != '?') {
                query.append(c);
                continue;
            }
            Object value = parameters.get(count++);
            String name = "'domo_migration_proxy.copy_" + count + "'";
            query.append("current_setting(").append(name).append(")::").append(sqlType(value));
            settings.append(count > 1 ? ", " : "").append("set_config(").append(name).append(", ?, true)");
        }
        if (count != parameters.size()) {
            throw new IllegalArgumentException(parameters.size() + " parameters for " + count + " placeholders");
        }
        if (count > 0) {
            try (PreparedStatement set = connection.prepareStatement(settings.toString())) {
                for (int i = 0; i < count; i++) {
                    set.setString(i + 1, settingText(parameters.get(i)));
                }
                set.execute();
            }
        }
        return query.toString();
    }

    private static String sqlType(Object value) {
        if (value instanceof String || value instanceof Enum<?>) {
            return "text";
        }
        if (value instanceof Instant) {
            return "timestamptz";
        }
        if (value instanceof UUID) {
            return "uuid";
        }
        throw new IllegalArgumentException("no COPY parameter of type " + value.getClass().getName());
    }

    private static String settingText(Object value) {
        if (value instanceof Enum<?> constant) {
            return constant.name();
        }
        if (value instanceof Instant instant) {
            Instant rounded = instant.getNano() % 1_000 > 499 ? instant.plusNanos(1_000) : instant;
            return rounded.truncatedTo(ChronoUnit.MICROS).toString();
        }
        return value.toString();
    }

    /** Runs work in a read-only transaction of its own, with sorting off, never committed. */
    private static void readOnly(DataSource dataSource, SqlWork work) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            try {
                try (Statement settings = connection.createStatement()) {
                    settings.execute("SET LOCAL enable_sort = off");
                }
                work.run(connection);
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
        void accept(ChainEvent event, Operation operation) throws SQLException;
    }

    private static void query(Connection connection, String sql, List<Object> parameters, Rows reader)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            Sql.bind(statement, parameters.toArray());
            statement.setFetchSize(FetchSize.FIRST);
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
        FetchSize fetch = new FetchSize(rows);
        while (rows.next()) {
            String type = rows.getString(kind);
            Operation operation = rows.getObject(columns.operationId) == null ? null : readable(rows, columns);
            // An operation event's text is always its row's: the database keeps no payload for one
            // (ck_audit_event_payload), so a stored payload there can only be a superuser's copy made
            // to hide an altered row (or to relabel another event as one about an operation), and must
            // never stand in for the row: without a row, there is no text.
            String text = HashChain.OPERATION_EVENTS.contains(type)
                    ? operation == null ? null : HashChain.payload(type, operation)
                    : rows.getString(payload);
            // An operation event's row brings its operation's scopes, whatever its text holds of them.
            fetch.read((text == null ? 0 : text.length()) + (operation == null ? 0 : operation.scopesLength()));
            sink.accept(new ChainEvent(rows.getLong(seq), type, rows.getObject(operationId, UUID.class),
                    rows.getString(subject), Sql.instant(rows, recordedAt), rows.getString(prevHash),
                    rows.getString(hash), text), operation);
        }
    }

    /**
     * The event's operation, or null when its row cannot be read: the event is then shown and checked
     * without a payload (the check names it), where the whole page or export failed.
     */
    private static Operation readable(ResultSet rows, OperationRows.Columns columns) throws SQLException {
        try {
            return OperationRows.map(rows, columns);
        } catch (OperationRows.UnreadableRow e) {
            return null;
        }
    }

    private static ProblemException unavailable(SQLException e) {
        return OperationRows.readFailure(e);
    }
}
