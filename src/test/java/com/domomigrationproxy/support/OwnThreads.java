package com.domomigrationproxy.support;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Starts each task on a thread of its own, for tests whose requests must be in flight together.
 * {@code CompletableFuture.supplyAsync} without an executor does that on JDK 17 with two processors,
 * but JDK 25 runs such tasks in a common pool of one thread, one after another.
 */
public final class OwnThreads {

    private static final Executor EACH_ITS_OWN = task -> {
        Thread thread = new Thread(task, "test-own-thread");
        thread.setDaemon(true);
        thread.start();
    };

    private OwnThreads() {
    }

    public static <T> CompletableFuture<T> supply(Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, EACH_ITS_OWN);
    }

    public static CompletableFuture<Void> run(Runnable task) {
        return CompletableFuture.runAsync(task, EACH_ITS_OWN);
    }
}
