package com.domomigrationproxy.domo;

import java.util.concurrent.atomic.AtomicLong;

import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;

/**
 * Time the request being served spent waiting for Domo, kept in the request's Vert.x context: the
 * web edge starts the count and reads it when the response has gone out, every Domo call adds to it.
 */
public final class DomoWait {

    private static final String KEY = DomoWait.class.getName();

    private DomoWait() {
    }

    /** Starts counting for the current request; returns the counter to read at its end. */
    public static AtomicLong begin() {
        AtomicLong wait = new AtomicLong();
        if (VertxContext.isOnDuplicatedContext()) {
            ContextLocals.put(KEY, wait);
        }
        return wait;
    }

    /** Adds to the current request's count; does nothing off a request (a scheduled plan, a worker of its own). */
    public static void add(long nanos) {
        if (VertxContext.isOnDuplicatedContext()) {
            ContextLocals.<AtomicLong>get(KEY).ifPresent(wait -> wait.addAndGet(nanos));
        }
    }
}
