package com.domomigrationproxy.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

import jakarta.ws.rs.core.StreamingOutput;

import com.domomigrationproxy.problem.BusyGate;
import com.domomigrationproxy.http.RequestEnd;
import com.domomigrationproxy.http.WriteTimeout;

/**
 * A streamed audit export whose rows are counted as they are written. {@link AuditAccessRecorder}
 * records the export before its first byte leaves, and the count once it ends, whether it ended
 * complete or not (the client went away, the database failed): an interrupted export still
 * leaves its events, and a process that dies mid-export still leaves the first.
 *
 * <p>Each export runs in a turn of {@link AuditExports}' gate, from its creation until it is
 * written or its request ends, and is ended when its client takes nothing for the write timeout
 * ({@link WriteTimeout}).
 */
final class AuditedExport implements StreamingOutput {

    /** Writes the export, counting each row written. */
    interface Rows {
        void write(OutputStream out, LongAdder written) throws IOException;
    }

    /** Told once, when the export ends: how many rows were written and whether all of them were. */
    interface Ending {
        void ended(long rows, boolean complete);
    }

    private final Rows rows;
    private volatile Ending ending = (count, complete) -> {
    };

    private final Runnable leave;
    private final WriteTimeout stall;

    /** Takes a turn (503 busy when none comes), until the export is written or its request ends. */
    AuditedExport(Rows rows, BusyGate turns, Duration writeTimeout) {
        this.rows = rows;
        this.stall = WriteTimeout.ofCurrentRequest(writeTimeout);
        this.leave = turns.enter();
        RequestEnd.then(leave); // also when the body is never written: the client went away while it waited
    }

    void whenEnded(Ending ending) {
        this.ending = ending;
    }

    @Override
    public void write(OutputStream out) throws IOException {
        LongAdder written = new LongAdder();
        boolean complete = false;
        try (WriteTimeout watched = stall) {
            rows.write(watched.watch(out), written);
            complete = !watched.clientLeft(); // gone before the end: its last rows were only buffered
        } finally {
            try {
                ending.ended(written.sum(), complete);
            } finally {
                leave.run();
            }
        }
    }
}
