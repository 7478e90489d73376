package com.domomigrationproxy.ledger;

import java.util.List;

/**
 * Checks checkpoints against the chain as the database holds it: each must be signed by a trusted
 * key, repeat its signed text, and name a hash the chain still has at that seq. A superuser can
 * recompute every hash after changing a row, or cut the newest events off and rewind the head; the
 * chain then verifies on its own, but not against a checkpoint signed before, whose key it lacks.
 * Each must also name this trail's origin, or one it had before (PROXY_AUDIT_FORMER_ORIGINS): a
 * checkpoint of another deployment that shares the key says nothing about this chain. Remembers the
 * first checkpoint that fails, the last and how many:
 * one that stays (a forged row, which the application role can insert and nobody can delete) must
 * not hide a later failure.
 */
final class CheckpointVerifier {

    private final CheckpointKeys keys;
    private final String origin;
    private final List<String> formerOrigins;
    private long checked;
    private IntegrityReport.CheckpointFailure firstInvalid;
    private IntegrityReport.CheckpointFailure lastInvalid;
    private long invalid;

    CheckpointVerifier(CheckpointKeys keys, LedgerConfig config) {
        this.keys = keys;
        this.origin = config.origin();
        this.formerOrigins = config.formerOrigins().orElse(List.of());
    }

    /**
     * One checkpoint, from the database or a file ({@code source}), and the hash the chain has at
     * its seq (null when the chain has no event there).
     */
    void accept(Checkpoint checkpoint, String source, String chainHash) {
        checked++;
        String reason = check(checkpoint, chainHash);
        if (reason != null) {
            record(new IntegrityReport.CheckpointFailure(checkpoint.seq(), checkpoint.issuedAt(),
                    checkpoint.keyId(), source, reason));
        }
    }

    /**
     * A checkpoint file, or a CHECKPOINT event, that is not a checkpoint in JSON: whoever can write
     * there could also remove the evidence.
     */
    void unreadable(String source, String reason) {
        checked++;
        record(new IntegrityReport.CheckpointFailure(null, null, null, source, reason));
    }

    private void record(IntegrityReport.CheckpointFailure failure) {
        if (firstInvalid == null) {
            firstInvalid = failure;
        }
        lastInvalid = failure;
        invalid++;
    }

    boolean valid() {
        return firstInvalid == null;
    }

    long checked() {
        return checked;
    }

    IntegrityReport.CheckpointFailure firstInvalid() {
        return firstInvalid;
    }

    IntegrityReport.CheckpointFailure lastInvalid() {
        return lastInvalid;
    }

    long invalid() {
        return invalid;
    }

    private String check(Checkpoint checkpoint, String chainHash) {
        CheckpointKeys.PublicKeyInfo key = keys.find(checkpoint.keyId()).orElse(null);
        if (key == null) {
            return "signed with key " + checkpoint.keyId() + ", which is not trusted here (neither"
                    + " PROXY_AUDIT_SIGNING_KEY_FILE nor PROXY_AUDIT_VERIFY_KEYS_DIR holds it)";
        }
        if (!key.verifies(checkpoint.text(), checkpoint.signature())) {
            return "the signature does not verify: the checkpoint was forged or altered";
        }
        if (!checkpoint.agreesWithText()) {
            return "the checkpoint's fields differ from its signed text: they were altered";
        }
        if (!origin.equals(checkpoint.origin()) && !formerOrigins.contains(checkpoint.origin())) {
            return "signed for the trail " + checkpoint.origin() + ", not this one (" + origin + ", PROXY_AUDIT_ORIGIN"
                    + (formerOrigins.isEmpty() ? "" : ", nor a former one in PROXY_AUDIT_FORMER_ORIGINS") + "):"
                    + " another deployment's checkpoint, or the origin was changed (PROXY_AUDIT_FORMER_ORIGINS names"
                    + " the ones before)";
        }
        String expected = checkpoint.seq() == 0 ? HashChain.GENESIS : chainHash;
        if (expected == null) {
            return "the chain has no event at the signed seq " + checkpoint.seq()
                    + ": events were cut off the end of the chain";
        }
        if (!expected.equals(checkpoint.hash())) {
            return "the chain's hash at seq " + checkpoint.seq() + " is not the signed one: events up to it were"
                    + " rewritten and the chain recomputed";
        }
        return null;
    }
}
