package com.domomigrationproxy.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.LongAdder;

import jakarta.ws.rs.core.StreamingOutput;

/**
 * A streamed audit export whose rows are counted as they are written. {@link AuditAccessRecorder}
 * records the export before its first byte leaves, and the count once it ends, whether it ended
 * complete or not (the client went away, the database failed): an interrupted export still
 * leaves its events, and a process that dies mid-export still leaves the first.
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

    AuditedExport(Rows rows) {
        this.rows = rows;
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
            ending.ended(written.sum(), complete);
        }
    }
}
