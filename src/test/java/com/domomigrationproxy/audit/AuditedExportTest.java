package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** An export tells how many rows it wrote when it ends, whether it ended complete or half-way. */
class AuditedExportTest {

    @Test
    void aCompleteExportReportsItsRows() throws IOException {
        List<String> ended = new ArrayList<>();
        AuditedExport export = new AuditedExport((out, written) -> {
            for (int i = 0; i < 3; i++) {
                out.write('x');
                written.increment();
            }
        });
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
        });
        export.whenEnded((rows, complete) -> ended.add(rows + " " + complete));
        assertThatThrownBy(() -> export.write(new ByteArrayOutputStream())).isInstanceOf(IOException.class);
        assertThat(ended).containsExactly("2 false");
    }
}
