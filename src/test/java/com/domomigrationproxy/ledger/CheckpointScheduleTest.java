package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;
import com.domomigrationproxy.support.PostgresAdmin;

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
}
