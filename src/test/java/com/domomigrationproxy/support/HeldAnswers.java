package com.domomigrationproxy.support;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.github.tomakehurst.wiremock.extension.ResponseTransformerV2;
import com.github.tomakehurst.wiremock.http.Response;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

/**
 * Holds the answers of the stubs that name it ({@code withTransformers(HeldAnswers.NAME)}) until the
 * test lets them go, or at most for the time it set: a race that must overlap Domo's answer then
 * overlaps it however slowly the machine sends the other calls, which a fixed delay cannot promise.
 */
public final class HeldAnswers implements ResponseTransformerV2 {

    public static final String NAME = "held";

    /**
     * The longest a migration or reversal may be held: half a second under the tests' migration
     * timeout ({@link DomoWireMock#MIGRATION_TIMEOUT}), so that the held call still gets Domo's answer.
     */
    public static final Duration UNDER_MIGRATION_TIMEOUT = DomoWireMock.MIGRATION_TIMEOUT.minusMillis(500);

    private static final Duration ARRIVAL = Duration.ofSeconds(20);

    private static volatile CountDownLatch gate = new CountDownLatch(0);
    private static volatile CountDownLatch arrived = new CountDownLatch(1);
    private static volatile Duration most = Duration.ZERO;
    /** Whether a held answer went at its {@code most}, before {@link #release()}. */
    private static volatile boolean lapsed;

    /** From now on, answers wait for {@link #release()}, but never longer than {@code most}. */
    public static void hold(Duration most) {
        HeldAnswers.most = most;
        lapsed = false;
        arrived = new CountDownLatch(1);
        gate = new CountDownLatch(1);
    }

    /**
     * Waits until an answer is held. WireMock's request journal cannot tell: it records a request
     * only once its answer was made, after the hold.
     */
    public static void awaitHeld(Duration atMost) throws InterruptedException {
        if (!arrived.await(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("No call reached Domo within " + atMost);
        }
    }

    public static void release() {
        gate.countDown();
    }

    /**
     * Starts {@code call}, which reaches Domo and is held there (at most {@link #UNDER_MIGRATION_TIMEOUT}),
     * runs {@code meanwhile} once it is held, and lets the answer go, also when {@code meanwhile} fails.
     * A {@code meanwhile} that fails after the answer went by itself says so: a machine so slow that
     * its checks outlasted the hold, or a request of its that waited for the held one (a regression,
     * which must fail, not be skipped).
     */
    public static <T> CompletableFuture<T> whileHeld(Supplier<T> call, Runnable meanwhile) throws InterruptedException {
        hold(UNDER_MIGRATION_TIMEOUT);
        try {
            CompletableFuture<T> held = OwnThreads.supply(call);
            awaitHeld(ARRIVAL);
            meanwhile.run();
            return held;
        } catch (AssertionError | RuntimeException e) {
            if (lapsed) {
                throw new AssertionError("The held answer went by itself after " + most + ", before the checks made"
                        + " while it was held had ended: a slow machine, or a request that waited for the held one", e);
            }
            throw e;
        } finally {
            release();
        }
    }

    @Override
    public Response transform(Response response, ServeEvent serveEvent) {
        arrived.countDown();
        try {
            if (!gate.await(most.toMillis(), TimeUnit.MILLISECONDS)) {
                lapsed = true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return response;
    }

    @Override
    public boolean applyGlobally() {
        return false;
    }

    @Override
    public String getName() {
        return NAME;
    }
}
