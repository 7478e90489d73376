package com.domomigrationproxy.domo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.security.FileVersion;
import com.domomigrationproxy.security.SecretFiles;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.config.Secret;

/**
 * The Domo developer token, from DOMO_DEVELOPER_TOKEN_FILE (re-read when the file changes, so a
 * rotated Kubernetes Secret takes effect without a restart) or DOMO_DEVELOPER_TOKEN. The token
 * leaves this class only as the value of the upstream header; it is never logged or wrapped in an
 * exception message.
 */
@ApplicationScoped
public class DomoTokenProvider {

    private static final Logger LOG = Logger.getLogger(DomoTokenProvider.class);
    /**
     * A bound on the tokens kept, for a file rewritten in a loop: each costs a scan of every Domo
     * answer. Far more rotations than anyone makes within one migration deadline.
     */
    private static final int MOST_TOKENS = 32;

    private final Optional<String> fromEnvironment;
    /** The environment's token's redactor, if any: all there is to redact until the file is read. */
    private final List<TokenRedactor> environmentRedactors;
    private final Optional<Path> file;
    /**
     * How long a token replaced in the file is still redacted: answers to calls sent with it arrive
     * after the rotation, up to the longest Domo deadline later; twice that, for an attempt that
     * ends in the background after its deadline.
     */
    private final long formerTokensKeptNanos;
    /**
     * A redactor for each token read from the file, by token, least recently read first (a token
     * read again, after a rollback, is current again), with when it was replaced (none for the
     * current one); a replaced one goes once it was replaced longer ago than formerTokensKeptNanos.
     */
    private final Map<String, KnownToken> knownTokens = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, KnownToken> eldest) {
            return size() > MOST_TOKENS;
        }
    };
    private volatile Snapshot snapshot;
    /** The version of the file the scheduled look could not read, left to the calls that need the token. */
    private volatile FileVersion unreadable;

    private final boolean environmentSet;

    @Inject
    DomoTokenProvider(DomoConfig config) {
        Optional<String> environment = config.developerToken().map(Secret::get).map(String::strip)
                .filter(token -> !token.isEmpty());
        this.environmentSet = environment.isPresent();
        this.environmentRedactors = environment.map(TokenRedactor::of).map(List::of).orElse(List.of());
        this.fromEnvironment = environment.filter(token -> usable(token, "DOMO_DEVELOPER_TOKEN"));
        this.file = config.developerTokenFile();
        this.formerTokensKeptNanos = formerTokensKeptNanos(config);
        // Read before the first request is screened, not at the first call to Domo.
        reloadIfChanged();
    }

    /**
     * Twice the longest Domo deadline with the connect timeout, in nanoseconds; deadlines past what
     * those hold (292 years) keep a token as good as for ever (the start check names them).
     */
    private static long formerTokensKeptNanos(DomoConfig config) {
        Duration longest = config.migrationTimeout().compareTo(config.readTimeout()) >= 0 ? config.migrationTimeout()
                : config.readTimeout();
        try {
            return longest.plus(config.connectTimeout()).multipliedBy(2).toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    /** True when a token source is configured (the file may still be missing, empty or unusable). */
    public boolean configured() {
        return file.isPresent() || environmentSet;
    }

    /**
     * Whether the token can be sent as a header value: visible ASCII only. A line break or another
     * control character inside it (two tokens left in a Secret by a rotation, say) is refused here,
     * because an HTTP library refuses such a header with a message that quotes the value, and that
     * message would carry the token into the logs. The token is never named, only where it came from.
     */
    private static boolean usable(String token, String source) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                LOG.errorf("The Domo token from %s holds a character that is not visible ASCII (a line break, a"
                        + " space or a control character, at position %d of %d): it is not used", source, i + 1,
                        token.length());
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the file again when it changed, every second, not only when Domo is called: the
     * credential screen refuses caller input that carries the token ({@link #appearsIn}), and until
     * the file was read after a rotation (or at all, after the start) it knew only the tokens before.
     * A file that cannot be read is left to the calls that need the token, which say so.
     */
    @Scheduled(identity = "domo-token-file-reload", every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void reloadIfChanged() {
        if (file.isEmpty()) {
            return;
        }
        FileVersion version;
        try {
            version = FileVersion.of(file.get());
        } catch (IOException e) {
            return;
        }
        Snapshot seen = snapshot;
        if ((seen == null || !seen.version().equals(version)) && !version.equals(unreadable)) {
            reload(file.get(), version);
            if (snapshot == seen) {
                // Not read (its content): looked at again once it changes, not logged every second.
                unreadable = version;
            }
        }
    }

    /**
     * The token file as the log names it: an absolute path as it is; a relative one not, since the
     * value may be the token itself, set in DOMO_DEVELOPER_TOKEN_FILE by mistake (a file that does
     * not exist is then logged on every call and readiness probe).
     */
    static String shown(Path path) {
        return path.isAbsolute() ? path.toString()
                : "named by DOMO_DEVELOPER_TOKEN_FILE (a relative path, not shown: it may be the token itself)";
    }

    /** The current token, or empty when none is configured or the file cannot be read. */
    public Optional<String> current() {
        if (file.isEmpty()) {
            return fromEnvironment;
        }
        Path path = file.get();
        FileVersion version;
        try {
            version = FileVersion.of(path);
        } catch (IOException e) {
            LOG.errorf("Cannot read the Domo token file %s: %s", shown(path), e.getClass().getSimpleName());
            return Optional.empty();
        }
        Snapshot seen = snapshot;
        if (seen != null && seen.version().equals(version)) {
            if (seen.forgets() && System.nanoTime() - seen.forgetAt() >= 0) {
                return forgetFormerTokens(seen);
            }
            return seen.token();
        }
        return reload(path, version);
    }

    /** The text with the token replaced, in whatever form it appears (see {@link TokenRedactor}). */
    public String redact(String text) {
        String redacted = text;
        for (TokenRedactor redactor : redactors()) {
            redacted = redactor.redact(redacted);
        }
        return redacted;
    }

    /**
     * {@link #redact}, and then every run of {@value TokenRedactor#FRAGMENT} or more consecutive
     * characters of the token: for Domo's own words (messages, toe), which may quote it cut short.
     */
    public String redactWithFragments(String text) {
        String redacted = redact(text);
        for (TokenRedactor redactor : redactors()) {
            redacted = redactor.redactFragments(redacted);
        }
        return redacted;
    }

    /** True when the token appears in the text in any form. */
    public boolean appearsIn(String text) {
        for (TokenRedactor redactor : redactors()) {
            if (redactor.appearsIn(text)) {
                return true;
            }
        }
        return false;
    }

    /** False only when the token certainly does not appear in these bytes in any form. */
    public boolean mayAppearIn(byte[] body) {
        for (TokenRedactor redactor : redactors()) {
            if (redactor.mayAppearIn(body)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Made when a token is read, not per call: every answer from Domo is checked with them, the
     * current token's and the recent earlier ones'.
     */
    private List<TokenRedactor> redactors() {
        Snapshot seen = snapshot;
        return seen == null ? environmentRedactors : seen.redactors();
    }

    private synchronized Optional<String> reload(Path path, FileVersion version) {
        try {
            String content = Files.readString(path, StandardCharsets.UTF_8).strip();
            long now = System.nanoTime();
            if (content.isEmpty()) {
                LOG.errorf("The Domo token file %s is empty", shown(path));
            } else {
                // Redacted even when unusable: the text is a secret all the same.
                KnownToken known = knownTokens.get(content);
                knownTokens.replaceAll((text, token) -> token.current() ? token.replacedAt(now) : token);
                knownTokens.put(content, known == null ? KnownToken.of(content) : known.readAgain());
            }
            Optional<String> token = content.isEmpty() ? Optional.empty()
                    : Optional.of(content).filter(read -> usable(read, "the file " + shown(path)));
            if (token.isPresent() && snapshot != null) {
                LOG.infof("Reloaded the Domo token from %s", shown(path));
            }
            SecretFiles.warnIfExposed("DOMO_DEVELOPER_TOKEN_FILE", path, true);
            snapshot = snapshot(version, token, now);
            return token;
        } catch (IOException e) {
            LOG.errorf("Cannot read the Domo token file %s: %s", shown(path), e.getClass().getSimpleName());
            return Optional.empty();
        }
    }

    /** The same file, the tokens replaced longer ago than they are kept left out. */
    private synchronized Optional<String> forgetFormerTokens(Snapshot seen) {
        if (snapshot == seen) {
            snapshot = snapshot(seen.version(), seen.token(), System.nanoTime());
        }
        return seen.token();
    }

    /** Drops the tokens replaced too long ago; what to redact with, and when to look again. */
    private Snapshot snapshot(FileVersion version, Optional<String> token, long now) {
        knownTokens.values().removeIf(known -> !known.current() && now - known.replacedAt() - formerTokensKeptNanos >= 0);
        List<TokenRedactor> redactors = new ArrayList<>(environmentRedactors);
        boolean forgets = false;
        long forgetAt = 0;
        for (KnownToken known : knownTokens.values()) {
            redactors.add(known.redactor());
            long due = known.replacedAt() + formerTokensKeptNanos;
            if (!known.current() && (!forgets || due - forgetAt < 0)) {
                forgets = true;
                forgetAt = due;
            }
        }
        return new Snapshot(version, token, List.copyOf(redactors), forgets, forgetAt);
    }

    /** What is redacted, and when: a token read from the file, replaced at replacedAt (nanoTime) unless current. */
    private record KnownToken(TokenRedactor redactor, boolean current, long replacedAt) {

        static KnownToken of(String token) {
            return new KnownToken(TokenRedactor.of(token), true, 0);
        }

        KnownToken replacedAt(long when) {
            return new KnownToken(redactor, false, when);
        }

        KnownToken readAgain() {
            return new KnownToken(redactor, true, 0);
        }
    }

    /** A version of the file, its token, what to redact, and whether and when (nanoTime) a replaced token goes. */
    private record Snapshot(FileVersion version, Optional<String> token, List<TokenRedactor> redactors, boolean forgets,
            long forgetAt) {
    }
}
