package com.domomigrationproxy.plans;

import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import com.domomigrationproxy.ledger.Sql;

/**
 * Up to which seq every {@code plan_event} is final, committed or rolled back, so that a stream
 * which has sent the events up to there can never be handed an earlier one later.
 *
 * <p>A seq is drawn when the event is inserted, but transactions commit in their own order: a
 * reader can see seq 11 before seq 10 commits, and a client resuming after 11 would never get 10.
 * Each step here reads the sequence's last value, then which transactions hold {@code plan_event}'s
 * ROW EXCLUSIVE lock. An INSERT takes that lock before it draws its seq and keeps it until its
 * transaction ends, so every seq up to that value belongs to a transaction that has ended or is
 * among those; once all of those have ended, every seq up to the value is final. Nothing waits on a
 * writer and no writer waits on a reader (PostgreSQL shows every backend's locks in
 * {@code pg_locks}, which any role may read). This holds for the identity's sequence as created,
 * with a cache of 1: a larger cache would hand out values below the last one read.
 *
 * <p>Written by hand: PostgreSQL has no "oldest uncommitted sequence value", and logical decoding
 * would need a replication slot and a privilege the application role does not have.
 */
public final class EventHorizon {

    private long settled;
    private long pendingTop;
    private String[] pendingWriters;

    /** Starts at a seq already known to be final (0 when none is). */
    public EventHorizon(long settled) {
        this.settled = settled;
    }

    /**
     * Moves as far as the database allows now, without waiting, and answers the seq up to which
     * every event is final.
     */
    public long advance(Connection connection) throws SQLException {
        if (pendingWriters != null) {
            if (running(connection, pendingWriters)) {
                return settled;
            }
            settled = Math.max(settled, pendingTop);
            pendingWriters = null;
        }
        long top = allocated(connection);
        String[] writers = writers(connection);
        if (writers.length == 0) {
            settled = Math.max(settled, top);
        } else {
            pendingTop = top;
            pendingWriters = writers;
        }
        return settled;
    }

    /** The seq up to which every event is final once the writers seen in the last step have ended. */
    public long pendingTop() {
        return pendingWriters == null ? settled : pendingTop;
    }

    /** The sequence's last value (read first: a writer that drew a seq up to it holds the lock when it is read). */
    private static long allocated(Connection connection) throws SQLException {
        return Sql.first(connection,
                "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('plan_event', 'seq')::regclass), 0)",
                row -> row.getLong(1)).orElse(0L);
    }

    /** The transactions (other than this session's) holding or awaiting the insert lock. */
    private static String[] writers(Connection connection) throws SQLException {
        List<String> writers = Sql.list(connection, """
                SELECT DISTINCT virtualtransaction FROM pg_locks
                WHERE locktype = 'relation' AND relation = 'plan_event'::regclass AND mode = 'RowExclusiveLock'
                  AND pid IS DISTINCT FROM pg_backend_pid()""", row -> row.getString(1));
        return writers.toArray(String[]::new);
    }

    /** Whether any of these transactions still holds or awaits the insert lock. */
    private static boolean running(Connection connection, String[] writers) throws SQLException {
        Array ids = connection.createArrayOf("text", writers);
        return Sql.first(connection, """
                SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'relation' AND relation = 'plan_event'::regclass
                                 AND mode = 'RowExclusiveLock' AND virtualtransaction = ANY (?))""",
                row -> row.getBoolean(1), ids).orElse(false);
    }
}
