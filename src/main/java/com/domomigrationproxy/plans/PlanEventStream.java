package com.domomigrationproxy.plans;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import javax.sql.DataSource;

import org.jboss.logging.Logger;

import com.domomigrationproxy.ledger.Sql;
import com.domomigrationproxy.problem.BusyGate;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.http.RequestEnd;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.smallrye.mutiny.Multi;

/**
 * GET …/events: the plan's events from {@code plan_event} after a given seq, then new ones as
 * they come, whichever replica wrote them (the table is polled; two small threads serve every
 * open stream). Each event's id is its seq, so a client resumes with Last-Event-ID; an event is sent
 * only once no transaction can still commit one with a lower seq ({@link EventHorizon}), so events
 * go out in seq order and a resumed stream misses none. The stream
 * ends once the plan is done (finished, cancelled, rejected or expired), no item of it is running
 * (nor, of a cancelled plan, waits to be skipped or for its operation's reconciliation) and every
 * event was sent, or once its caller's credentials no longer stand; a comment line every 15 s keeps
 * idle connections open through proxies.
 */
@ApplicationScoped
public class PlanEventStream {

    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    private static final int BATCH = 500;
    /** How long a page waits for the events being written as it asks to settle, before it takes the last seq known final. */
    private static final Duration SETTLE_WAIT = Duration.ofSeconds(2);
    /** How soon a client whose stream ended because the service is stopping comes back (on another replica). */
    private static final Duration RECONNECT_AFTER_SHUTDOWN = Duration.ofSeconds(1);
    private static final Logger LOG = Logger.getLogger(PlanEventStream.class);

    /**
     * Streams open at once on a replica, and per principal ({@link PlanConfig#eventStreams()}): each
     * polls the database twice a second and keeps some 13 KB of heap for as long as its plan runs,
     * and one reader's 2,700 streams exhausted the chart's heap (security review). Past either, 503
     * busy at once.
     */
    private final BusyGate open;
    private final int perPrincipal;
    private final Map<String, Integer> openBy = new ConcurrentHashMap<>();
    /** Each open stream's "end at the next poll", set for all of them when the service begins to stop. */
    private final Set<AtomicBoolean> toEnd = ConcurrentHashMap.newKeySet();
    /** Set when the service begins to stop: a stream that starts later ends at once. */
    private volatile boolean stopping;

    private final DataSource dataSource;
    private final ScheduledExecutorService pollers;
    /**
     * How far the events have settled, shared by every open stream of this replica and moved at
     * most twice a poll interval however many are open: reading {@code pg_locks} briefly takes
     * every partition of PostgreSQL's lock manager. Guarded by {@code this}.
     */
    private final EventHorizon horizon = new EventHorizon(0);
    private long settled;
    private long checkedAt;
    private boolean checked;

