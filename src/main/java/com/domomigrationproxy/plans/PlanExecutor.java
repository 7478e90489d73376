package com.domomigrationproxy.plans;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import com.domomigrationproxy.domo.DomoCallException;
import com.domomigrationproxy.domo.DomoClient;
import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.domo.DomoRateLimited;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.LedgerEvent;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.OperationStatus;
import com.domomigrationproxy.migration.MigrationService;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Requester;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

/**
 * Runs the items of running plans on this replica. Every replica does the same, coordinated only
 * through PostgreSQL: each poll claims waiting items of each running plan (as many as the plan's
 * maxConcurrency leaves free over all replicas, and this replica's own cap allows) and hands them
 * to its workers; a worker that finishes an item claims the next one of the same plan at once.
 *
 * <p>Each item goes through {@link MigrationService#perform}, the audited path of a single
 * request; the item is linked to its operation in the transaction that commits the intent, so an
 * item whose intent exists is never sent again by itself, whichever replica dies where. Domo's 429
 * and an open circuit breaker put the item back in line and hold the plan (or this replica) back
 * for the Retry-After; an unknown outcome waits for reconciliation; INCOMPLETE, ABORTED and FAILED
 * are final until an operator asks for a retry.
 */
@ApplicationScoped
class PlanExecutor {

    /** Unknown outcomes are rechecked this often besides the reconciliation events (from other replicas' work). */
    private static final Duration UNKNOWN_SWEEP = Duration.ofSeconds(30);
    /** After the database refused a write, this replica waits this long before it claims again. */
    private static final Duration STORE_BACKOFF = Duration.ofSeconds(5);
    /**
     * The longest a replica that Domo turned away waits before it asks again (one GET of the types):
     * the wait starts at PROXY_PLAN_TURNED_AWAY_RECHECK and doubles each time an item is turned away
     * again right after.
     */
    static final Duration TURNED_AWAY_LONGEST = Duration.ofMinutes(5);
    private static final int SWEEP_BATCH = 1_000;
    private static final Logger LOG = Logger.getLogger(PlanExecutor.class);

    private final PlanItems items;
    private final PlanService plans;
    private final MigrationService migrations;
    private final DomoClient domo;
    private final OperationStore operations;
    private final PlanConfig config;
    private final Duration sentLease;
    private final Duration breakerOpen;
    private final Duration drainTimeout;
    private final int capacity;
    private final Semaphore slots;
    /** Slots in use on this replica, by plan (a worker keeps its slot for items of one plan). */
    private final Map<UUID, Integer> inUse = new ConcurrentHashMap<>();
    /**
     * The slots a plan may keep on this replica while other plans want some: the capacity shared by
     * the plans that hold or want slots, recomputed every pass. While a plan is {@link #starved}, a
     * worker whose plan holds its share or more gives its slot back instead of taking the plan's next
     * item, so one plan cannot keep every slot (and, with more plans than slots, the slots go round).
     */
    private volatile int share;
    /** Whether, at the last pass, a plan that could send an item got less than its share for want of free slots. */
    private volatile boolean starved;
    /** One pass of {@link #dispatch(List)} at a time (the poll's or a worker's hand-over): share and starved are a pass's. */
    private final ReentrantLock dispatching = new ReentrantLock();
    /** A pass was asked for while one was under way: that one runs again, so no freed slot waits for the next poll. */
    private final AtomicBoolean dispatchWanted = new AtomicBoolean();
    /**
     * When each running plan last had an item claimed on this replica (a count, not a time), so that
     * a pass serves first the plans that waited longest; a plan not in it was never served here.
     */
    private final Map<UUID, Long> lastServed = new ConcurrentHashMap<>();
    private final AtomicLong servings = new AtomicLong();
    private final ExecutorService workers;
    private final String replica;
    private final AtomicLong pausedUntilNanos = new AtomicLong(System.nanoTime());
    /** Until when Domo's last 429 holds the items back (System.nanoTime): kept when other holds are reset. */
    private final AtomicLong rateLimitedUntilNanos = new AtomicLong(System.nanoTime());
    /** Why Domo turns this service itself away (its token refused, none to send, a redirect), or null. */
    private volatile String turnedAway;
    /** Items turned away in a row, each after Domo had answered the probe again: a token that may read but not write. */
    private final AtomicLong turnedAwayInARow = new AtomicLong();
    private volatile boolean stopping;
    private volatile long nextUnknownSweep = System.nanoTime();
    private final UnsettledSweeps sweeps = new UnsettledSweeps(SWEEP_BATCH);

