package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;
import com.domomigrationproxy.support.PostgresAdmin;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The periodic checkpoint signs only when the chain grew: its own CHECKPOINT event does not count,
 * so an idle chain is not signed again and again. (The schedule is off in tests; the job is run
 * here by hand.)
 */
@QuarkusTest
class CheckpointScheduleTest {

    @Inject
    Checkpoints checkpoints;

    @Inject
    OperationStore operations;

    @Inject
    Ledger ledger;

    @Inject
    MeterRegistry registry;

    @Test
    void signsWhenTheChainGrewAndNotForItsOwnEvent() {
        operations.recordIntent(OperationIntent.reversal("ds-schedule-" + System.nanoTime(),
                new Requester("schedule-test", "jwt", "r-schedule", null, Scopes.UNRESTRICTED)), operation -> {
                });
        long head = ledger.verify().lastSeq();

        checkpoints.scheduled();
        Checkpoint signed = checkpoints.latest().orElseThrow();
        assertThat(signed.seq()).isEqualTo(head);

        checkpoints.scheduled();
        assertThat(checkpoints.latest().orElseThrow()).as("only its own CHECKPOINT event since: nothing to sign")
                .isEqualTo(signed);
        assertThat(ledger.verify().lastSeq()).isEqualTo(head + 1);
    }

    /**
     * A checkpoint row of a seq the chain has not reached (the application role may insert one) does
     * not stop the job: it counted the chain's growth from the highest seq of any row, and so never
     * signed again, without an error or a failed-signing count.
     */
    @Test
    void aCheckpointRowBeyondTheHeadDoesNotStopTheSigning() {
        // One signed first, so the checkpoint directory (new for each test JVM) holds a file whatever ran before.
        checkpoints.signNow();
        PostgresAdmin.tamper("INSERT INTO audit_checkpoint (origin, seq, hash, issued_at, key_id, text, signature)"
                + " VALUES ('forged-beyond-head', 1000000000000000, repeat('0', 64), now(), '0000000000000000',"
                + " 'forged', 'forged')");
        try {
            operations.recordIntent(OperationIntent.reversal("ds-beyond-" + System.nanoTime(),
                    new Requester("schedule-test", "jwt", "r-beyond", null, Scopes.UNRESTRICTED)), operation -> {
                    });
            long head = ledger.verify().lastSeq();
            checkpoints.scheduled();
            assertThat(checkpoints.latest().orElseThrow().seq()).as("signed at the head").isEqualTo(head);
        } finally {
            PostgresAdmin.tamper("DELETE FROM audit_checkpoint WHERE origin = 'forged-beyond-head'");
        }
    }

    /** The same for a row at the head whose signature does not hold: it stopped the signing until the next event. */
    @Test
    void aForgedCheckpointRowAtTheHeadDoesNotStopTheSigning() {
        checkpoints.signNow();
        operations.recordIntent(OperationIntent.reversal("ds-at-head-" + System.nanoTime(),
                new Requester("schedule-test", "jwt", "r-at-head", null, Scopes.UNRESTRICTED)), operation -> {
                });
        long head = ledger.verify().lastSeq();
        PostgresAdmin.tamper("INSERT INTO audit_checkpoint (origin, seq, hash, issued_at, key_id, text, signature)"
                + " VALUES ('forged-at-head', " + head + ", repeat('0', 64), now(), '0000000000000000', 'forged',"
                + " 'forged')");
        try {
            checkpoints.scheduled();
            assertThat(checkpoints.latest().orElseThrow().origin()).isNotEqualTo("forged-at-head");
            assertThat(checkpoints.latest().orElseThrow().seq()).as("signed at the head").isEqualTo(head);
        } finally {
            PostgresAdmin.tamper("DELETE FROM audit_checkpoint WHERE origin = 'forged-at-head'");
        }
    }

    /**
     * Any database role may take the job's advisory lock and keep it: the job then signed nothing,
     * without a word. Events left unsigned for longer than twice the interval, at two runs in a row,
     * are now an error and a failure counted (the alert of docs/operations.md), and the job signs once
     * the lock is free.
     */
    @Test
    void eventsLeftUnsignedTooLongAreAFailure() throws Exception {
        checkpoints.signNow();
        try (Connection holder = PostgresAdmin.ownConnections().getConnection();
                Statement statement = holder.createStatement()) {
            statement.execute("SELECT pg_advisory_lock(" + Checkpoints.LOCK + ")");
            operations.recordIntent(OperationIntent.reversal("ds-locked-" + System.nanoTime(),
                    new Requester("schedule-test", "jwt", "r-locked", null, Scopes.UNRESTRICTED)), operation -> {
                    });
            long head = ledger.verify().lastSeq();
            double before = failures();
            checkpoints.scheduled(Optional.of(Duration.ofHours(1)));
            assertThat(failures()).as("not overdue yet").isEqualTo(before);
            Thread.sleep(50);
            checkpoints.scheduled(Optional.of(Duration.ofMillis(10)));
            assertThat(failures()).as("overdue once: another replica may be signing it just now").isEqualTo(before);
            checkpoints.scheduled(Optional.of(Duration.ofMillis(10)));
            assertThat(failures()).as("overdue at two runs in a row").isEqualTo(before + 1);
            assertThat(checkpoints.latest().orElseThrow().seq()).isLessThan(head);
            statement.execute("SELECT pg_advisory_unlock(" + Checkpoints.LOCK + ")");
            checkpoints.scheduled(Optional.of(Duration.ofMillis(10)));
            assertThat(checkpoints.latest().orElseThrow().seq()).as("signed once the lock is free").isEqualTo(head);
            assertThat(failures()).isEqualTo(before + 1);
        }
        // Whoever holds the lock cannot quiet the alarm by moving the unsigned event's time into the future
        // (recorded_at is not hashed for an intent): this replica counts from when it first saw it unsigned.
        try (Connection holder = PostgresAdmin.ownConnections().getConnection();
                Statement statement = holder.createStatement()) {
            statement.execute("SELECT pg_advisory_lock(" + Checkpoints.LOCK + ")");
            operations.recordIntent(OperationIntent.reversal("ds-future-" + System.nanoTime(),
                    new Requester("schedule-test", "jwt", "r-future", null, Scopes.UNRESTRICTED)), operation -> {
                    });
            long head = ledger.verify().lastSeq();
            PostgresAdmin.tamper("UPDATE audit_event SET recorded_at = recorded_at + interval '1000 years' WHERE seq = " + head);
            double before = failures();
            checkpoints.scheduled(Optional.of(Duration.ofMillis(10)));
            Thread.sleep(50);
            checkpoints.scheduled(Optional.of(Duration.ofMillis(10)));
            checkpoints.scheduled(Optional.of(Duration.ofMillis(10)));
            assertThat(failures()).as("overdue by this replica's clock").isEqualTo(before + 1);
            assertThat(ledger.verify().chainValid()).isTrue();
            PostgresAdmin.tamper("UPDATE audit_event SET recorded_at = recorded_at - interval '1000 years' WHERE seq = " + head);
            statement.execute("SELECT pg_advisory_unlock(" + Checkpoints.LOCK + ")");
        }
        assertThat(Checkpoints.overdueAfter("1m")).contains(Duration.ofSeconds(150));
        assertThat(Checkpoints.overdueAfter("PT30S")).contains(Duration.ofSeconds(90));
        assertThat(Checkpoints.overdueAfter("off")).isEmpty();
    }

    private double failures() {
        return registry.get("audit.checkpoint.failures").counter().count();
    }
}
