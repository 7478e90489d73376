package com.domomigrationproxy.siem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.PostgresAdmin;

import io.quarkus.test.junit.QuarkusTest;

/**
 * Across replicas one delivers at a time. The running service's receiver is not listening here
 * (AuditStreamTest starts it only for its own tests), so the service cannot deliver: it lets its
 * lease (3 s in tests) run out, another replica takes the stream over (the service, failing, lets
 * it go first), the service does not take it back while that one renews, and takes it again once
 * that one lets go.
 */
@QuarkusTest
class StreamCursorTest {

    @Inject
    DataSource dataSource;

    @Inject
    AuditStream stream;

    @Inject
    io.micrometer.core.instrument.MeterRegistry registry;

    /** A message larger than the 64 KiB receivers are asked to take is named in the log: a receiver would cut it. */
    @Test
    void aMessageLargerThanReceiversTakeIsNamedInTheLog() throws Exception {
        long seq = 900_000_000L + System.nanoTime() % 1_000_000;
        byte[] frames = new SyslogMessages("o", "h", "a", new com.fasterxml.jackson.databind.ObjectMapper())
                .frames(List.of(new com.domomigrationproxy.ledger.ChainEvent(seq, "INTENT", java.util.UUID.randomUUID(),
                        null, java.time.Instant.now(), "0".repeat(64), "1".repeat(64),
                        "{\"scopes\":\"" + "d".repeat(SyslogMessages.RECEIVER_LIMIT) + "\"}")));
        assertThat(frames.length).isGreaterThan(SyslogMessages.RECEIVER_LIMIT);
        assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("target", "quarkus-test.log")))
                .contains("Audit event seq " + seq + " (INTENT) is a syslog message of");
    }

    /**
     * A sender stuck on the cursor's row lock (a session that holds it, a call that never returns)
     * reads no backlog: the age gauge, which the documented alert watches, grows from the last
     * reading once that is stale, as the health group's stale rule does, where it stayed at the zero
     * it last read (SIEM review).
     */
    @Test
    void aSenderStuckOnTheCursorsLockShowsInTheBacklogAge() throws Exception {
        double stale = stream.staleAfter().toMillis() / 1000.0;
        try (java.sql.Connection holder = PostgresAdmin.ownConnections().getConnection()) {
            holder.setAutoCommit(false);
            try (java.sql.Statement lock = holder.createStatement()) {
                lock.execute("SELECT * FROM audit_stream_cursor FOR UPDATE");
            }
            await().atMost(Duration.ofSeconds((long) stale + 30)).pollInterval(Duration.ofMillis(250)).until(
                    () -> registry.get("audit.stream.backlog.age").gauge().value() > stale);
            holder.rollback();
        }
    }

    @Test
    void aReplicaThatCannotDeliverHandsTheLeaseToAnother() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> holder() != null);
        String service = holder();
        StreamCursor other = new StreamCursor(dataSource, "other-replica");
        try {
            handsOver(service, other);
        } finally {
            // However the test ended, the cursor row is left to the service, with no re-send point of the test's.
            PostgresAdmin.tamper("UPDATE audit_stream_cursor SET resend_seq = NULL, resend_hash = NULL, resend_for_seq ="
                    + " NULL, holder = CASE WHEN holder IN ('other-replica', 'third-replica') THEN NULL ELSE holder END");
        }
    }

    private void handsOver(String service, StreamCursor other) throws Exception {

        await("the failing service lets its lease run out").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> other.lease(Duration.ofSeconds(2)).isPresent());
        assertThat(other.advance(new StreamCursor.Position(cursorSeq(), cursorHash()), null, Duration.ofSeconds(2))).isTrue();
        for (int renewal = 0; renewal < 8; renewal++) {
            Thread.sleep(500);
            assertThat(other.lease(Duration.ofSeconds(2))).as("renewed by the replica that holds it").isPresent();
            assertThat(holder()).as("not taken back while another replica renews").isEqualTo("other-replica");
        }

        // A replica that cannot deliver does not take a lease back the moment it ran out: replicas
        // that can deliver get two poll intervals to take it first (the service, failing, waits too).
        // The service takes another's expired lease at once: should its poll land between the tamper
        // and the second lease (a few ms in its 500), the round is played again.
        await("a replica's own expired lease").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            PostgresAdmin.tamper("UPDATE audit_stream_cursor SET holder = 'other-replica',"
                    + " lease_until = now() - interval '200 milliseconds'");
            assertThat(other.lease(Duration.ofSeconds(2), Duration.ofSeconds(5))).as("within its wait").isEmpty();
            assertThat(other.lease(Duration.ofSeconds(2), Duration.ofMillis(100))).as("after its wait").isPresent();
        });
        // Only for its own: another replica's lease that ran out it takes at once (the service may be
        // quicker, and it fails too), or a replica left "failing" by a database error long ago would wait.
        PostgresAdmin.tamper("UPDATE audit_stream_cursor SET lease_until = now() - interval '200 milliseconds'");
        StreamCursor third = new StreamCursor(dataSource, "third-replica");
        assertThat(third.lease(Duration.ofSeconds(2), Duration.ofSeconds(5)).isPresent() || service.equals(holder()))
                .as("another's lease taken at once by a failing replica").isTrue();
        PostgresAdmin.tamper("UPDATE audit_stream_cursor SET holder = 'other-replica', lease_until = now() + interval"
                + " '2 seconds'");

        // Where to send again counts only for the cursor it was kept for: a release that knows nothing
        // of it may have moved the cursor since, and a point left behind would send days of events again.
        PostgresAdmin.tamper("UPDATE audit_stream_cursor SET resend_seq = 0, resend_hash = repeat('0', 64),"
                + " resend_for_seq = seq + 1");
        assertThat(other.lease(Duration.ofSeconds(2), Duration.ZERO)).hasValueSatisfying(lease -> assertThat(lease.resendFrom())
                .isNull());
        PostgresAdmin.tamper("UPDATE audit_stream_cursor SET resend_for_seq = seq");
        assertThat(other.lease(Duration.ofSeconds(2), Duration.ZERO)).hasValueSatisfying(lease -> assertThat(lease.resendFrom())
                .isEqualTo(StreamCursor.START));
        PostgresAdmin.tamper("UPDATE audit_stream_cursor SET resend_seq = NULL, resend_hash = NULL, resend_for_seq = NULL");
        other.release();
        await().atMost(Duration.ofSeconds(30)).until(() -> service.equals(holder()));
        assertThat(other.advance(new StreamCursor.Position(cursorSeq(), cursorHash()), null, Duration.ofSeconds(30)))
                .as("a replica that lost the lease cannot move the cursor").isFalse();
    }

    private String holder() {
        return (String) row().get("holder");
    }

    private long cursorSeq() {
        return ((Number) row().get("seq")).longValue();
    }

    private String cursorHash() {
        return (String) row().get("hash");
    }

    private Map<String, Object> row() {
        List<Map<String, Object>> rows = OperationRows.query(dataSource, "SELECT * FROM audit_stream_cursor WHERE id = 1");
        return rows.get(0);
    }
}
