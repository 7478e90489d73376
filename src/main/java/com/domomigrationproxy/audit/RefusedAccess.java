package com.domomigrationproxy.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.ledger.LedgerConfig;

import io.quarkus.runtime.BlockingOperationControl;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;

/**
 * Refused requests to the audit trail (401, 403, and the 404, 405, 406, 413 and 415 that no resource served)
 * on the record, without letting whoever sends them lengthen the chain at will. In each window
 * ({@code proxy.audit.refused-window}, one minute) the first {@code proxy.audit.refused-recorded}
 * refusals of this replica that identified a principal (403), and as many that identified nobody
 * (the others), become an {@code AUDIT_ACCESS} event each
 * ({@code phase: refused}): separate allowances, so that anonymous callers cannot crowd out the
 * record of known principals. The rest are counted by source (the principal, or for a caller
 * nobody identified its address), and at the window's end each source gets one event ({@code
 * phase: refused-summary}) with how many, which statuses and when, after the window's own events.
 * Written by hand: a rate limiter drops what exceeds its limit, and here the excess must be counted.
 */
@ApplicationScoped
public class RefusedAccess {

    /** Sources summarised one event each per window; any beyond share one event. */
    static final int SUMMARISED_SOURCES = 100;
    /** How long the end of a window waits for the window's own events still being written. */
    private static final long PENDING_WAIT_MILLIS = 5_000;
    private static final Logger ACCESS = Logger.getLogger("audit.access");

    private final Ledger ledger;
    private final Vertx vertx;
    private final int recordedPerWindow;

    // Guarded by this: refusals are rare and each takes the lock briefly, never while writing.
    private int recordedIdentified;
    private int recordedUnidentified;
    /** Events handed to a worker thread and not yet written (or failed). */
    private int pending;
    private boolean closed;
    private Map<Source, Tally> tallies = new LinkedHashMap<>();
    private Tally otherSources;

    @Inject
    RefusedAccess(Ledger ledger, Vertx vertx, LedgerConfig config) {
        this.ledger = ledger;
        this.vertx = vertx;
        this.recordedPerWindow = Math.max(0, config.refusedRecorded());
    }

    /**
     * Records one refused request: its own event while the window allows, else counted for the
     * window's summary, under its principal ({@code subject}) or, when nobody was identified (null),
     * the address it came from.
     */
    void record(String subject, String clientAddress, Map<String, Object> members) {
        int status = (Integer) members.get("status");
        Source source = new Source(subject, subject == null ? String.valueOf(clientAddress) : null);
        Instant at = Instant.now();
        boolean async = !BlockingOperationControl.isBlockingAllowed();
        synchronized (this) {
            if (closed) {
                // Stopping: the last summaries are written; the log line and the metric keep this one.
                return;
            }
            int recorded = subject == null ? recordedUnidentified : recordedIdentified;
            if (recorded >= recordedPerWindow) {
                count(source, status, at, 1);
                return;
            }
            if (subject == null) {
                recordedUnidentified++;
            } else {
                recordedIdentified++;
            }
            if (async) {
                pending++;
            }
        }
        if (!async) {
            append(source, members, at);
            return;
        }
        // Refused before the resource's worker thread was reached: the chain is never written from
        // the event loop, and nothing waits for this answer, which shows nothing.
        vertx.executeBlocking(() -> {
            try {
                append(source, members, at);
            } finally {
                synchronized (this) {
                    pending--;
                    notifyAll();
                }
            }
            return null;
        }, false);
    }

    private void append(Source source, Map<String, Object> members, Instant at) {
        try {
            ledger.append(AuditAccessRecorder.EVENT, source.principal(), members);
        } catch (RuntimeException e) {
            ACCESS.errorf("Refused audit access not recorded alone (%s), counted for the window's summary: %s",
                    source, e.getMessage());
            synchronized (this) {
                count(source, (Integer) members.get("status"), at, 1);
            }
        }
    }

    private void count(Source source, int status, Instant at, long refused) {
        Tally tally = tallies.get(source);
        if (tally == null && tallies.size() >= SUMMARISED_SOURCES) {
            if (otherSources == null) {
                otherSources = new Tally(null);
            }
            otherSources.add(status, at, refused);
            otherSources.from(source);
            return;
        }
        if (tally == null) {
            tally = new Tally(source);
            tallies.put(source, tally);
        }
        tally.add(status, at, refused);
    }