    @Inject
    PlanExecutor(PlanItems items, PlanService plans, MigrationService migrations, DomoClient domo,
            OperationStore operations, PlanConfig config, DomoConfig domoConfig) {
        this.items = items;
        this.plans = plans;
        this.migrations = migrations;
        this.domo = domo;
        this.operations = operations;
        this.config = config;
        // A sent item belongs to its sender until Domo's deadline has surely passed.
        this.sentLease = domoConfig.migrationTimeout().plus(config.lease());
        this.breakerOpen = domoConfig.circuitBreaker().openDuration();
        this.drainTimeout = domoConfig.migrationTimeout().plusSeconds(5);
        this.capacity = Math.max(1, config.replicaConcurrency());
        this.share = capacity;
        this.slots = new Semaphore(capacity);
        AtomicInteger threads = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(capacity, task -> {
            Thread thread = new Thread(task, "plan-worker-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.replica = replicaId();
    }

    /** This replica's name in plan items (sent_by, lease_owner): host and process. */
    static String replicaId() {
        String host = System.getenv().getOrDefault("HOSTNAME", "localhost");
        return host + ":" + ProcessHandle.current().pid();
    }

    @Scheduled(identity = "plan-executor", every = "${proxy.plan.poll-interval:1s}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void poll() {
        if (stopping) {
            return;
        }
        try {
            settle();
            List<UUID> running = plans.running();
            if (!running.isEmpty()) {
                probeDomo();
            }
            for (UUID planId : running) {
                // One plan's failure (its row, its events) stops neither the others' finishing nor dispatch.
                try {
                    plans.finishIfDone(planId);
                } catch (RuntimeException e) {
                    LOG.warnf("Plan %s: could not be finished now: %s", planId, e.getMessage());
                }
            }
            lastServed.keySet().retainAll(running);
            if (turnedAway != null && plans.running().isEmpty()) {
                // Nothing runs any more: the next plan to start tries Domo with its first item, afresh.
                turnedAway = null;
                turnedAwayInARow.set(0);
                // A 429's hold stays: Domo's limit is on the token, whichever plan runs next (and one
                // that came in between the two lines is taken again).
                pausedUntilNanos.set(rateLimitedUntilNanos.get());
                holdBackUntil(rateLimitedUntilNanos.get());
            }
            // Only running plans can want slots: an idle replica asks nothing more.
            if (!running.isEmpty() && !heldBack()) {
                dispatchNow();
            }
        } catch (RuntimeException e) {
            LOG.warnf("Plan executor pass failed: %s", e);
            LOG.debug("Plan executor pass failed", e);
        }
    }

    /** An unknown outcome was resolved (here, by the reconciler or a person): its item follows at once. */
    void reconciled(@Observes(during = TransactionPhase.AFTER_SUCCESS) LedgerEvent.OperationReconciled event) {
        try {
            for (PlanItems.Unsettled item : items.ofOperation(event.operation().operationId())) {
                settle(item, OperationStatus.of(event.operation()));
            }
        } catch (RuntimeException e) {
            LOG.warnf("Could not settle the plan item of operation %s now: %s", event.operation().operationId(),
                    e.getMessage());
        }
    }

    /**
     * The start of a shutdown, before Quarkus waits for the HTTP requests in flight: from here on no
     * item is sent. ShutdownEvent comes only after that wait (up to QUARKUS_SHUTDOWN_TIMEOUT), and
     * items sent meanwhile could still be in flight when Kubernetes' grace period ran out.
     * Fired because quarkus.shutdown.delay-enabled is set (no delay is configured).
     */
    void onShutdownStarting(@Observes ShutdownDelayInitiatedEvent event) {
        stopping = true;
    }

    /**
     * Before the default priority, so before OperationStore's last try at its outcome backlog: an item
     * that ends during this drain while the database is down then still gets its "AUDIT OUTCOME NOT
     * RECORDED" line, which alerts watch for.
     */
    void onShutdown(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent event) {
        stopping = true;
        workers.shutdown();
        try {
            // Items in flight record their outcome: at most Domo's deadline, as for a single request.
            if (!workers.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("Plan items still in flight after %d ms of shutdown: their operations stay PENDING until"
                        + " reconciled", drainTimeout.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Items wait while the breaker is not closed (past its delay only a call's trial closes it, and
     * plan items never make that trial) and while Domo turns the service away (every item
     * would meet the same refusal, and fail): once this replica's hold-back is over, a GET of the
     * integration types tries Domo, closes the breaker if Domo answers, and lets the items go.
     */
    private void probeDomo() {
        boolean breakerOpen = domo.circuitState() != CircuitBreakerState.CLOSED;
        if (heldBack() || (!breakerOpen && turnedAway == null)) {
            return;
        }
        try {
            domo.listTypes();
            turnedAway = null;
            LOG.info("Domo answered again: plan items continue");
        } catch (ProblemException e) {
            if (e.type() == ProblemType.DOMO_RATE_LIMITED) {
                // Domo's limit (a read's 429 fires no event): held back within the cap; whether Domo still
                // turns the service away is asked again after the hold.
                rateLimited(new DomoRateLimited(retryAfter(e)));
            } else if (turnedAway != null && turnsTheServiceAway(e)) {
                holdBack(turnedAwayRecheck(), "Domo still turns the service away (" + e.type().title() + ")");
            } else if (turnedAway != null && e.type() != ProblemType.DOMO_CIRCUIT_OPEN) {
                // Domo answered as itself (a 404, a 5xx…): it no longer turns the service away.
                turnedAway = null;
            } else {
                holdBack(e, "Domo's circuit breaker is still open");
            }
        }
    }

    /**
     * Claims whose replica died before sending wait again; items whose sender is gone, and
     * unknown outcomes resolved elsewhere, follow their operation.
     */
    private void settle() {
        items.releaseExpiredClaims();
        items.skipWaitingOfCancelledPlans();
        boolean withUnknown = System.nanoTime() - nextUnknownSweep >= 0;
        if (withUnknown) {
            nextUnknownSweep = System.nanoTime() + UNKNOWN_SWEEP.toNanos();
        }
        List<PlanItems.Unsettled> unsettled = sweeps.next(items, withUnknown);
        if (withUnknown && sweeps.goesOn(true)) {
            nextUnknownSweep = System.nanoTime(); // a full batch: the next pass reads on, not 30 s later
        }
        if (unsettled.isEmpty()) {
            return;
        }
        // Not whole rows: every operation of a plan repeats its creator's scopes, which have no size limit.
        Map<UUID, OperationStatus> byId = operations.statuses(unsettled.stream().map(PlanItems.Unsettled::operationId)
                .toList());
        for (PlanItems.Unsettled item : unsettled) {
            OperationStatus operation = byId.get(item.operationId());
            if (operation != null) {
                settle(item, operation);
            }
        }
    }

    private void settle(PlanItems.Unsettled item, OperationStatus operation) {
        Optional<ItemState> state = settledState(operation, item.state());
        if (state.isEmpty() && item.state() == ItemState.RUNNING) {
            // Its sender is gone (the lease ran out) and its operation is still PENDING: nothing is known of the
            // call. UNKNOWN holds the plan's slot only as long as any unknown outcome (twice the migration deadline
            // from sending), then follows its operation once that is resolved; left RUNNING, it held the slot until
            // a person resolved the operation, and a plan whose replicas all died stalled on them.
            items.settleFromOperation(item, ItemState.UNKNOWN, "unknown: the replica that sent it stopped before"
                    + " Domo's answer was recorded");
            return;
        }
        if (state.isPresent() && state.get() != item.state()) {
            items.settleFromOperation(item, state.get(), state.get() == ItemState.WAITING
                    ? "waiting: Domo answered 429 to its last attempt" : null);
        }
    }

    /**
     * The state an item takes from its operation, if the operation tells one: the reconciled state
     * once reconciled; UNKNOWN while its outcome is unknown; waiting again after Domo's 429 (Domo
     * did nothing); else the operation's own state. Nothing while the operation is PENDING.
     */
    static Optional<ItemState> settledState(OperationStatus operation, ItemState current) {
        if (operation.reconciledState() != null) {
            return Optional.of(ItemState.valueOf(operation.reconciledState().name()));
        }
        OperationState state = operation.state();
        if (state == OperationState.PENDING) {
            return Optional.empty();
        }
        if (state == OperationState.FAILED && Integer.valueOf(429).equals(operation.upstreamStatus())) {
            return Optional.of(ItemState.WAITING);
        }
        return Optional.of(ItemState.valueOf(state.name()));
    }

    /**
     * Shares this replica's free slots among the plans that can send an item now (first those served
     * longest ago, a plan never served before any, then the oldest start, so the slots go round even
     * when passes come late and workers have run one plan meanwhile): each up to its share, then what
     * is left to any that can use it, so no slot idles while an item waits.
     */
    private void dispatch(List<UUID> wanting) {
        Set<UUID> demand = new HashSet<>(wanting);
        demand.addAll(inUse.keySet());
        share = Math.max(1, capacity / Math.max(1, demand.size()));
        if (wanting.isEmpty()) {
            starved = false;
            return;
        }
        List<UUID> order = new ArrayList<>(wanting);
        order.sort(Comparator.comparingLong(planId -> lastServed.getOrDefault(planId, -1L)));
        boolean shortOfSlots = false;
        for (UUID planId : order) {
            shortOfSlots |= !dispatchOrWarn(planId, share - used(planId));
        }
        for (UUID planId : order) {
            dispatchOrWarn(planId, capacity);
        }
        starved = shortOfSlots;
    }

    /** {@link #dispatch(UUID, int)}; a plan whose items cannot be claimed now does not hold up the others. */
    private boolean dispatchOrWarn(UUID planId, int limit) {
        try {
            return dispatch(planId, limit);
        } catch (RuntimeException e) {
            LOG.warnf("Plan %s: no item could be claimed now: %s", planId, e.getMessage());
            return true;
        }
    }

    private void served(UUID planId) {
        lastServed.put(planId, servings.incrementAndGet());
    }

    private int used(UUID planId) {
        return inUse.getOrDefault(planId, 0);
    }

    /**
     * Claims up to {@code limit} items of the plan that this replica may run now and hands them to
     * the workers. False when there were fewer free slots than the limit.
     */
    private boolean dispatch(UUID planId, int limit) {
        int wanted = 0;
        while (wanted < limit && slots.tryAcquire()) {
            wanted++;
        }
        if (wanted == 0) {
            return limit <= 0;
        }
        List<PlanItems.Claim> claims;
        try {
            claims = items.claim(planId, wanted, replica, config.lease());
        } catch (RuntimeException e) {
            slots.release(wanted);
            throw e;
        }
        slots.release(wanted - claims.size());
        if (!claims.isEmpty()) {
            inUse.merge(planId, claims.size(), Integer::sum);
            served(planId);
        }
        for (PlanItems.Claim claim : claims) {
            try {
                workers.execute(() -> work(claim));
            } catch (RejectedExecutionException e) {
                // The shutdown closed the workers during this pass: the claim waits again at once for a
                // replica that stays, instead of counting against maxConcurrency until its lease runs out.
                giveBack(claim);
            }
        }
        return wanted == limit;
    }

    private void giveBack(PlanItems.Claim claim) {
        try {
            items.settle(claim, ItemState.WAITING, "waiting: the replica that claimed it was shutting down", null,
                    false, replica, config.lease());
        } catch (RuntimeException e) {
            LOG.warnf("Plan %s item %d: its claim lapses with its lease: %s", claim.planId(), claim.itemId(),
                    e.getMessage());
        } finally {
            freeSlot(claim.planId());
        }
    }

    /** What came of an item: the state it takes, why, and not before when it may be sent again. */
    private record Settlement(ItemState state, String note, Instant notBefore) {

        static Settlement of(ItemState state) {
            return new Settlement(state, null, null);
        }

        static Settlement waiting(String note, Instant notBefore) {
            return new Settlement(ItemState.WAITING, note, notBefore);
        }
    }

    /**
     * Runs the item, then the plan's next ones while there are any, on one slot; recording an
     * item's end and claiming the next is one transaction.
     */
    private void work(PlanItems.Claim first) {
        try {
            PlanItems.Claim claim = first;
            while (claim != null) {
                Optional<Settlement> settlement = run(claim);
                boolean more = !stopping && !heldBack()
                        && !(starved && used(first.planId()) >= share);
                if (settlement.isPresent()) {
                    claim = items.settle(claim, settlement.get().state(), settlement.get().note(),
                            settlement.get().notBefore(), more, replica, config.lease()).orElse(null);
                } else {
                    claim = more ? items.claim(claim.planId(), 1, replica, config.lease()).stream().findFirst()
                            .orElse(null) : null;
                }
                if (claim != null) {
                    served(claim.planId());
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf("Plan %s: worker stopped: %s", first.planId(), e.getMessage());
        } finally {
            freeSlot(first.planId());
            handOver();
        }
    }

    /**
     * A slot freed while a plan waits for one (the last pass left it short of its share) goes to the
     * plan served longest ago at once: with more plans than slots, each slot ran one item per poll.
     */
    private void handOver() {
        if (!starved || stopping || heldBack()) {
            return;
        }
        try {
            dispatchNow();
        } catch (RuntimeException e) {
            LOG.warnf("Plan items not handed a freed slot now (the next poll does): %s", e.getMessage());
        }
    }

    /** Whether this replica still holds every plan's items back (Domo's 429, an open breaker, a refusal, the audit store). */
    private boolean heldBack() {
        return System.nanoTime() - pausedUntilNanos.get() < 0;
    }

    /** A pass of {@link #dispatch(List)}, or none while another runs: that one then runs again. */
    private void dispatchNow() {
        dispatchWanted.set(true);
        while (dispatchWanted.get() && dispatching.tryLock()) {
            try {
                dispatchWanted.set(false);
                dispatch(items.wanting());
            } finally {
                dispatching.unlock();
            }
        }
    }

    /** One of the plan's slots on this replica is free again. */
    private void freeSlot(UUID planId) {
        inUse.computeIfPresent(planId, (plan, used) -> used > 1 ? used - 1 : null);
        slots.release();
    }

    /**
     * One item through the audited path. Empty when the item is left as it is: its operation's
     * outcome is not recorded yet, and the sweep settles it from the operation later.
     */
    private Optional<Settlement> run(PlanItems.Claim claim) {
        PlanItemSpec spec = claim.spec();
        // Sent on behalf of whoever released it last (started the plan, resumed it, retried the item),
        // within its creator's grant at creation.
        Requester requester = new Requester(claim.sentFor(), claim.sentForAuthMethod(),
                "plan-" + claim.planId() + "-item-" + claim.itemId(), null, claim.scopes());
        OperationIntent intent = (claim.direction() == Direction.V1_TO_V2
                ? OperationIntent.migration(spec.datasourceId(), spec.accountId(), spec.catalog(), spec.schema(),
                        spec.table(), requester)
                : OperationIntent.reversal(spec.datasourceId(), requester)).forPlan(claim.planId());
        if (stopping) {
            // Claimed by a pass that was already running when the shutdown began: sent by a replica that stays.
            return Optional.of(Settlement.waiting("waiting: the replica that claimed it was shutting down", null));
        }
        // Stricter than refuseWhileCircuitOpen: a half-open breaker lets one trial call through, and that
        // trial must be the probe's GET, never a migration that a failing Domo would turn into a FAILED item.
        if (domo.circuitState() != CircuitBreakerState.CLOSED) {
            holdBack(breakerOpen.toSeconds(), "Domo's circuit breaker is not closed");
            return Optional.of(Settlement.waiting("waiting: calls to Domo are paused after repeated failures", null));
        }
        String refusal = turnedAway;
        if (refusal != null) {
            holdBack(config.turnedAwayRecheck().toSeconds(), refusal);
            return Optional.of(Settlement.waiting("waiting: " + refusal, null));
        }
        // Claimed before another worker's item got Domo's 429: it waits that out too.
        long heldFor = pausedUntilNanos.get() - System.nanoTime();
        if (heldFor > 0) {
            Instant until = Instant.now().plusNanos(heldFor);
            return Optional.of(Settlement.waiting("waiting: calls to Domo are held back on this replica until " + until,
                    until));
        }
        try {
            Operation done = migrations.perform(intent,
                    pending -> items.link(claim, pending.operationId(), replica, sentLease));
            turnedAwayInARow.set(0);
            return Optional.of(Settlement.of(ItemState.valueOf(done.state().name())));
        } catch (ProblemException e) {
            return afterProblem(claim, e);
        } catch (RuntimeException e) {
            // The outcome was recorded as UNKNOWN (if the intent was): the sweep settles the item from it.
            LOG.warnf("Plan %s item %d: %s", claim.planId(), claim.itemId(), e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<Settlement> afterProblem(PlanItems.Claim claim, ProblemException e) {
        UUID operationId = e.extensions().operationId();
        ProblemType type = e.type();
        if (type == ProblemType.DOMO_RATE_LIMITED) {
            Instant until = Instant.now().plusSeconds(retryAfter(e));
            plans.throttle(claim.planId(), until, "Domo answered 429 (Retry-After " + retryAfter(e) + " s)");
            LOG.infof("Plan %s slowed down until %s: Domo rate limiting", claim.planId(), until);
            // The other plans' items wait on this replica too: rateLimited, as for any migration's 429.
            return Optional.of(Settlement.waiting("waiting: Domo answered 429; sent again after " + until, until));
        }
        if (type == ProblemType.DOMO_CIRCUIT_OPEN) {
            holdBack(e, "Domo's circuit breaker opened");
            return Optional.of(Settlement.waiting("waiting: calls to Domo are paused after repeated failures", null));
        }
        if (type == ProblemType.OPERATION_IN_PROGRESS) {
            Instant until = Instant.now().plus(config.busyRetry());
            UUID holder = e.extensions().runningOperationId();
            return Optional.of(Settlement.waiting("waiting: operation " + (holder == null ? "(unknown)" : holder)
                    + " holds the datasource; tried again after " + until, until));
        }
        if (turnsTheServiceAway(e)) {
            // This item ends as its operation did (Domo did nothing: its token, or none, was refused);
            // the items after it wait until Domo answers the service again (probeDomo), longer each
            // time one is refused again right after (a token that may read but no longer write).
            Integer status = upstreamStatus(e);
            turnedAway = "Domo turned the service away (" + type.title() + (status == null ? "" : ", HTTP " + status)
                    + "); items wait until it answers again";
            turnedAwayInARow.incrementAndGet();
            holdBack(turnedAwayRecheck(), turnedAway);
        } else {
            turnedAwayInARow.set(0);
        }
        if (type == ProblemType.PLAN_ITEM_STATE) {
            // The claim was lost or the plan stopped: nothing was recorded, nothing sent.
            return Optional.of(Settlement.waiting(null, null));
        }
        if (type == ProblemType.OUT_OF_SCOPE) {
            // The grant the plan runs under no longer allows the item (a reversal whose data source's
            // last migration, recorded since the plan was checked, went to an account outside it):
            // nothing was recorded or sent, and waiting would not change it.
            return Optional.of(new Settlement(ItemState.SKIPPED, "skipped: " + e.detail(), null));
        }
        if (operationId == null) {
            // Refused before anything was recorded (the store is down): nothing was sent.
            holdBackUntil(System.nanoTime() + STORE_BACKOFF.toNanos());
            return Optional.of(Settlement.waiting("waiting: " + e.detail(), null));
        }
        return operations.find(operationId).flatMap(operation -> settledState(OperationStatus.of(operation), ItemState.RUNNING))
                .map(Settlement::of);
    }

    /** Domo refuses the service itself, whatever the item: its token rejected, no token to send, or an allow-list redirect. */
    private static boolean turnsTheServiceAway(ProblemException e) {
        Integer status = upstreamStatus(e);
        return e.type() == ProblemType.DOMO_REJECTED_CREDENTIALS || e.type() == ProblemType.DOMO_TOKEN_UNAVAILABLE
                || (e.type() == ProblemType.DOMO_UNAVAILABLE && status != null && status >= 300 && status < 400);
    }

    /** Domo's status, or null: none came, or the answer broke after it (a connection failure, whatever it began as). */
    private static Integer upstreamStatus(ProblemException e) {
        return e instanceof DomoCallException call && !call.cutOff() ? call.upstreamStatus() : null;
    }

    /** PROXY_PLAN_TURNED_AWAY_RECHECK (5 s) after the first refusal, doubled for each further one in a row, 5 min at most. */
    private long turnedAwayRecheck() {
        return recheckSeconds(config.turnedAwayRecheck(), turnedAwayInARow.get());
    }

    /** The wait, in seconds, after {@code inARow} refusals in a row (1 for the first). */
    static long recheckSeconds(Duration first, long inARow) {
        // Nine doublings take even a 1 s recheck to the longest wait; 300 s << 9 cannot overflow.
        long doublings = Math.min(9, Math.max(0, inARow - 1));
        return Math.min(TURNED_AWAY_LONGEST.toSeconds(), first.toSeconds() << doublings);
    }

    /**
     * Domo limits the service's token, not a plan: after its 429 to any migration or reversal of this
     * replica (a plan's item, a single request's), every plan's items wait here too, those already claimed
     * included, for its Retry-After or PROXY_PLAN_RATE_LIMIT_HOLD_BACK_MAX (5 min), whichever is
     * shorter (a Retry-After of days would freeze every plan here, rollbacks included).
     */
    void rateLimited(@Observes DomoRateLimited limited) {
        long seconds = Math.max(1, Math.min(limited.retryAfterSeconds(), config.rateLimitHoldBackMax().toSeconds()));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        rateLimitedUntilNanos.accumulateAndGet(until, PlanExecutor::later);
        holdBack(seconds, "Domo answered 429");
    }

    private void holdBack(ProblemException e, String why) {
        holdBack(retryAfter(e), why);
    }

    private void holdBack(long seconds, String why) {
        if (holdBackUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1, seconds)))) {
            // Once per extension, not per call: a burst of 429s would otherwise log each one.
            LOG.infof("Plan items held back on this replica for %d s: %s", Math.max(1, seconds), why);
        }
    }

    /** How long this replica still holds every plan's items back, in seconds; 0 while it sends. */
    double heldBackSeconds() {
        return Math.max(0, pausedUntilNanos.get() - System.nanoTime()) / 1e9;
    }

    /** Holds the items back until {@code until} (System.nanoTime) unless already held longer; true if it moved. */
    private boolean holdBackUntil(long until) {
        return until - pausedUntilNanos.getAndAccumulate(until, PlanExecutor::later) > 0;
    }

    private static long later(long a, long b) {
        return b - a > 0 ? b : a;
    }

    private static long retryAfter(ProblemException e) {
        try {
            return Math.max(1, Long.parseLong(e.headers().getOrDefault("Retry-After", "1")));
        } catch (NumberFormatException bad) {
            return 1;
        }
    }
}
