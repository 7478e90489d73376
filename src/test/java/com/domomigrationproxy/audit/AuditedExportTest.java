package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.problem.BusyGate;

/** An export tells how many rows it wrote when it ends, whether it ended complete or half-way. */
class AuditedExportTest {

    private static final BusyGate TURNS = new BusyGate(1, Duration.ZERO, "busy", 1);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(60);

    @Test
    void aCompleteExportReportsItsRows() throws IOException {
        List<String> ended = new ArrayList<>();
        AuditedExport export = new AuditedExport((out, written) -> {
            for (int i = 0; i < 3; i++) {
                out.write('x');
                written.increment();
            }
        }, TURNS, WRITE_TIMEOUT);
        export.whenEnded((rows, complete) -> ended.add(rows + " " + complete));
        export.write(new ByteArrayOutputStream());
        assertThat(ended).containsExactly("3 true");
    }

    @Test
    void anExportInterruptedHalfWayStillReportsWhatItWrote() {
        List<String> ended = new ArrayList<>();
        AuditedExport export = new AuditedExport((out, written) -> {
            written.increment();
            written.increment();
            throw new IOException("Connection reset by peer");
        }, TURNS, WRITE_TIMEOUT);
        export.whenEnded((rows, complete) -> ended.add(rows + " " + complete));
        assertThatThrownBy(() -> export.write(new ByteArrayOutputStream())).isInstanceOf(IOException.class);
        assertThat(ended).containsExactly("2 false");
    }
}
