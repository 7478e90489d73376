package com.domomigrationproxy.siem;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.jboss.logging.Logger;

import com.domomigrationproxy.ledger.ChainEvent;
import com.domomigrationproxy.ledger.EventQuery;
import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.ledger.LedgerConfig;
import com.domomigrationproxy.ledger.LedgerEvent;
import com.domomigrationproxy.ledger.RowPage;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * Delivers every event of the hash chain, in sequence order and at least once, to the syslog
 * receiver of PROXY_AUDIT_SYSLOG_URL. It listens to the ledger and never stands in its way: it
 * reads the chain from its cursor on a thread of its own, woken when an event is appended (and
 * every poll interval, for events other replicas append), so a slow or absent receiver only grows
 * the backlog.
 *
 * <p>At least once: the cursor in PostgreSQL moves past a batch only once it was written and the
 * connection was still open {@code confirmAfter} later; whatever was written on a connection that
 * broke before is sent again from the cursor. After a restart, delivery resumes from the cursor. A
 * SIEM drops duplicates by seq and hash. Across replicas, a lease on the cursor row lets one
 * deliver at a time; a replica whose deliveries fail lets it run out for another to take.
 */
@ApplicationScoped
public class AuditStream {

    private static final Logger LOG = Logger.getLogger(AuditStream.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    /**
     * What a connection that breaks may have carried unread: the sender's socket buffer (Linux
     * grows it to 4 MiB) and the receiver's (up to 6 MiB). Batches first confirmed within this many
     * bytes of the newest are sent again, once, on the next connection, so a receiver that dies
     * with them unread gets them still.
     */
    static final long RESEND_WINDOW_BYTES = 16L << 20;

    private final StreamConfig.Stream settings;
    private final StreamConfig.Syslog syslog;
    private final Ledger ledger;
    private final DataSource dataSource;
    private final Vertx vertx;
    private final ObjectMapper json;
    private final String origin;
    private final MeterRegistry registry;
    private final Semaphore wakeups = new Semaphore(0);
    /** Counted down when the service stops; a new one for every start (the tests stop and start the stream). */
    private volatile CountDownLatch stopped = new CountDownLatch(1);
    private final Deque<Written> unconfirmed = new ArrayDeque<>();
    /** Batches first confirmed on this connection, newest last, within RESEND_WINDOW_BYTES of the newest. */
    private final Deque<Written> recent = new ArrayDeque<>();
    private long recentBytes;
    /**
     * Where delivery starts again after a connection broke (before its oldest recent batch), until
     * what is sent again from there has been confirmed up to {@link #confirmed}; it outlasts
     * connections that fail before that, and is kept with the cursor for a replica that takes over.
     */
    private StreamCursor.Position rewindTo;
    /** {@link #rewindTo} is not kept with the cursor yet (the write failed): tried again while this replica holds it. */
    private boolean rewindUnkept;
    /** Where this replica moved the cursor last: events sent again never move it back. */
    private StreamCursor.Position confirmed;

    private StreamCursor cursor;
    private SyslogMessages messages;
    private SyslogConnection connection;
    private Thread sender;
    private volatile boolean running;
    private StreamCursor.Position sent;
    private Instant leaseRenewAt = Instant.MIN;
    private Instant leaseUntil = Instant.MIN;
    private Meter.MeterProvider<Counter> failures;
    private Counter delivered;

    /**
     * Whether this round ended in a good state (a delivery confirmed, everything delivered, or
     * another replica delivering): only that ends a run of failures.
     */
    private boolean settled;
    private volatile boolean holding;
    private volatile StreamCursor.Backlog backlog = new StreamCursor.Backlog(0, null, null);
    private volatile Instant backlogReadAt;
    private volatile Instant startedAt;
    private volatile String lastFailure;
    private volatile Instant lastFailureAt;
    private Failure lastFailureKind;
    /**
     * Since the last failure, the lease was renewed once on a new connection, before anything was
     * confirmed on it: once, so that a receiver reached through something that takes connections
     * and drops them (a load balancer in front of an unreachable one) cannot keep the stream here.
     */
    private boolean renewedWhileRecovering;

    /**
     * A batch written to the receiver, the events after {@code from} up to {@code last}, waiting for
     * the connection to outlive it.
     */
    private record Written(StreamCursor.Position from, StreamCursor.Position last, long bytes, Instant at) {
    }

    /** What health reports. */
    record Status(boolean enabled, boolean delivering, StreamCursor.Backlog backlog, Instant backlogReadAt,
            String lastFailure, Instant lastFailureAt, Instant startedAt) {
    }

    /** Why a delivery attempt failed: the tag of audit_stream_failures_total. */
    enum Failure {
        CONNECT, WRITE, DISCONNECTED, DATABASE;

        String tag() {
            return name().toLowerCase();
        }
    }

    @Inject
    AuditStream(StreamConfig config, Ledger ledger, DataSource dataSource, Vertx vertx, ObjectMapper json,
            LedgerConfig ledgerConfig, MeterRegistry registry) {
        this.settings = config.stream();
        this.syslog = config.syslog();
        this.ledger = ledger;
        this.dataSource = dataSource;
        this.vertx = vertx;
        this.json = json;
        this.origin = ledgerConfig.origin();
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event, StreamConfig config) {
        if (running || sender != null && sender.isAlive()) {
            throw new IllegalStateException("The audit stream is running already");
        }
        List<String> problems = StreamStartupCheck.problems(config);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        if (syslog.url().isEmpty()) {
            LOG.info("The audit stream to a SIEM is off (no PROXY_AUDIT_SYSLOG_URL)");
            return;
        }
        String hostname = hostname();
        connection = SyslogConnection.to(vertx, syslog.url().get(), syslog.caFile(), syslog.timeout());
        cursor = new StreamCursor(dataSource, hostname + "/" + UUID.randomUUID());
        messages = new SyslogMessages(origin, hostname, syslog.appName(), json);
        registerMetrics();
        stopped = new CountDownLatch(1);
        holding = false;
        unconfirmed.clear();
        forgetRewind();
        confirmed = null;
        sent = null;
        leaseRenewAt = Instant.MIN;
        leaseUntil = Instant.MIN;
        lastFailure = null;
        lastFailureKind = null;
        lastFailureAt = null;
        renewedWhileRecovering = false;
        backlogReadAt = null;
        running = true;
        startedAt = Instant.now();
        sender = new Thread(this::run, "audit-stream");
        sender.setDaemon(true);
        sender.start();
        LOG.infof("Audit stream to %s://%s:%d started", syslog.url().get().getScheme(), syslog.url().get().getHost(),
                syslog.url().get().getPort());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (!running) {
            return;
        }
        running = false;
        stopped.countDown();
        wakeups.release();
        try {
            sender.join(2_000);
            if (sender.isAlive()) {
                connection.closeSocket(); // a write the receiver does not read ends now
                sender.join(1_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connection.close();
        if (!sender.isAlive() && holding) {
            // What this connection carried may still wait in the socket buffers, which go with the pod:
            // whichever replica delivers next sends it again (the SIEM drops what it has by seq); so does
            // a point kept from an earlier break whose write failed.
            rememberRewind();
            keepRewind();
        }
        try {
            cursor.release();
        } catch (SQLException e) {
            LOG.debugf("Audit stream lease not released (it runs out by itself): %s", e.getMessage());
        }
    }

    /** Wakes the sender once an appended event is committed; never waits. */
    void chainAppended(@Observes(during = TransactionPhase.AFTER_SUCCESS) LedgerEvent.ChainAppended event) {
        if (running && wakeups.availablePermits() == 0) {
            wakeups.release();
        }
    }

    Status status() {
        return new Status(running, holding, backlog, backlogReadAt, lastFailure, lastFailureAt, startedAt);
    }

    Duration maxLag() {
        return settings.maxLag();
    }

    /**
     * How old a backlog reading may be before health stops trusting it: the allowed lag, or, when
     * longer, the most a working sender takes between two readings (a retry's wait, its connect
     * and write deadlines, the wait for a delivery to be confirmed, a poll).
     */
    Duration staleAfter() {
        Duration round = settings.retryMax().plus(syslog.timeout().multipliedBy(2)).plus(settings.confirmAfter())
                .plus(settings.pollInterval());
        return round.compareTo(settings.maxLag()) > 0 ? round : settings.maxLag();
    }

    private void run() {
        Duration retry = null;
        while (running) {
            try {
                settled = false;
                Duration pause = step();
                // Only delivery ends a run of failures: a receiver that takes a connection and drops it
                // again before anything is confirmed keeps the retries backing off.
                if (settled) {
                    retry = null;
                }
                waitFor(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                Failure kind = e instanceof StreamFailure failure ? failure.kind
                        : e instanceof SQLException || e.getCause() instanceof SQLException ? Failure.DATABASE : Failure.WRITE;
                failed(kind, e);
                retry = retry == null ? FIRST_RETRY : min(retry.multipliedBy(2), settings.retryMax());
                try {
                    // New events do not cut a retry short: only stopping does.
                    stopped.await(retry.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** One round: lease, check the chain, confirm, read, write. Returns how long to wait before the next. */
    private Duration step() throws Exception {
        refreshBacklog();
        if (!leased()) {
            settled = true;
            return settings.pollInterval();
        }
        keepRewind();
        if (!unconfirmed.isEmpty() && !connection.open()) {
            throw unconfirmedLost();
        }
        // The chain first: after a failover, what was sent may be gone, and must not be confirmed.
        followTheChain();
        confirm();
        if (!holding) {
            settled = true;
            return settings.pollInterval(); // another replica took the stream over while confirming
        }
        // Connected before reading: while the receiver is down, retries cost a connection attempt, not a read.
        if (!connection.open()) {
            if (!unconfirmed.isEmpty()) {
                // Closed since the check above: what the old connection carried must not be confirmed on a new one.
                throw unconfirmedLost();
            }
            rememberRewind();
            sent = rewound(sent);
            try {
                connection.connect();
            } catch (Exception e) {
                throw new StreamFailure(Failure.CONNECT, e.getMessage(), e);
            }
        }
        RowPage<ChainEvent> page = ledger.events(EventQuery.ALL, sent.seq(), settings.batchSize());
        List<ChainEvent> batch = page.items();
        if (batch.isEmpty()) {
            settled |= unconfirmed.isEmpty();
            return unconfirmed.isEmpty() ? settings.pollInterval()
                    : min(settings.pollInterval(), Duration.between(Instant.now(),
                            unconfirmed.peekFirst().at().plus(settings.confirmAfter())).plusMillis(10));
        }
        byte[] frames = messages.frames(batch);
        try {
            connection.write(frames);
        } catch (Exception e) {
            throw new StreamFailure(Failure.WRITE, e.getMessage(), e);
        }
        ChainEvent last = batch.get(batch.size() - 1);
        StreamCursor.Position from = sent;
        sent = new StreamCursor.Position(last.seq(), last.hash());
        unconfirmed.addLast(new Written(from, sent, frames.length, Instant.now()));
        return page.more() ? Duration.ZERO : settings.confirmAfter();
    }

    private StreamFailure unconfirmedLost() {
        return new StreamFailure(Failure.DISCONNECTED, "the receiver closed the connection before the last "
                + unconfirmed.size() + " batch(es) were confirmed; they are sent again");
    }

    /**
     * What this replica sent last must still be in the chain. After a failover to a standby that had
     * not received the chain's newest events, new events take their seqs: reading on after the old
     * position would skip them for good. Then delivery goes back to the database's cursor (the
     * failover took it back with the chain), or to the start if the chain lacks that too; the SIEM
     * drops what it already has by seq and hash, and keeps both versions of a seq that changed.
     */
    private void followTheChain() throws SQLException {
        if (cursor.inChain(sent)) {
            return;
        }
        StreamCursor.Position stored = cursor.stored();
        StreamCursor.Position from = stored.seq() < sent.seq() && cursor.inChain(stored) ? stored : StreamCursor.START;
        LOG.errorf("The chain no longer holds seq %d as it was delivered to the SIEM: the database lost its newest"
                + " events (a failover?). Delivering again from seq %d", sent.seq(), from.seq() + 1);
        unconfirmed.clear();
        forgetRewind();
        sent = from;
        confirmed = from;
    }

    /**
     * Takes or renews the lease when due; false (and nothing held) when another replica delivers.
     * While deliveries fail, this replica does not renew its lease (but once, connected again): it
     * delivers on the time it has left, then takes its lease back only if no other replica took it
     * within two poll intervals of its end. So a replica that cannot reach the receiver (its node's network, a policy) hands
     * the stream to one that can; a failure of its own never makes it wait for another's lease.
     */
    private boolean leased() throws SQLException {
        Instant now = Instant.now();
        if (holding && now.isBefore(leaseRenewAt)) {
            return true;
        }
        // Connected again, it may reach the receiver: it renews once, though nothing is confirmed yet.
        // Else a lease that ran out while it was down made it let go, and close a connection that worked.
        boolean failing = lastFailure != null && (!connection.open() || renewedWhileRecovering);
        if (failing && holding && now.isBefore(leaseUntil)) {
            if (sent == null) {
                sent = rewound(cursor.stored()); // the failure forgot what was sent: again from the cursor
            }
            return true;
        }
        // Failing, it lets replicas that can deliver (they look every poll interval) take the stream first.
        Optional<StreamCursor.Lease> lease = cursor.lease(settings.lease(),
                failing ? settings.pollInterval().multipliedBy(2) : Duration.ZERO);
        if (lease.isEmpty()) {
            if (holding && failing) {
                LOG.info("Audit stream: this replica's lease ran out while its deliveries fail; another replica may"
                        + " take the stream over");
            } else if (holding) {
                LOG.warn("Another replica took over the audit stream");
            } else if (lastFailureKind == Failure.DATABASE) {
                // The database answered the lease: this replica's interruption is over, though another
                // replica delivers. Kept, the failure would show in its health, and never get its INFO.
                LOG.info("Audit stream: the database answers again; another replica delivers");
                lastFailure = null;
                lastFailureKind = null;
            }
            reset();
            holding = false;
            return false;
        }
        if (lastFailure != null && connection.open()) {
            renewedWhileRecovering = true;
        }
        if (holding && !lease.get().kept()) {
            // This replica stalled past its lease (a long pause, a write that hung), and another held the
            // stream meanwhile: it goes on from where that one left the cursor, and what it kept to send
            // again, not from what it had sent itself (which would move the cursor back).
            LOG.warn("Audit stream: this replica's lease ran out while it stalled and another replica held the stream;"
                    + " going on from where that one left it");
            unconfirmed.clear();
            holding = false;
        }
        StreamCursor.Position position = lease.get().cursor();
        if (!holding && !position.equals(confirmed)) {
            // Another replica delivered meanwhile: what this one would send again, it has sent on.
            forgetRewind();
            confirmed = position;
        }
        if (!holding) {
            // And what a broken connection of the replica that held the stream last may have left unread.
            rewindTo = earlier(rewindTo, lease.get().resendFrom());
        }
        if (!holding || sent == null) {
            sent = rewound(position);
            unconfirmed.clear();
        }
        holding = true;
        leased(now);
        return true;
    }

    /** The lease was taken or renewed at or after {@code at}: when to renew it, and how long it surely runs. */
    private void leased(Instant at) {
        leaseRenewAt = at.plus(settings.lease().dividedBy(3));
        leaseUntil = at.plus(settings.lease());
    }

    /**
     * Moves the cursor past the batches the connection outlived by confirmAfter. Batches sent again
     * after a break renew the lease at the cursor, which they never move back, and end the run of
     * failures as new ones do.
     */
    private void confirm() throws SQLException, StreamFailure {
        Instant outlived = Instant.now().minus(settings.confirmAfter());
        List<Written> outlivedBatches = new ArrayList<>();
        while (!unconfirmed.isEmpty() && !unconfirmed.peekFirst().at().isAfter(outlived)) {
            outlivedBatches.add(unconfirmed.pollFirst());
        }
        if (outlivedBatches.isEmpty()) {
            return;
        }
        if (!connection.open()) {
            throw new StreamFailure(Failure.DISCONNECTED, "the connection closed before delivery was confirmed");
        }
        long events = 0;
        for (Written batch : outlivedBatches) {
            long highWater = confirmed.seq();
            // Only events past the cursor count: a batch sent again after a break has some before it.
            events += Math.max(0, batch.last().seq() - Math.max(batch.from().seq(), highWater));
            if (batch.last().seq() > highWater) {
                remember(batch); // sent again only once: a resend is not in the window again
            }
            if (rewindTo != null) {
                rewindTo = batch.last().seq() >= highWater ? null : batch.last();
            }
        }
        Written last = outlivedBatches.get(outlivedBatches.size() - 1);
        StreamCursor.Position target = last.last().seq() > confirmed.seq() ? last.last() : confirmed;
        Instant advancing = Instant.now();
        // Kept with every move of the cursor: where the next holder starts again covers this connection's
        // recent window too. A replica killed outright, or stopped while a write the receiver does not read
        // held its sender (no resend point was kept then), takes its socket buffers along (review).
        StreamCursor.Position resendFrom = earlier(rewindTo, recent.isEmpty() ? null : recent.peekFirst().from());
        if (!cursor.advance(target, resendFrom, settings.lease())) {
            LOG.warn("Another replica took over the audit stream");
            reset();
            holding = false;
            return;
        }
        leased(advancing);
        rewindUnkept = false; // the cursor's row has it now, as far as it still goes
        confirmed = target;
        settled = true;
        delivered.increment(events);
        if (lastFailure != null) {
            LOG.infof("Audit stream delivering again, up to seq %d", last.last().seq());
            lastFailure = null;
            lastFailureKind = null;
            renewedWhileRecovering = false;
        }
    }

    /**
     * The oldest undelivered event's age as last read; while the reading is stale (a sender stuck on a
     * lock or a database call reads nothing), at least the time since it was read, so that the alert on
     * this gauge fires as the health group's stale rule does, not on a frozen zero.
     */
    private double backlogAgeSeconds() {
        Instant now = Instant.now();
        Instant oldest = backlog.oldestUndelivered();
        long age = oldest == null ? 0 : Math.max(0, Duration.between(oldest, now).toMillis());
        Instant readAt = backlogReadAt != null ? backlogReadAt : startedAt;
        if (readAt != null && Duration.between(readAt, now).compareTo(staleAfter()) > 0) {
            age = Math.max(age, Duration.between(readAt, now).toMillis());
        }
        return age / 1000.0;
    }

    private void refreshBacklog() {
        try {
            backlog = cursor.backlog();
            backlogReadAt = Instant.now();
        } catch (SQLException e) {
            // Health reports DOWN once the last reading is older than staleAfter().
            LOG.debugf("Audit stream backlog not read: %s", e.getMessage());
        }
    }

    private void failed(Failure kind, Exception e) {
        failures.withTags("reason", kind.tag()).increment();
        String message = kind.tag() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        if (lastFailure == null) {
            LOG.warnf("Audit stream to the SIEM interrupted (%s); retrying, nothing is lost", message);
        } else {
            LOG.debugf("Audit stream still interrupted: %s", message);
        }
        // The health check shows it to whoever reads the management port: the kind of failure, not its
        // message, which may name hosts, users or the SIEM's certificate subjects (the log has it).
        Throwable named = e instanceof StreamFailure && e.getCause() != null ? e.getCause() : e;
        lastFailure = kind.tag() + ": " + named.getClass().getSimpleName();
        lastFailureKind = kind;
        lastFailureAt = Instant.now();
        reset();
    }

    /** Forgets what was written but not confirmed: it is sent again from the cursor (and the recent window). */
    private void reset() {
        connection.closeSocket();
        unconfirmed.clear();
        rememberRewind();
        sent = null;
        leaseRenewAt = Instant.MIN;
    }

    /** A batch first confirmed joins the recent window; the oldest leave it once the newer ones fill it. */
    private void remember(Written batch) {
        recent.addLast(batch);
        recentBytes += batch.bytes();
        while (recent.size() > 1 && recentBytes - recent.peekFirst().bytes() >= RESEND_WINDOW_BYTES) {
            recentBytes -= recent.pollFirst().bytes();
        }
    }

    /**
     * A connection ended: what it carried in the recent window may not have been read (TCP has no
     * acknowledgement from the receiving program, and a receiver that dies loses what waited in its
     * buffers), so delivery starts again before it. The SIEM drops what it has by seq.
     */
    private void rememberRewind() {
        if (!recent.isEmpty()) {
            rewindTo = earlier(rewindTo, recent.peekFirst().from());
            rewindUnkept = true;
            keepRewind();
        }
        recent.clear();
        recentBytes = 0;
    }

    /**
     * Keeps {@link #rewindTo} with the cursor: another replica may take the stream over before this
     * one connects again (its receiver down longer than the lease), and must send them again. A
     * write that fails is tried again at the next round this replica holds the stream.
     */
    private void keepRewind() {
        if (!rewindUnkept || rewindTo == null) {
            return;
        }
        try {
            rewindUnkept = !cursor.resendFrom(rewindTo);
        } catch (SQLException e) {
            LOG.debugf("Where the audit stream starts again is not kept for other replicas yet: %s", e.getMessage());
        }
    }

    private static StreamCursor.Position earlier(StreamCursor.Position one, StreamCursor.Position other) {
        return one == null || other != null && other.seq() < one.seq() ? other : one;
    }

    private void forgetRewind() {
        recent.clear();
        recentBytes = 0;
        rewindTo = null;
        rewindUnkept = false;
    }

    /** The earlier of {@code position} and where delivery must start again after a break. */
    private StreamCursor.Position rewound(StreamCursor.Position position) {
        if (position == null || rewindTo == null || rewindTo.seq() >= position.seq()) {
            return position;
        }
        LOG.infof("Audit stream: sending again from seq %d the events a broken connection may have left unread",
                rewindTo.seq() + 1);
        return rewindTo;
    }

    private void waitFor(Duration pause) throws InterruptedException {
        if (pause.isNegative() || pause.isZero() || !running) {
            return;
        }
        if (wakeups.tryAcquire(pause.toMillis(), TimeUnit.MILLISECONDS)) {
            wakeups.drainPermits();
        }
    }

    private void registerMetrics() {
        Gauge.builder("audit.stream.backlog.events", this, stream -> stream.backlog.events())
                .description("Chain events not yet delivered to the syslog receiver").register(registry);
        Gauge.builder("audit.stream.backlog.age", this, AuditStream::backlogAgeSeconds).baseUnit("seconds")
                .description("Age of the oldest chain event not yet delivered").register(registry);
        delivered = Counter.builder("audit.stream.delivered").description("Chain events delivered to the syslog receiver")
                .register(registry);
        failures = Counter.builder("audit.stream.failures")
                .description("Failed delivery attempts to the syslog receiver, by reason").withRegistry(registry);
        for (Failure kind : Failure.values()) {
            failures.withTags("reason", kind.tag());
        }
    }

    private static String hostname() {
        String pod = System.getenv("HOSTNAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "-";
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** A failed step, with the reason it is counted under. */
    private static final class StreamFailure extends Exception {

        private final Failure kind;

        StreamFailure(Failure kind, String message) {
            this(kind, message, null);
        }

        StreamFailure(Failure kind, String message, Throwable cause) {
            super(message, cause);
            this.kind = kind;
        }
    }
}
