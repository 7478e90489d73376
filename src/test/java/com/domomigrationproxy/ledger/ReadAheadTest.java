package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToLongFunction;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * An export's rows are read on another thread: every row arrives, in order; the reader stays a
 * bounded number of rows ahead; a reader's failure reaches the writer; a writer that stops (a
 * client that went away) stops the reader, which then leaves its read (closing the cursor).
 */
class ReadAheadTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    @Test
    void handsOverEveryItemInOrderOnTheCallingThread() {
        List<Integer> seen = new ArrayList<>();
        Thread caller = Thread.currentThread();
        AtomicReference<Thread> readerThread = new AtomicReference<>();
        ReadAhead.<Integer>run(threads, 7, 2, item -> 0, items -> {
            readerThread.set(Thread.currentThread());
            for (int i = 0; i < 1_000; i++) {
                items.accept(i);
            }
        }, item -> {
            assertThat(Thread.currentThread()).isSameAs(caller);
            seen.add(item);
        });
        assertThat(seen).hasSize(1_000).isSorted().startsWith(0).endsWith(999);
        assertThat(readerThread.get()).isNotSameAs(caller);
    }

    @Test
    void theReaderStaysABoundedNumberOfItemsAhead() {
        // 3 batches waiting, the one being written, and the one being filled
        assertThat(mostAhead(10, 3, item -> 0, 500)).isLessThanOrEqualTo(5 * 10);
    }

    /**
     * Large items (rows that repeat a long grant) end a batch at 1 MiB, however few: 750 of them
     * waiting were more than a pod's heap (SIEM review).
     */
    @Test
    void largeItemsEndABatchAtAMebibyte() {
        // 2 batches waiting, the one being written, and the one being filled: 4 items of 256 KiB each
        assertThat(mostAhead(250, 2, item -> 256 * 1024, 200)).isLessThanOrEqualTo(4 * 4);
    }

    /** How far the reader got ahead of a slow writer, at most, over {@code count} items, all written. */
    private int mostAhead(int batchSize, int batches, ToLongFunction<Integer> size, int count) {
        AtomicInteger read = new AtomicInteger();
        AtomicInteger mostAhead = new AtomicInteger();
        int[] written = { 0 };
        ReadAhead.<Integer>run(threads, batchSize, batches, size, items -> {
            for (int i = 0; i < count; i++) {
                read.incrementAndGet();
                items.accept(i);
            }
        }, item -> {
            sleep(200, TimeUnit.MICROSECONDS);
            written[0]++;
            mostAhead.accumulateAndGet(read.get() - written[0], Math::max);
        });
        assertThat(written[0]).isEqualTo(count);
        return mostAhead.get();
    }

    @Test
    void aFailureOfTheReaderReachesTheWriterAfterTheRowsBeforeIt() {
        List<Integer> seen = new ArrayList<>();
        ProblemException failure = new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "cannot be read", null);
        assertThatThrownBy(() -> ReadAhead.<Integer>run(threads, 5, 2, item -> 0, items -> {
            for (int i = 0; i < 12; i++) {
                items.accept(i);
            }
            throw failure;
        }, seen::add)).isSameAs(failure);
        assertThat(seen).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    @Test
    void aWriterThatStopsStopsTheReader() throws InterruptedException {
        CountDownLatch readerLeft = new CountDownLatch(1);
        AtomicInteger read = new AtomicInteger();
        IllegalStateException gone = new IllegalStateException("client went away");
        assertThatThrownBy(() -> ReadAhead.<Integer>run(threads, 10, 2, item -> 0, items -> {
            try {
                for (int i = 0; i < 1_000_000; i++) {
                    read.incrementAndGet();
                    items.accept(i);
                }
            } finally {
                readerLeft.countDown();
            }
        }, item -> {
            if (item == 25) {
                throw gone;
            }
        })).isSameAs(gone);
        assertThat(readerLeft.await(5, TimeUnit.SECONDS)).as("the reader left its read").isTrue();
        assertThat(read.get()).isLessThan(1_000);
    }

    /**
     * The service stopping (its readers shut down now) while the reader waits for room: the writer
     * hears of it once it has written what was handed over, rather than waiting for rows for ever.
     */
    @Test
    void theServiceStoppingEndsTheWritersWaitWhenTheReaderIsInterrupted() {
        List<Integer> seen = new ArrayList<>();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> ReadAhead.<Integer>run(threads,
                10, 2, item -> 0, items -> {
                    for (int i = 0; i < 1_000; i++) {
                        items.accept(i);
                    }
                }, item -> {
                    if (item == 0) {
                        threads.shutdownNow(); // the reader is waiting for room by now, or soon will be
                    }
                    seen.add(item);
                })).isInstanceOf(IllegalStateException.class).hasMessageContaining("the service is stopping"));
        assertThat(seen).isNotEmpty().hasSizeLessThan(1_000).isSorted();
    }

    /** The service stopping before the reader's task ever ran: the writer does not wait for it. */
    @Test
    void theServiceStoppingBeforeTheReaderStartsEndsTheWritersWait() throws InterruptedException {
        ThreadPoolExecutor one = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        CountDownLatch busy = new CountDownLatch(1);
        one.execute(() -> {
            busy.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        busy.await();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Thread stopper = new Thread(() -> {
            // until the reader's task is queued behind the busy one (or the test has failed anyway)
            while (one.getQueue().isEmpty() && System.nanoTime() < giveUp) {
                sleep(10, TimeUnit.MILLISECONDS);
            }
            one.shutdownNow(); // which drops it
        });
        stopper.setDaemon(true);
        stopper.start();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> ReadAhead.<Integer>run(one, 10,
                2, item -> 0, items -> items.accept(1), item -> {
                })).isInstanceOf(IllegalStateException.class).hasMessageContaining("the service is stopping"));
        stopper.join();
    }

    /**
     * A reader that fails with its thread's interrupt flag set cannot hand its failure over (the
     * queue's wait is interruptible): the writer still hears that the rows stopped, rather than
     * waiting for ever on a reader that has ended.
     */
    @Test
    void aReaderThatEndsWithoutHandingAnythingOverEndsTheWritersWait() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> ReadAhead.<Integer>run(threads,
                10, 2, item -> 0, items -> {
                    Thread.currentThread().interrupt();
                    throw new IllegalArgumentException("lost with the interrupt");
                }, item -> {
                })).isInstanceOf(IllegalStateException.class).hasMessageContaining("the service is stopping"));
    }

    private static void sleep(long amount, TimeUnit unit) {
        try {
            unit.sleep(amount);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