    /** Puts back a summary that could not be written, for the next window's; the same bound on sources. */
    private void keep(Tally unwritten) {
        if (unwritten.source != null) {
            Tally into = tallies.get(unwritten.source);
            if (into != null) {
                into.merge(unwritten);
                return;
            }
            if (tallies.size() < SUMMARISED_SOURCES) {
                tallies.put(unwritten.source, unwritten);
                return;
            }
        }
        if (otherSources == null) {
            otherSources = new Tally(null);
        }
        otherSources.merge(unwritten);
        if (unwritten.source != null) {
            otherSources.from(unwritten.source);
        }
    }

    /**
     * Ends the window now: once the window's own events are written (waiting a few seconds at
     * most), one summary event per source counted in it, and fresh allowances. Tests end one too.
     */
    @Scheduled(identity = "audit-refused-summary", every = "${proxy.audit.refused-window:1m}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void endWindow() {
        List<Tally> ended;
        synchronized (this) {
            long deadline = System.currentTimeMillis() + PENDING_WAIT_MILLIS;
            for (long left = PENDING_WAIT_MILLIS; pending > 0 && left > 0; left = deadline
                    - System.currentTimeMillis()) {
                try {
                    wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            ended = new ArrayList<>(tallies.values());
            if (otherSources != null) {
                ended.add(otherSources);
            }
            tallies = new LinkedHashMap<>();
            otherSources = null;
            recordedIdentified = 0;
            recordedUnidentified = 0;
        }
        for (int i = 0; i < ended.size(); i++) {
            Tally tally = ended.get(i);
            try {
                ledger.append(AuditAccessRecorder.EVENT, tally.source == null ? null : tally.source.principal(),
                        tally.members());
            } catch (RuntimeException e) {
                // The store is failing: the rest wait for the next window too, rather than each for a timeout.
                List<Tally> unwritten = ended.subList(i, ended.size());
                ACCESS.errorf("%d summaries of refused audit accesses not recorded, kept for the next window: %s",
                        unwritten.size(), e.getMessage());
                synchronized (this) {
                    unwritten.forEach(this::keep);
                }
                return;
            }
        }
    }

    void onShutdown(@Observes ShutdownEvent event) {
        synchronized (this) {
            closed = true;
        }
        endWindow();
        synchronized (this) {
            long lost = tallies.values().stream().mapToLong(tally -> tally.refused).sum()
                    + (otherSources == null ? 0 : otherSources.refused);
            if (lost > 0) {
                ACCESS.errorf("Stopping with %d refused audit accesses counted but not recorded (the store failed);"
                        + " each is in the log above", lost);
            }
        }
    }

    /** What one source (or, with no source, every source beyond those) had refused beyond the window's allowance. */
    private static final class Tally {
        /** Distinct sources counted exactly up to this many in the shared summary, then "at least". */
        private static final int MAX_COUNTED_SOURCES = 10_000;

        final Source source;
        final Map<Integer, Long> statuses = new TreeMap<>();
        final Set<Source> sources = new HashSet<>();
        long refused;
        Instant firstAt;
        Instant lastAt;

        Tally(Source source) {
            this.source = source;
        }

        void add(int status, Instant at, long count) {
            statuses.merge(status, count, Long::sum);
            refused += count;
            firstAt = firstAt == null || at.isBefore(firstAt) ? at : firstAt;
            lastAt = lastAt == null || at.isAfter(lastAt) ? at : lastAt;
        }

        void from(Source other) {
            if (sources.size() < MAX_COUNTED_SOURCES) {
                sources.add(other);
            }
        }

        void merge(Tally other) {
            other.statuses.forEach((status, count) -> statuses.merge(status, count, Long::sum));
            refused += other.refused;
            firstAt = firstAt == null || other.firstAt.isBefore(firstAt) ? other.firstAt : firstAt;
            lastAt = lastAt == null || other.lastAt.isAfter(lastAt) ? other.lastAt : lastAt;
            other.sources.forEach(this::from);
        }

        Map<String, Object> members() {
            Map<String, Object> members = new LinkedHashMap<>();
            members.put("phase", "refused-summary");
            if (source == null) {
                // The sources beyond those summarised one by one: how many requests, from how many sources.
                members.put("sources", sources.size());
                if (sources.size() == MAX_COUNTED_SOURCES) {
                    members.put("sourcesAtLeast", true);
                }
            } else if (source.principal() != null) {
                members.put("principal", source.principal());
            } else {
                members.put("clientAddress", source.clientAddress());
            }
            members.put("refused", refused);
            Map<String, Long> byStatus = new TreeMap<>();
            statuses.forEach((status, count) -> byStatus.put(Integer.toString(status), count));
            members.put("statuses", byStatus);
            members.put("firstAt", firstAt.toString());
            members.put("lastAt", lastAt.toString());
            return members;
        }
    }

    /** Whom a summary counts a refusal under: the principal, or the address of a caller nobody identified. */
    private record Source(String principal, String clientAddress) {
    }
}
