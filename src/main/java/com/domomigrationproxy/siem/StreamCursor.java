package com.domomigrationproxy.siem;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import javax.sql.DataSource;

import com.domomigrationproxy.ledger.Sql;

/**
 * The stream's row in PostgreSQL ({@code audit_stream_cursor}): how far delivery got, and which
 * replica delivers. A replica holds a lease it renews as it goes; when it stops renewing (it died,
 * lost the database, or cannot reach the receiver), another takes over from the cursor after the
 * lease ran out.
 */
final class StreamCursor {

    /** The last event delivered. */
    record Position(long seq, String hash) {
    }

    /** Before the first event. */
    static final Position START = new Position(0, "0".repeat(64));

    /**
     * The lease as taken: the cursor, where delivery starts again before it after a connection
     * broke ({@code resendFrom}, null when nothing is to be sent again), and whether this replica
     * held it until now ({@code kept}; false when it was free, or another's that ran out).
     */
    record Lease(Position cursor, Position resendFrom, boolean kept) {
    }

    /** Events not yet delivered, the oldest one's time, and when the cursor last moved. */
    record Backlog(long events, Instant oldestUndelivered, Instant lastDeliveredAt) {
    }

    private final DataSource dataSource;
    private final String holder;

    StreamCursor(DataSource dataSource, String holder) {
        this.dataSource = dataSource;
        this.holder = holder;
    }

    /** Takes or renews the lease; the cursor when this replica holds it, empty when another does. */
    Optional<Position> lease(Duration lease) throws SQLException {
        return lease(lease, Duration.ZERO).map(Lease::cursor);
    }

    /**
     * Takes the lease when it is free or ran out, and renews this replica's own; or, when this
     * replica cannot deliver ({@code ownWait} above zero), leaves its own lease that still runs to
     * run out (empty is returned), and takes it back only once it has been out for {@code ownWait}.
     * Replicas that can deliver look for the lease more often than that, so one of them takes the
     * stream over first: without the wait, the failing replica took its own lease back the moment
     * it ran out, and another won only by landing in those few milliseconds. Another replica's
     * lease that ran out is taken at once either way.
     */
    Optional<Lease> lease(Duration lease, Duration ownWait) throws SQLException {
        boolean renew = ownWait.isZero();
        try (Connection connection = dataSource.getConnection()) {
            // The holder before the update, read under the row's lock: whether another held it meanwhile.
            return Sql.first(connection, """
                    WITH before AS (SELECT holder AS previous FROM audit_stream_cursor WHERE id = 1 FOR UPDATE)
                    UPDATE audit_stream_cursor SET holder = ?, lease_until = now() + make_interval(secs => ?)
                      FROM before
                     WHERE id = 1 AND (holder IS NULL OR (? AND holder = ?) OR lease_until IS NULL
                           OR lease_until < now() - make_interval(secs => CASE WHEN holder = ? THEN ? ELSE 0 END))
                    RETURNING seq, hash, resend_seq, resend_hash, resend_for_seq, before.previous IS NOT DISTINCT FROM ?""",
                    row -> {
                        long seq = row.getLong(1);
                        long resendSeq = row.getLong(3);
                        // Kept for another cursor: a release that knows nothing of it moved the cursor since.
                        boolean current = !row.wasNull() && row.getLong(5) == seq;
                        return new Lease(new Position(seq, row.getString(2)),
                                current ? new Position(resendSeq, row.getString(4)) : null, row.getBoolean(6));
                    }, holder, seconds(lease), renew, holder, holder, seconds(ownWait), holder);
        }
    }

    /**
     * Moves the cursor (and renews the lease), and keeps where delivery starts again after a break
     * ({@code resendFrom}, null: nowhere); false when another replica took the lease meanwhile.
     */
    boolean advance(Position delivered, Position resendFrom, Duration lease) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return Sql.update(connection, """
                    UPDATE audit_stream_cursor SET seq = ?, hash = ?, delivered_at = now(), resend_seq = ?, resend_hash = ?,
                           resend_for_seq = ?, lease_until = now() + make_interval(secs => ?)
                     WHERE id = 1 AND holder = ?""", delivered.seq(), delivered.hash(),
                    resendFrom == null ? null : resendFrom.seq(), resendFrom == null ? null : resendFrom.hash(),
                    resendFrom == null ? null : delivered.seq(), seconds(lease), holder) == 1;
        }
    }

    /**
     * Keeps where delivery starts again after this replica's connection broke, for whichever replica
     * delivers next: the same one, or another that takes the lease over meanwhile. False when
     * another replica holds the lease.
     */
    boolean resendFrom(Position from) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return Sql.update(connection, """
                    UPDATE audit_stream_cursor SET resend_seq = ?, resend_hash = ?, resend_for_seq = seq
                     WHERE id = 1 AND holder = ?""", from.seq(), from.hash(), holder) == 1;
        }
    }

    /** Whether the chain has this event (the start always): false once the database lost it. */
    boolean inChain(Position position) throws SQLException {
        if (position.seq() == 0) {
            return true;
        }
        try (Connection connection = dataSource.getConnection()) {
            return Sql.first(connection, "SELECT 1 FROM audit_event WHERE seq = ? AND hash = ?", row -> true,
                    position.seq(), position.hash()).isPresent();
        }
    }

    /** Where the cursor stands in the database. */
    Position stored() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return Sql.first(connection, "SELECT seq, hash FROM audit_stream_cursor WHERE id = 1",
                    row -> new Position(row.getLong(1), row.getString(2))).orElse(START);
        }
    }

    /** Gives the lease up at shutdown, so that another replica goes on at once. */
    void release() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            Sql.update(connection, "UPDATE audit_stream_cursor SET holder = NULL, lease_until = NULL"
                    + " WHERE id = 1 AND holder = ?", holder);
        }
    }

    Backlog backlog() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return Sql.first(connection, """
                    SELECT h.seq - c.seq,
                           (SELECT e.recorded_at FROM audit_event e WHERE e.seq > c.seq ORDER BY e.seq LIMIT 1),
                           c.delivered_at
                      FROM audit_chain_head h CROSS JOIN audit_stream_cursor c""",
                    row -> new Backlog(Math.max(0, row.getLong(1)), Sql.instant(row, 2), Sql.instant(row, 3)))
                    .orElse(new Backlog(0, null, null));
        }
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }
}
