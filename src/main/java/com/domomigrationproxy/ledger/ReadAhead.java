package com.domomigrationproxy.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Runs a reader on another thread a few batches ahead of the consumer, so that reading rows
 * (PostgreSQL and the JDBC driver) and writing them (an export's CSV) use both cores instead of
 * taking turns. At most {@code batches} batches of {@code batchSize} items, or of {@value #BATCH_BYTES}
 * bytes by the items' sizes (a caller's scopes have no size limit: 750 rows that repeat a grant of
 * 64 KiB were more than a pod's heap), wait between them.
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
    /** A batch ends once its items' sizes reach this, whatever their number. */
    static final long BATCH_BYTES = 1024 * 1024;

    private final BlockingQueue<Object> queue;
    private final int batchSize;
    private final ToLongFunction<T> size;
    private volatile boolean stopped;
    /** The reader's task has begun, and has ended: after the end, nothing more comes. */
    private volatile boolean started;
    private volatile boolean ended;

    private ReadAhead(int batchSize, int batches, ToLongFunction<T> size) {
        this.batchSize = batchSize;
        this.size = size;
        this.queue = new ArrayBlockingQueue<>(batches);
    }

    /**
     * Reads on {@code threads}, hands the items to {@code sink} on the calling thread, in order,
     * and returns when both are done. {@code size} tells about how many bytes an item holds. The
     * reader's failure is thrown here; the sink's failure stops the reader at its next batch.
     */
    static <T> void run(ExecutorService threads, int batchSize, int batches, ToLongFunction<T> size,
            Reader<T> reader, Consumer<T> sink) {
        new ReadAhead<T>(batchSize, batches, size).consume(threads, reader, sink);
    }

    @SuppressWarnings("unchecked")
    private void consume(ExecutorService threads, Reader<T> reader, Consumer<T> sink) {
        threads.execute(() -> produce(reader));
        try {
            while (true) {
                Object next = take(threads);
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
        started = true;
        List<T> batch = new ArrayList<>(batchSize);
        long[] bytes = { 0 };
        try {
            reader.read(item -> {
                batch.add(item);
                bytes[0] += size.applyAsLong(item);
                if (batch.size() == batchSize || bytes[0] >= BATCH_BYTES) {
                    put(new ArrayList<>(batch));
                    batch.clear();
                    bytes[0] = 0;
                }
            });
            if (!batch.isEmpty()) {
                put(batch);
            }
            put(END);
        } catch (Stopped e) {
            // the consumer has gone; leaving read() closes the cursor
        } catch (Interrupted e) {
            // The service is stopping (its readers are shut down now): the consumer must hear of it, not wait on.
            handOver(new Failure(new IllegalStateException("The rows stopped being read: the service is stopping")));
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            handOver(new Failure(e));
        } finally {
            ended = true;
        }
    }

    private void handOver(Failure failure) {
        try {
            put(failure);
        } catch (Stopped | Interrupted ignored) {
            // Nobody is waiting for it, or it cannot be handed over: the consumer's wait sees the end.
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
            throw new Interrupted();
        }
    }

    /**
     * The next batch; a failure once the reader has ended without handing anything over, or will
     * never start (the service stopping dropped its task), rather than a wait without end.
     */
    private Object take(ExecutorService threads) {
        try {
            while (true) {
                Object next = queue.poll(1, TimeUnit.SECONDS);
                if (next != null) {
                    return next;
                }
                if (ended || (!started && threads.isTerminated())) {
                    next = queue.poll(); // what the reader handed over just before it ended
                    if (next != null) {
                        return next;
                    }
                    throw new IllegalStateException("The rows stopped being read: the service is stopping");
                }
            }
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
            // A checked exception a library threw undeclared, too
            return cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
        }
    }

    /** The reader's thread was interrupted: the service is stopping. */
    private static final class Interrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Interrupted() {
            super(null, null, false, false);
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