    @Inject
    PlanEventStream(DataSource dataSource, PlanConfig config) {
        this.dataSource = dataSource;
        int streams = Math.max(1, config.eventStreams());
        this.open = new BusyGate(streams, Duration.ZERO, streams + " plan event streams are already open on this replica",
                30);
        this.perPrincipal = Math.max(1, config.eventStreamsPerPrincipal());
        AtomicInteger threads = new AtomicInteger();
        this.pollers = Executors.newScheduledThreadPool(2, task -> {
            Thread thread = new Thread(task, "plan-events-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    @PreDestroy
    void stop() {
        pollers.shutdownNow();
    }

    /**
     * The service begins to stop: every open stream ends at its next poll, and its client resumes on
     * another replica with Last-Event-ID (this one is unready and refuses new requests). A stream kept
     * open held the pod's stop for the whole shutdown timeout, 130 s in the chart (deploy review). A
     * stream that starts afterwards (its request let through just before) ends at its first poll.
     * Fired because quarkus.shutdown.delay-enabled is set.
     */
    void onShutdownStarting(@Observes ShutdownDelayInitiatedEvent event) {
        stopping = true;
        endOpenStreams();
    }

    /** Ends every stream open now at its next poll. */
    void endOpenStreams() {
        toEnd.forEach(flag -> flag.set(true));
    }

    /**
     * The plan's events after {@code afterSeq}, then new ones until the plan is done, or until the
     * caller's credentials no longer stand ({@code credentialsStand}, asked at every poll: a key
     * removed or expired stops receiving within a poll, and its reconnection is refused); 503 busy
     * when {@code principal} or this replica already has as many streams open as it may.
     */
    public Multi<OutboundSseEvent> stream(UUID planId, long afterSeq, Sse sse, String principal,
            BooleanSupplier credentialsStand) {
        if (RequestEnd.headersOnly()) {
            // HEAD: the stream's headers and nothing more; a stream that sends no body must hold no turn.
            return Multi.createFrom().empty();
        }
        Runnable leave = open.enter();
        if (openBy.merge(principal, 1, Integer::sum) > perPrincipal) {
            closed(principal, leave);
            throw ProblemException.busy(principal + " already has " + perPrincipal
                    + " plan event streams open on this replica; close one", 30);
        }
        AtomicBoolean ended = new AtomicBoolean();
        Runnable close = () -> {
            if (ended.compareAndSet(false, true)) {
                closed(principal, leave);
            }
        };
        // Also when the stream never starts: its client went away before it was subscribed.
        RequestEnd.then(close);
        return Multi.createFrom().emitter(emitter -> {
            AtomicLong last = new AtomicLong(afterSeq);
            AtomicLong quietSince = new AtomicLong(System.nanoTime());
            AtomicBoolean over = new AtomicBoolean();
            AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
            AtomicBoolean ending = new AtomicBoolean();
            toEnd.add(ending);
            if (stopping) { // added first, then checked: no stream escapes both
                ending.set(true);
            }
            Runnable stop = () -> {
                over.set(true);
                toEnd.remove(ending);
                ScheduledFuture<?> scheduled = task.get();
                if (scheduled != null) {
                    scheduled.cancel(false);
                }
            };
            task.set(pollers.scheduleWithFixedDelay(() -> {
                if (over.get() || emitter.isCancelled()) {
                    stop.run();
                    return;
                }
                if (ending.get()) {
                    LOG.debugf("Event stream of plan %s for %s ended: the service is stopping", planId, principal);
                    stop.run();
                    emitter.emit(sse.newEventBuilder().comment("the service is stopping: reconnect")
                            .reconnectDelay(RECONNECT_AFTER_SHUTDOWN.toMillis()).build());
                    emitter.complete();
                    return;
                }
                if (!credentialsStand.getAsBoolean()) {
                    LOG.infof("Event stream of plan %s for %s ended: its credentials no longer stand", planId,
                            principal);
                    stop.run();
                    emitter.complete();
                    return;
                }
                try (Connection connection = dataSource.getConnection()) {
                    List<PlanEvents.Stored> events = PlanEvents.after(connection, planId, last.get(),
                            settled(connection), BATCH);
                    for (PlanEvents.Stored event : events) {
                        // The data is JSON text already; with a media type the stream would repeat it as a
                        // non-standard content-type line before every event.
                        emitter.emit(sse.newEventBuilder().id(Long.toString(event.seq())).name(event.kind())
                                .data(event.data()).build());
                        last.set(event.seq());
                    }
                    if (!events.isEmpty()) {
                        quietSince.set(System.nanoTime());
                    } else if (done(connection, planId, last.get())) {
                        stop.run();
                        emitter.complete();
                    } else if (System.nanoTime() - quietSince.get() > KEEP_ALIVE.toNanos()) {
                        emitter.emit(sse.newEventBuilder().comment("keep-alive").build());
                        quietSince.set(System.nanoTime());
                    }
                } catch (SQLException | RuntimeException e) {
                    LOG.warnf("Event stream of plan %s stopped: %s", planId, e.getMessage());
                    stop.run();
                    emitter.fail(e);
                }
            }, 0, POLL.toMillis(), TimeUnit.MILLISECONDS));
            if (over.get()) {
                stop.run();
            }
            emitter.onTermination(() -> {
                stop.run();
                close.run();
            });
        });
    }

    private void closed(String principal, Runnable leave) {
        openBy.computeIfPresent(principal, (name, count) -> count == 1 ? null : count - 1);
        leave.run();
    }

    /**
     * A seq up to which every event is final, read before a page shows a plan as it is now: every
     * change the page cannot show yet then has a higher seq, so a stream after it misses none (and
     * may repeat a few the page already shows). Waits up to {@link #SETTLE_WAIT} for transactions
     * writing events at that moment, else answers the highest seq already known to be final.
     */
    public long horizon() {
        long known = 0;
        try (Connection connection = dataSource.getConnection()) {
            known = settled(connection);
            EventHorizon now = new EventHorizon(known);
            long upTo = now.advance(connection);
            long target = now.pendingTop();
            long deadline = System.nanoTime() + SETTLE_WAIT.toNanos();
            while (upTo < target && System.nanoTime() < deadline) {
                Thread.sleep(50);
                upTo = now.advance(connection);
            }
            return upTo;
        } catch (SQLException e) {
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The plan store is unavailable; retry later",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return known;
        }
    }

    /** The shared horizon, moved if the last move is half a poll interval old. */
    private synchronized long settled(Connection connection) throws SQLException {
        if (!checked || System.nanoTime() - checkedAt >= POLL.toNanos() / 2) {
            settled = horizon.advance(connection);
            checkedAt = System.nanoTime();
            checked = true;
        }
        return settled;
    }

    /** Done, nothing of it running, every event sent. */
    private static boolean done(Connection connection, UUID planId, long lastSeq) throws SQLException {
        return Sql.first(connection, """
                SELECT p.state IN ('FINISHED', 'CANCELLED', 'REJECTED', 'EXPIRED')
                       AND NOT EXISTS (SELECT 1 FROM plan_item i WHERE i.plan_id = p.plan_id AND i.state = 'RUNNING')
                       -- a cancelled plan's item back to WAITING (refused after the cancel) is skipped by the next
                       -- sweep, and one of unknown outcome is settled once its operation is reconciled
                       AND NOT (p.state = 'CANCELLED' AND EXISTS (SELECT 1 FROM plan_item i WHERE i.plan_id = p.plan_id
                                                                     AND i.state IN ('WAITING', 'UNKNOWN')))
                       AND NOT EXISTS (SELECT 1 FROM plan_event e WHERE e.plan_id = p.plan_id AND e.seq > ?)
                FROM plan p WHERE p.plan_id = ?""", row -> row.getBoolean(1), lastSeq, planId).orElse(true);
    }
}
