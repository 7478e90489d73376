package com.domomigrationproxy.ledger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The audit store's own settings. */
@ConfigMapping(prefix = "proxy.audit")
public interface LedgerConfig {

    /**
     * How often outcomes that the database could not take (Domo had answered) are written again.
     * Env PROXY_AUDIT_OUTCOME_RETRY_INTERVAL; {@code off} is refused at start.
     */
    @WithDefault("5s")
    String outcomeRetryInterval();

    /** How long such an outcome is retried before reconciliation is left to resolve it. Env PROXY_AUDIT_OUTCOME_RETRY_FOR. */
    @WithDefault("15m")
    Duration outcomeRetryFor();

    /**
     * At most this many outcomes wait for the database at once; beyond, the oldest is left to
     * reconciliation. Env PROXY_AUDIT_OUTCOME_BACKLOG_SIZE.
     */
    @WithDefault("10000")
    int outcomeBacklogSize();

    /**
     * The Ed25519 private key (PKCS#8 PEM) that signs checkpoints. Env PROXY_AUDIT_SIGNING_KEY_FILE;
     * without it checkpoints are off.
     */
    Optional<Path> signingKeyFile();

    /** The first line of every checkpoint: names this trail. Env PROXY_AUDIT_ORIGIN. */
    @WithDefault("${quarkus.application.name}")
    String origin();

    /**
     * Origins this trail had before PROXY_AUDIT_ORIGIN was changed: checkpoints signed under them still
     * hold for this chain (comma-separated; a comma or backslash within one is written {@code \,} or
     * {@code \\}). Env PROXY_AUDIT_FORMER_ORIGINS.
     */
    Optional<List<String>> formerOrigins();

    /**
     * How often a checkpoint is signed when the chain grew since the last one. Env
     * PROXY_AUDIT_CHECKPOINT_INTERVAL; {@code off} leaves only the auditors' POST.
     */
    @WithDefault("1m")
    String checkpointInterval();

    /**
     * Where every checkpoint is also written, one file each (a write-once volume). Env
     * PROXY_AUDIT_CHECKPOINT_DIR; without it checkpoints are kept in the database and the chain only.
     */
    Optional<Path> checkpointDir();

    /**
     * Public keys (PEM, {@code *.pem}) of former signing keys, so that checkpoints they signed still
     * verify after a rotation. Env PROXY_AUDIT_VERIFY_KEYS_DIR.
     */
    Optional<Path> verifyKeysDir();

    /**
     * Refused audit-trail requests (401, 403, and 404/405/406 that no resource served) recorded as an
     * event each per window and replica, for
     * those that identified a principal and again for those that identified nobody; beyond, they
     * are counted and summarised per source at the window's end. Env PROXY_AUDIT_REFUSED_RECORDED.
     */
    @WithDefault("60")
    int refusedRecorded();

    /** The window of {@link #refusedRecorded()}. Env PROXY_AUDIT_REFUSED_WINDOW. */
    @WithDefault("1m")
    String refusedWindow();
}
