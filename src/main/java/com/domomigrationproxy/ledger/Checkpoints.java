package com.domomigrationproxy.ledger;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.jboss.logging.Logger;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.scheduler.Scheduled;

/**
 * Signs checkpoints of the hash chain and keeps them in three places: PostgreSQL
 * ({@code audit_checkpoint}), a file in PROXY_AUDIT_CHECKPOINT_DIR, and a CHECKPOINT event in the
 * chain itself, which the audit stream delivers to the SIEM.
 *
 * <p>A CHECKPOINT event is appended after the head it signs, so a checkpoint never covers its own
 * event: checkpoint n signs (seq, hash) and lands at a later seq, where checkpoint n+1 covers it.
 * Nothing is circular, and the chain carries a signed copy of every checkpoint. The periodic job
 * counts only other events as growth, so an idle chain is not signed again and again.
 */
@ApplicationScoped
public class Checkpoints {

    public static final String EVENT = "CHECKPOINT";

    private static final Logger LOG = Logger.getLogger(Checkpoints.class);
    /** A rolling update replaces a replica within seconds: the retry reaches one of the new origin. */
    private static final long RENAMED_RETRY_SECONDS = 5;
    /** Serialises signers on every replica: one checkpoint at a time, each reading the head anew. */
    static final long LOCK = 0x6175_6469_7463_6b70L;
    /** How many of the newest checkpoint rows are looked at for a genuine one: more forged rows are an attack. */
    private static final int GENUINE_LOOKBACK = 20;
    private static final String COLUMNS = "id, origin, seq, hash, issued_at, key_id, text, signature";
    private static final ObjectMapper FILE_JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);
    /**
     * Why a checkpoint directory with no file, while the database stores checkpoints, is a failure:
     * signing refuses it, and the integrity check names it.
     */
    static final String LOST_FILES = "holds no checkpoint file, but the database stores checkpoints: its volume is"
            + " not mounted, or it was emptied";
    /** The names {@link #fileName} gives: the only files that count as checkpoints. */
    private static final Pattern FILE_NAME = Pattern.compile("checkpoint-[0-9]{20}-[0-9]{13}-[0-9a-f]{16}\\.json");

    private final DataSource dataSource;
    private final Ledger ledger;
    private final CheckpointKeys keys;
    private final LedgerConfig config;
    /** The rename last logged by the periodic job, so that it is logged once, not every interval. */
    private volatile String reportedRename;
    private final Optional<Path> directory;
    private final Counter failures;
    private final Optional<Duration> overdueAfter;
    /** The oldest unsigned event the last periodic run found overdue, or null. */
    private volatile Long overdueSeen;
    /** Set once the checkpoint directory was found to have no hard links: files are then written in place. */
    private volatile boolean linksFail;
    /** The oldest unsigned event's seq when this replica first saw it, and when: a clock the database cannot move. */
    private volatile Long firstSeenSeq;
    private volatile Instant firstSeenAt;
    /** Why the periodic job signs nothing while the newest checkpoint has an origin it does not know, or null. */
    private volatile String renamedNow;

    @Inject
    Checkpoints(DataSource dataSource, Ledger ledger, CheckpointKeys keys, LedgerConfig config, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.ledger = ledger;
        this.keys = keys;
        this.config = config;
        this.directory = config.checkpointDir();
        this.overdueAfter = overdueAfter(config.checkpointInterval());
        this.failures = Counter.builder("audit.checkpoint.failures")
                .description("Checkpoints that could not be signed, written or stored")
                .register(registry);
    }

    /** A page of checkpoints, newest first; {@code nextBeforeId} continues it, null on the last page. */
    public record Page(List<Checkpoint> items, Long nextBeforeId) {
    }

    private record Stored(long id, Checkpoint checkpoint) {
    }

    private record Head(long seq, String hash) {
    }

    /** The chain head and its last event (null when there is none), read in one statement. */
    private record HeadAndLast(Head head, Head last) {
    }

    public boolean enabled() {
        return keys.signing();
    }

    public Optional<Path> directory() {
        return directory;
    }

    /** Signs a checkpoint of the chain as it is now, whether or not it grew (an auditor asked). */
    public Checkpoint signNow() {
        if (!enabled()) {
            throw new ProblemException(409, ProblemType.CHECKPOINTS_OFF,
                    "Checkpoints are off: PROXY_AUDIT_SIGNING_KEY_FILE is not configured");
        }
        try {
            return sign(false).orElseThrow();
        } catch (RuntimeException e) {
            failures.increment();
            if (e instanceof ProblemException problem) {
                throw problem;
            }
            // The checkpoint directory, not the database: retrying will not help until a person looks at it.
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, e instanceof UncheckedIOException io
                    ? io.getMessage() + " (PROXY_AUDIT_CHECKPOINT_DIR): nothing is signed until it can be"
                    : "The checkpoint could not be signed and stored; retry later", e);
        }
    }

    @Scheduled(identity = "audit-checkpoint", every = "${proxy.audit.checkpoint-interval:1m}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        scheduled(overdueAfter);
    }

    /**
     * The periodic job, with events no genuine checkpoint covers for longer than {@code overdue}, at
     * two runs in a row, an error: something keeps the job from signing. Any database role may take the job's advisory
     * lock and hold it, and the job then signed nothing, without a word or a failure counted
     * (evidence review), while the unsigned tail could be rewritten.
     */
    void scheduled(Optional<Duration> overdue) {
        if (!enabled()) {
            return;
        }
        try {
            Optional<Checkpoint> signed = sign(true);
            if (signed.isPresent()) {
                overdueSeen = null;
                LOG.debugf("Checkpoint signed at seq %d", signed.get().seq());
            } else if (overdue.isPresent()) {
                Optional<Uncovered> oldest = read(connection -> oldestUncovered(connection));
                if (oldest.isPresent() && !Long.valueOf(oldest.get().seq()).equals(firstSeenSeq)) {
                    firstSeenSeq = oldest.get().seq();
                    firstSeenAt = Instant.now();
                }
                // Unsigned since the event was recorded, or since this replica first saw it unsigned if that
                // is earlier: recorded_at is not hashed for every kind, and one moved into the future by
                // whoever holds the lock must not keep this alarm quiet (evidence review).
                Instant since = oldest.isEmpty() ? null
                        : oldest.get().recordedAt().isBefore(firstSeenAt) ? oldest.get().recordedAt() : firstSeenAt;
                if (since == null || !since.isBefore(Instant.now().minus(overdue.get()))) {
                    overdueSeen = null;
                } else if (!Long.valueOf(oldest.get().seq()).equals(overdueSeen)) {
                    // Seen once: another replica may be signing it just now (a backlog already old when
                    // checkpoints were turned on, or after a key nothing trusts any more). Twice is no race.
                    overdueSeen = oldest.get().seq();
                } else {
                    failures.increment();
                    String renamed = renamedNow;
                    LOG.errorf("Checkpoint not signed: no genuine checkpoint covers the events since seq %d, unsigned"
                            + " since %s, more than %s ago. %s", oldest.get().seq(), since,
                            overdue.get(), renamed != null ? renamed
                                    : "The checkpoint lock (pg_advisory_lock(" + LOCK + ")) is held by a session that"
                                            + " does not sign, or a replica's signing hangs: find it in pg_locks");
                }
            }
        } catch (RuntimeException e) {
            failures.increment();
            LOG.errorf("Checkpoint not signed: %s", e.getMessage());
        }
    }

    /** Twice the interval and half a minute: a signer that took the lock a moment earlier has ended by then. */
    static Optional<Duration> overdueAfter(String interval) {
        String every = interval.strip();
        if (every.equalsIgnoreCase("off") || every.equalsIgnoreCase("disabled")) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(DurationConverter.parseDuration(every))
                    .map(duration -> duration.multipliedBy(2).plusSeconds(30));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The newest checkpoints first, before {@code beforeId} (exclusive) when given. */
    public Page page(Long beforeId, int limit) {
        List<Stored> rows = read(connection -> Sql.list(connection, "SELECT " + COLUMNS + " FROM audit_checkpoint"
                + " WHERE id < ? ORDER BY id DESC LIMIT ?", row -> new Stored(row.getLong("id"), map(row)),
                beforeId == null ? Long.MAX_VALUE : beforeId, limit + 1));
        List<Checkpoint> items = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, rows.size()); i++) {
            items.add(rows.get(i).checkpoint());
        }
        return new Page(items, rows.size() > limit ? rows.get(limit - 1).id() : null);
    }

    public Optional<Checkpoint> latest() {
        return read(connection -> Sql.first(connection, "SELECT " + COLUMNS
                + " FROM audit_checkpoint ORDER BY id DESC LIMIT 1", Checkpoints::map));
    }

    /**
     * Signs the head under the checkpoint lock; the periodic job waits for no one (another replica is
     * signing) and signs only when events other than checkpoints arrived since the last checkpoint.
     * The file is written before the commit: a checkpoint whose commit then fails is still a true,
     * signed statement about the chain, while a stored checkpoint without its file would not be.
     */
    private Optional<Checkpoint> sign(boolean onlyIfGrown) {
        CheckpointKeys.Signer signer = keys.signer().orElseThrow();
        return QuarkusTransaction.requiringNew().call(() -> {
            try (Connection connection = dataSource.getConnection()) {
                if (onlyIfGrown) {
                    if (!Sql.first(connection, "SELECT pg_try_advisory_xact_lock(?)", row -> row.getBoolean(1), LOCK)
                            .orElse(false) || !grown(connection)) {
                        return Optional.<Checkpoint>empty();
                    }
                } else {
                    Sql.first(connection, "SELECT 1 FROM pg_advisory_xact_lock(?)", row -> row.getInt(1), LOCK);
                }
                // One statement, one snapshot: read in two, an event committed in between would part
                // the head from the last event and look like an altered chain.
                HeadAndLast read = Sql.first(connection, """
                        SELECT h.seq, h.hash, e.seq, e.hash FROM audit_chain_head h
                          LEFT JOIN LATERAL (SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1) e ON true""",
                        row -> new HeadAndLast(new Head(row.getLong(1), row.getString(2)),
                                row.getString(4) == null ? null : new Head(row.getLong(3), row.getString(4))))
                        .orElseThrow();
                Head head = read.head();
                Optional<Checkpoint> newest = newestSigned(connection);
                String broken = breakFromSigned(connection, head, read.last(), newest);
                if (broken != null) {
                    throw new ProblemException(409, ProblemType.CHAIN_ALTERED, broken + ", so no checkpoint is signed"
                            + " over it: the chain was altered behind the service's back (GET /api/v1/audit/integrity"
                            + " names where)");
                }
                String renamed = renamedSince(newest);
                if (onlyIfGrown) {
                    renamedNow = renamed;
                }
                if (renamed != null) {
                    if (onlyIfGrown) {
                        if (!renamed.equals(reportedRename)) {
                            LOG.warn(renamed);
                            reportedRename = renamed;
                        }
                        return Optional.<Checkpoint>empty();
                    }
                    throw ProblemException.busy(renamed, RENAMED_RETRY_SECONDS);
                }
                long seq = head.seq();
                String hash = head.hash();
                Instant issuedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                String keyId = signer.key().keyId();
                String origin = config.origin();
                String text = Checkpoint.text(origin, seq, hash, issuedAt, keyId);
                Checkpoint checkpoint = new Checkpoint(origin, seq, hash, issuedAt, keyId, text, signer.sign(text));
                directory.ifPresent(dir -> writeFile(dir, checkpoint));
                Sql.update(connection, """
                        INSERT INTO audit_checkpoint (origin, seq, hash, issued_at, key_id, text, signature)
                        VALUES (?, ?, ?, ?, ?, ?, ?)""", origin, seq, hash, issuedAt, keyId, text, checkpoint.signature());
                ledger.append(EVENT, keyId, checkpoint.eventMembers());
                return Optional.of(checkpoint);
            }
        });
    }

    /**
     * Why the chain does not continue what was signed before, or null: its head must be its last
     * event, the newest checkpoint must still find its hash at its seq, and no seq after it may be
     * missing (an event removed and the rest linked again). The newest checkpoint is
     * the newest file in PROXY_AUDIT_CHECKPOINT_DIR when there is one (the database cannot change it),
     * else the newest stored one. Without this a chain rewritten and linked again behind the service's
     * back, with its stored checkpoints deleted, would get a fresh checkpoint over it that became the
     * newest file, and the integrity check, which holds the chain to the newest file, would pass.
     */
    private String breakFromSigned(Connection connection, Head head, Head last, Optional<Checkpoint> signed)
            throws SQLException {
        if (last != null && !last.equals(head)) {
            return "The chain's head (seq " + head.seq() + ") is not its last event (seq " + last.seq() + ")";
        }
        if (signed.isEmpty()) {
            return null;
        }
        // Seq 0 is the empty chain, signed when an auditor asked before anything was recorded.
        String hashThere = signed.get().seq() == 0 ? HashChain.GENESIS : Sql.first(connection,
                "SELECT hash FROM audit_event WHERE seq = ?", row -> row.getString(1), signed.get().seq()).orElse(null);
        if (hashThere == null) {
            return "The chain no longer has seq " + signed.get().seq() + ", which the newest checkpoint signed";
        }
        if (!hashThere.equals(signed.get().hash())) {
            return "The chain's hash at seq " + signed.get().seq() + " is not the one the newest checkpoint signed";
        }
        // A file anyone could have written proves nothing if its key's signature does not hold. A key
        // this replica does not know (a rotation that reached other replicas first) is no such
        // proof: the integrity check names it, and signing goes on.
        Optional<CheckpointKeys.PublicKeyInfo> key = keys.find(signed.get().keyId());
        if (key.isPresent() && (!key.get().verifies(signed.get().text(), signed.get().signature())
                || !signed.get().agreesWithText())) {
            return "The newest checkpoint (seq " + signed.get().seq() + ") is not what its key signed: it was forged"
                    + " or altered";
        }
        long since = Sql.first(connection, "SELECT count(*) FROM audit_event WHERE seq > ? AND seq <= ?",
                row -> row.getLong(1), signed.get().seq(), head.seq()).orElse(0L);
        return since == head.seq() - signed.get().seq() ? null
                : "Events between the newest checkpoint's seq " + signed.get().seq() + " and the head's seq "
                        + head.seq() + " are missing";
    }

    /**
     * Why this replica signs nothing more, or null: the newest checkpoint, genuinely signed, names an
     * origin this replica does not know. Replicas started with a new PROXY_AUDIT_ORIGIN (and the old
     * one in PROXY_AUDIT_FORMER_ORIGINS) sign beside the ones not yet replaced during a rolling update;
     * a checkpoint of the old origin signed after the first of the new would fail the trail for good
     * (the offline verifier holds a former origin to before the current one). A row the application
     * role wrote, whose signature does not hold, stops nothing.
     */
    private String renamedSince(Optional<Checkpoint> newest) {
        if (newest.isEmpty() || newest.get().origin().equals(config.origin())
                || config.formerOrigins().orElse(List.of()).contains(newest.get().origin())) {
            return null;
        }
        Checkpoint checkpoint = newest.get();
        Optional<CheckpointKeys.PublicKeyInfo> key = keys.find(checkpoint.keyId());
        if (key.isEmpty() || !key.get().verifies(checkpoint.text(), checkpoint.signature())
                || !checkpoint.agreesWithText()) {
            return null;
        }
        return "The newest checkpoint (seq " + checkpoint.seq() + ") was signed under origin '" + checkpoint.origin()
                + "', which this replica (PROXY_AUDIT_ORIGIN '" + config.origin() + "') does not know, so it signs no"
                + " checkpoint (one of an older origin after the new one's first would fail the trail): either"
                + " replicas started after this one were given a new origin, and this one is to be replaced, or"
                + " this replica's origin was changed without that one in PROXY_AUDIT_FORMER_ORIGINS";
    }

    private Optional<Checkpoint> newestSigned(Connection connection) throws SQLException {
        if (directory.isPresent()) {
            Optional<Path> file = newestFile(directory.get());
            if (file.isPresent()) {
                try {
                    Checkpoint checkpoint = readFile(file.get());
                    if (!namedAfter(file.get(), checkpoint)) {
                        throw new ProblemException(409, ProblemType.CHAIN_ALTERED, "The newest checkpoint file "
                                + file.get().getFileName() + " is not named after its checkpoint (seq "
                                + checkpoint.seq() + "): it was renamed or copied, so no checkpoint is signed until"
                                + " it is moved away");
                    }
                    return Optional.of(checkpoint);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot read the newest checkpoint file " + file.get()
                            + "; no checkpoint is signed until it is readable or moved away", e);
                }
            }
        }
        Optional<Checkpoint> stored = Sql.first(connection, "SELECT " + COLUMNS
                + " FROM audit_checkpoint ORDER BY id DESC LIMIT 1", Checkpoints::map);
        if (directory.isPresent() && stored.isPresent()) {
            // A directory that lost its files (a volume not mounted: the image has the empty directory) would
            // leave the database, which its superusers can rewrite, as the only account of what was signed.
            // The directory, not the chain: 503 as for one that cannot be listed; the integrity check names it.
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "PROXY_AUDIT_CHECKPOINT_DIR " + directory.get()
                    + " " + LOST_FILES + " (the newest stored is of seq " + stored.get().seq() + "). No checkpoint is"
                    + " signed until the files are back; for a directory set only after checkpoints were signed, write"
                    + " the newest stored one into it (docs/audit.md)");
        }
        return stored;
    }

    /**
     * Whether events other than checkpoints arrived after the newest genuine checkpoint the chain has
     * reached: a row of a seq beyond the head, or one at the head whose signature does not hold (the
     * application role may insert either), is no checkpoint of this chain, and must not stop the
     * periodic signing (the signing then names a forged newest row).
     */
    private boolean grown(Connection connection) throws SQLException {
        return oldestUncovered(connection).isPresent();
    }

    /** The first event other than a checkpoint after the newest genuine checkpoint at or below the head. */
    private Optional<Uncovered> oldestUncovered(Connection connection) throws SQLException {
        return Sql.first(connection, "SELECT seq, recorded_at FROM audit_event WHERE seq > ? AND kind <> ?"
                + " ORDER BY seq LIMIT 1", row -> new Uncovered(row.getLong(1), Sql.instant(row, 2)),
                coveredSeq(connection), EVENT);
    }

    /**
     * The seq of the newest checkpoint at or below the head that a known key signed, of the
     * {@link #GENUINE_LOOKBACK} newest; 0 when none of them is (the whole chain counts as unsigned).
     */
    private long coveredSeq(Connection connection) throws SQLException {
        List<Checkpoint> newest = Sql.list(connection, "SELECT " + COLUMNS + " FROM audit_checkpoint"
                + " WHERE seq <= (SELECT h.seq FROM audit_chain_head h) ORDER BY seq DESC, id DESC LIMIT ?",
                Checkpoints::map, GENUINE_LOOKBACK);
        for (Checkpoint checkpoint : newest) {
            Optional<CheckpointKeys.PublicKeyInfo> key = keys.find(checkpoint.keyId());
            if (key.isPresent() && key.get().verifies(checkpoint.text(), checkpoint.signature())
                    && checkpoint.agreesWithText()) {
                return checkpoint.seq();
            }
        }
        return 0;
    }

    private record Uncovered(long seq, Instant recordedAt) {
    }

    /**
     * Why this checkpoint does not hold against the chain as the database has it now (an untrusted
     * key, a signature or text that does not verify, a different hash at its seq); empty when it
     * holds. The integrity check does this for every checkpoint; the console, for the newest.
     */
    public Optional<String> failure(Checkpoint checkpoint) {
        String chainHash = read(connection -> Sql.first(connection, "SELECT hash FROM audit_event WHERE seq = ?",
                row -> row.getString(1), checkpoint.seq())).orElse(null);
        CheckpointVerifier verifier = new CheckpointVerifier(keys, config);
        verifier.accept(checkpoint, "database", chainHash);
        return Optional.ofNullable(verifier.firstInvalid()).map(IntegrityReport.CheckpointFailure::reason);
    }

    /** The checkpoint as its file in PROXY_AUDIT_CHECKPOINT_DIR holds it: what the offline verifier reads. */
    public static byte[] fileContent(Checkpoint checkpoint) {
        try {
            return (FILE_JSON.writeValueAsString(checkpoint) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A checkpoint is plain JSON", e);
        }
    }

    /** File name sorts by seq, then time: the last name in the directory is the newest checkpoint. */
    public static String fileName(Checkpoint checkpoint) {
        return String.format("checkpoint-%020d-%013d-%s.json", checkpoint.seq(), checkpoint.issuedAt().toEpochMilli(),
                checkpoint.keyId());
    }

    /**
     * Never overwrites; forced to disk before the checkpoint is committed, its content and its name
     * (the directory too: a file synced into a directory that was not can vanish in a crash). The name
     * appears with the whole content or not at all: the content goes to a hidden {@code .tmp} file first
     * (which no reader lists: neither the service nor the offline verifier, which reads {@code *.json}),
     * then gets its name by a hard link, which fails rather than replace a file. A crash in between leaves
     * a {@code .tmp} file, not an empty checkpoint that every reader of the newest file would stop at
     * (evidence review). Where the file system has no hard links (an object store's mount, which has no
     * rename either), the file is created under its name and written at once, as an object store
     * uploads it whole on close; that is found once, and said once.
     */
    private void writeFile(Path directory, Checkpoint checkpoint) {
        Path file = directory.resolve(fileName(checkpoint));
        byte[] content = fileContent(checkpoint);
        try {
            Files.createDirectories(directory);
            if (!linksFail && writtenByLink(directory.resolve("." + fileName(checkpoint) + ".tmp"), file, content)) {
                LOG.debugf("Checkpoint file %s written", file);
            } else {
                OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.SYNC);
                try (out) {
                    out.write(content);
                } catch (IOException e) {
                    // Not left behind cut short: as the newest file, it would stop every signing.
                    deleteQuietly(file);
                    throw e;
                }
            }
            try (FileChannel entries = FileChannel.open(directory, StandardOpenOption.READ)) {
                entries.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write checkpoint file " + file, e);
        }
    }

    /**
     * Writes the content to {@code partial} and links {@code file} to it; false (and never tried again)
     * where the file system has no hard links. Any other failure fails this checkpoint only.
     */
    private boolean writtenByLink(Path partial, Path file, byte[] content) throws IOException {
        try {
            try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.SYNC)) {
                out.write(content);
            }
            Files.createLink(file, partial);
            return true;
        } catch (UnsupportedOperationException e) {
            return noLinks(file, e.toString());
        } catch (FileSystemException e) {
            if (e instanceof FileAlreadyExistsException || !noLinksHere(e)) {
                throw e;
            }
            return noLinks(file, e.getReason());
        } finally {
            deleteQuietly(partial);
        }
    }

    /** link(2) says so with EPERM (no hard links on this file system), EOPNOTSUPP or ENOSYS (a FUSE mount's). */
    private static boolean noLinksHere(FileSystemException e) {
        String reason = e.getReason() == null ? "" : e.getReason();
        return reason.contains("not permitted") || reason.contains("not supported") || reason.contains("not implemented");
    }

    private boolean noLinks(Path file, String why) {
        linksFail = true;
        LOG.infof("Checkpoint files are written under their own name from now on: %s has no hard links (%s)",
                file.getParent(), why);
        return false;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warnf("Cannot remove %s (no reader lists a temporary copy; a cut-short file is named in the"
                    + " integrity check): %s", file, e.getMessage());
        }
    }

    /** Whether the file carries the name {@link #fileName} gives its checkpoint (seq, time and key). */
    static boolean namedAfter(Path file, Checkpoint checkpoint) {
        return file.getFileName().toString().equals(fileName(checkpoint));
    }

    /**
     * The checkpoint file whose name sorts last: names sort by seq, then time. Only names of the
     * form {@link #fileName} gives count: another file ({@code checkpoint-latest.json}) would sort
     * after them all.
     */
    static Optional<Path> newestFile(Path directory) {
        if (!Files.isDirectory(directory)) {
            return Optional.empty();
        }
        Path newest = null;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "checkpoint-*.json")) {
            for (Path file : files) {
                if (!FILE_NAME.matcher(file.getFileName().toString()).matches()) {
                    continue;
                }
                if (newest == null || file.getFileName().toString().compareTo(newest.getFileName().toString()) > 0) {
                    newest = file;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list checkpoint directory " + directory, e);
        } catch (DirectoryIteratorException e) {
            // A directory that opens but cannot be read fails while it is iterated.
            throw new UncheckedIOException("Cannot list checkpoint directory " + directory, e.getCause());
        }
        return Optional.ofNullable(newest);
    }

    static Checkpoint readFile(Path file) throws IOException {
        return whole(FILE_JSON.readValue(file.toFile(), Checkpoint.class));
    }

    /** The checkpoint a CHECKPOINT event of the chain carries (its payload also names the event, subject and time). */
    static Checkpoint fromEvent(String payload) throws IOException {
        return whole(FILE_JSON.readerFor(Checkpoint.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .readValue(payload));
    }

    /**
     * A checkpoint without one of its members is unreadable, as one that is not JSON: checked, it
     * failed with a NullPointerException, and a forged CHECKPOINT event without its text made every
     * later integrity check a 500 instead of naming that event.
     */
    private static Checkpoint whole(Checkpoint checkpoint) throws IOException {
        if (checkpoint == null || checkpoint.origin() == null || checkpoint.hash() == null
                || checkpoint.issuedAt() == null || checkpoint.keyId() == null || checkpoint.text() == null
                || checkpoint.signature() == null) {
            throw new IOException("A checkpoint member is missing");
        }
        return checkpoint;
    }

    static Checkpoint map(ResultSet row) throws SQLException {
        return new Checkpoint(row.getString("origin"), row.getLong("seq"), row.getString("hash"),
                Sql.instant(row, "issued_at"), row.getString("key_id"), row.getString("text"), row.getString("signature"));
    }

    private <T> T read(SqlRead<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The audit store cannot be read; retry later", e);
        }
    }

    private interface SqlRead<T> {
        T run(Connection connection) throws SQLException;
    }
}
