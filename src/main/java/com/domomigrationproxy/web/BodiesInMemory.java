package com.domomigrationproxy.web;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies being read or held in memory at once, under a ceiling (a sixteenth of
 * the heap, at most 64 MiB): past it a new body is refused instead of read, so that many slow or
 * large bodies at once cannot take the heap the service needs. Counted by hand: Vert.x and Quarkus
 * limit one body's size, not what all of them hold together.
 */
final class BodiesInMemory {

    private final long ceiling;
    private final AtomicLong held = new AtomicLong();

    BodiesInMemory(long ceiling) {
        this.ceiling = ceiling;
    }

    /** Counts {@code bytes} in, unless that would pass the ceiling. */
    boolean reserve(long bytes) {
        long now;
        do {
            now = held.get();
            if (now + bytes > ceiling) {
                return false;
            }
        } while (!held.compareAndSet(now, now + bytes));
        return true;
    }

    void release(long bytes) {
        held.addAndGet(-bytes);
    }

    long held() {
        return held.get();
    }
}
