package com.domomigrationproxy.problem;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * At most a few of one costly kind of request at once on this replica (each holds megabytes of
 * heap, a database snapshot or a thread for a while): another waits a moment for its turn, then is
 * told to retry (503 {@code busy} with Retry-After). Written by hand: SmallRye Fault Tolerance's
 * bulkhead refuses a synchronous call without waiting, and cannot keep a turn for an answer that is
 * still being streamed after the method returned.
 */
public final class BusyGate {

    private final Semaphore turns;
    private final Duration wait;
    private final String busy;
    private final long retryAfterSeconds;

    /** {@code busy} says what the others are doing ("Another plan upload is being handled on this replica"). */
    public BusyGate(int atOnce, Duration wait, String busy, long retryAfterSeconds) {
        this.turns = new Semaphore(atOnce);
        this.wait = wait;
        this.busy = busy;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** Every turn taken: the next caller waits. */
    public boolean full() {
        return turns.availablePermits() == 0;
    }

    /** {@code work}, in a turn. */
    public <T> T through(Supplier<T> work) {
        Runnable leave = enter();
        try {
            return work.get();
        } finally {
            leave.run();
        }
    }

    /**
     * Takes a turn, for work that outlives the call (a streamed answer); the turn ends the first time
     * the returned action runs, however often it runs.
     */
    public Runnable enter() {
        try {
            if (!turns.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw ProblemException.busy(busy, retryAfterSeconds);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        AtomicBoolean left = new AtomicBoolean();
        return () -> {
            if (left.compareAndSet(false, true)) {
                turns.release();
            }
        };
    }
}
