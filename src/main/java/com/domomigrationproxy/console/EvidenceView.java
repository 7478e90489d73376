package com.domomigrationproxy.console;

import java.util.List;

import com.domomigrationproxy.ledger.Checkpoint;
import com.domomigrationproxy.ledger.IntegrityReport;

/**
 * The evidence page: the integrity report when a check was just run, whether checkpoints are
 * signed, the newest one and why it fails (null when it holds), whether one was just signed, and the
 * ids of the former keys still trusted (after a rotation, the chain holds checkpoints they signed).
 */
public record EvidenceView(IntegrityReport report, boolean checkpointsOn, Checkpoint latest, String latestFailure,
        boolean signed, String signingInterval, List<String> formerKeyIds) {

    /** A former key's file name, as its download names it and the verifier's command gives it. */
    public String formerKeyFile(String keyId) {
        return EvidencePages.formerKeyFile(keyId);
    }

    /** Whether checkpoints are signed on a schedule (PROXY_AUDIT_CHECKPOINT_INTERVAL other than off). */
    public boolean signedOnSchedule() {
        return !("off".equalsIgnoreCase(signingInterval) || "disabled".equalsIgnoreCase(signingInterval));
    }

    public String keyFile() {
        return EvidencePages.KEY_FILE;
    }

    public String latestFile() {
        return EvidencePages.LATEST_FILE;
    }

    public String checkpointsFile() {
        return EvidencePages.CHECKPOINTS_FILE;
    }

    public String eventsFile() {
        return EvidencePages.EVENTS_FILE;
    }

    public String operationsFile() {
        return EvidencePages.OPERATIONS_FILE;
    }
}
