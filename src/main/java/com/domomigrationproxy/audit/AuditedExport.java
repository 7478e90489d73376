package com.domomigrationproxy.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

import jakarta.ws.rs.core.StreamingOutput;

import com.domomigrationproxy.problem.BusyGate;
import com.domomigrationproxy.web.RequestEnd;

/**
 * A streamed audit export whose rows are counted as they are written. {@link AuditAccessRecorder}
 * records the export before its first byte leaves, and the count once it ends, whether it ended
 * complete or not (the client went away, the database failed): an interrupted export still
 * leaves its events, and a process that dies mid-export still leaves the first.
 *
 * <p>At most {@link #AT_ONCE} exports run at once on a replica, through the API and the console
 * alike (another waits up to 10 s, then 503 busy): each holds a thread, a database connection in a
 * transaction and a megabyte or two of rows read ahead for as long as its client takes to read it,
 * and 20 slow readers exhausted the chart's heap (security review).
 */
final class AuditedExport implements StreamingOutput {

    static final int AT_ONCE = 4;
    private static final BusyGate TURNS = new BusyGate(AT_ONCE, Duration.ofSeconds(10),
            AT_ONCE + " audit exports are already running on this replica", 10);

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

    /** Takes an export's turn (503 busy when none comes), until the export is written or its request ends. */
    AuditedExport(Rows rows) {
        this.rows = rows;
        this.leave = TURNS.enter();
        RequestEnd.then(leave); // also when the body is never written: the client went away while it waited
    }

    void whenEnded(Ending ending) {
        this.ending = ending;
    }

    @Override
    public void write(OutputStream out) throws IOException {
        LongAdder written = new LongAdder();
        boolean complete = false;
        try {
            rows.write(out, written);
            complete = true;
        } finally {
            try {
                ending.ended(written.sum(), complete);
            } finally {
                leave.run();
            }
        }
    }
}
