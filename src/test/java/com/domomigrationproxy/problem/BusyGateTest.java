package com.domomigrationproxy.problem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.OwnThreads;

/**
 * The turns that bound costly requests (plan uploads and preflights, integrity checks, audit
 * exports, plan event streams): a caller waits for a turn, past the wait it is told to retry, and a
 * turn ends once however often its end is signalled.
 */
class BusyGateTest {

    @Test
    void aCallerWaitsForATurnThenIsToldToRetry() throws Exception {
        BusyGate gate = new BusyGate(1, Duration.ofMillis(200), "Another one is running", 7);
        Runnable first = gate.enter();
        assertThatThrownBy(gate::enter).isInstanceOfSatisfying(ProblemException.class, busy -> {
            assertThat(busy.status()).isEqualTo(503);
            assertThat(busy.type()).isEqualTo(ProblemType.BUSY);
            assertThat(busy.getMessage()).isEqualTo("Another one is running; retry after the delay in Retry-After");
            assertThat(busy.retryAfter()).isEqualTo("7");
        });
        first.run();

        // A caller that comes while the turn is taken waits for it (a wait long enough for a slow machine).
        BusyGate patient = new BusyGate(1, Duration.ofSeconds(30), "Another one is running", 7);
        Runnable taken = patient.enter();
        AtomicReference<Thread> caller = new AtomicReference<>();
        CompletableFuture<String> second = OwnThreads.supply(() -> {
            caller.set(Thread.currentThread());
            return patient.through(() -> "ran");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> caller.get() != null
                && caller.get().getState() == Thread.State.TIMED_WAITING);
        assertThat(second).isNotDone();
        taken.run();
        assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo("ran");
    }

    @Test
    void aTurnEndsOnceHoweverOftenItsEndIsSignalled() {
        BusyGate gate = new BusyGate(2, Duration.ZERO, "busy", 1);
        Runnable first = gate.enter();
        first.run();
        first.run(); // the end of a streamed answer, and its request's end handler
        Runnable second = gate.enter();
        Runnable third = gate.enter();
        assertThatThrownBy(gate::enter).isInstanceOf(ProblemException.class);
        second.run();
        third.run();
    }
}
