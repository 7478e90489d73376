package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The export's byte writer must produce what the JDK's UTF-8 encoder produces, across buffer ends. */
class Utf8WriterTest {

    private static final String TEXT = "plain ASCII, \"quoted\", café, 東京, emoji 🚀 and 𝄞, tab\there\r\n";

    @Test
    void encodesLikeTheJdkWhateverTheBufferSize() throws IOException {
        for (int size : new int[] { 4, 5, 7, 16, 64 * 1024 }) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            try (Utf8Writer out = new Utf8Writer(body, size)) {
                for (int i = 0; i < 50; i++) {
                    out.write(TEXT);
                    out.write(',');
                    out.write('é');
                    out.write(TEXT, 3, 10);
                }
            }
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 50; i++) {
                expected.append(TEXT).append(',').append('é').append(TEXT, 3, 13);
            }
            assertThat(body.toByteArray()).as("buffer of %d bytes", size)
                    .isEqualTo(expected.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void writesALoneSurrogateAsAQuestionMarkLikeTheJdk() throws IOException {
        String lone = "a\uD83Db\uDE80c" + "\uD83D";
        // Short text is encoded here, long text by the JDK: both alike.
        for (int times : new int[] { 1, 4 }) {
            String text = lone.repeat(times);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            try (Utf8Writer out = new Utf8Writer(body, 8)) {
                out.write(text);
            }
            assertThat(body.toString(StandardCharsets.UTF_8)).isEqualTo("a?b?c?".repeat(times))
                    .isEqualTo(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
        }
    }
}
