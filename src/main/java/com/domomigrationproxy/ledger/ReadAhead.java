package com.domomigrationproxy.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a reader on another thread a few batches ahead of the consumer, so that reading rows
 * (PostgreSQL and the JDBC driver) and writing them (an export's CSV) use both cores instead of
 * taking turns. At most {@code batches} batches of {@code batchSize} items wait between them.
 * Written by hand rather than with Mutiny's {@code runSubscriptionOn}: the cursor must be opened,
 * read and closed on one thread, and the consumer's failure (a client that went away) must stop
 * it; a queue of batches says both in a few lines.
 */
final class ReadAhead<T> {

    /** A reader: hands each item to the consumer it is given, on the thread it runs on. */
    interface Reader<T> {
        void read(Consumer<T> items);
    }

    private static final Object END = new Object();

    private final BlockingQueue<Object> queue;
    private final int batchSize;
    private volatile boolean stopped;

    private ReadAhead(int batchSize, int batches) {
        this.batchSize = batchSize;
        this.queue = new ArrayBlockingQueue<>(batches);
    }

    /**
     * Reads on {@code threads}, hands the items to {@code sink} on the calling thread, in order,
     * and returns when both are done. The reader's failure is thrown here; the sink's failure
     * stops the reader at its next batch.
     */
    static <T> void run(ExecutorService threads, int batchSize, int batches, Reader<T> reader, Consumer<T> sink) {
        new ReadAhead<T>(batchSize, batches).consume(threads, reader, sink);
    }

    @SuppressWarnings("unchecked")
    private void consume(ExecutorService threads, Reader<T> reader, Consumer<T> sink) {
        threads.execute(() -> produce(reader));
        try {
            while (true) {
                Object next = take();
                if (next == END) {
                    return;
                }
                if (next instanceof Failure failure) {
                    throw failure.rethrow();
                }
                for (T item : (List<T>) next) {
                    sink.accept(item);
                }
            }
        } finally {
            stopped = true;
            queue.clear();
        }
    }

    private void produce(Reader<T> reader) {
        List<T> batch = new ArrayList<>(batchSize);
        try {
            reader.read(item -> {
                batch.add(item);
                if (batch.size() == batchSize) {
                    put(new ArrayList<>(batch));
                    batch.clear();
                }
            });
            if (!batch.isEmpty()) {
                put(batch);
            }
            put(END);
        } catch (Stopped e) {
            // the consumer has gone; leaving read() closes the cursor
        } catch (RuntimeException | Error e) {
            try {
                put(new Failure(e));
            } catch (Stopped ignored) {
                // nobody is waiting for it
            }
        }
    }

    /** Waits for room, and gives up as soon as the consumer has stopped. */
    private void put(Object item) {
        try {
            while (!queue.offer(item, 50, TimeUnit.MILLISECONDS)) {
                if (stopped) {
                    throw new Stopped();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Stopped();
        }
    }

    private Object take() {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for rows", e);
        }
    }

    private record Failure(Throwable cause) {
        RuntimeException rethrow() {
            if (cause instanceof Error error) {
                throw error;
            }
            return (RuntimeException) cause;
        }
    }

    /** The consumer stopped reading. */
    private static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super(null, null, false, false);
        }
    }
}
