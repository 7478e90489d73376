package com.domomigrationproxy.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * A Writer that encodes UTF-8 straight into one byte buffer in front of the response body: an
 * export is almost all ASCII, which is copied as is, without the char buffer, the charset encoder
 * and its second buffer that {@code BufferedWriter} over {@code OutputStreamWriter} go through.
 * A lone surrogate is written as {@code ?}, as the JDK's encoder replaces it. Not thread-safe.
 */
final class Utf8Writer extends Writer {

    /** Strings at least this long are encoded whole by the JDK; shorter ones char by char here. */
    private static final int BULK = 16;

    private final OutputStream out;
    private final byte[] buffer;
    private int count;

    Utf8Writer(OutputStream out, int bufferSize) {
        this.out = out;
        this.buffer = new byte[bufferSize];
    }

    @Override
    public void write(int c) throws IOException {
        if (c < 0x80) {
            if (count == buffer.length) {
                drain();
            }
            buffer[count++] = (byte) c;
        } else {
            writeNonAscii((char) c, -1);
        }
    }

    @Override
    public void write(String text, int offset, int length) throws IOException {
        if (length >= BULK && offset == 0 && length == text.length()) {
            // The JDK's encoder copies an ASCII string's bytes at once (a vectorised check, then one
            // copy); char by char, a million-row export spent a tenth of its writer's time here.
            writeBytes(text.getBytes(StandardCharsets.UTF_8));
            return;
        }
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                if (count == buffer.length) {
                    drain();
                }
                buffer[count++] = (byte) c;
            } else if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1))) {
                writeNonAscii(c, text.charAt(++i));
            } else {
                writeNonAscii(c, -1);
            }
        }
    }

    @Override
    public void write(char[] chars, int offset, int length) throws IOException {
        write(new String(chars, offset, length), 0, length);
    }

    private void writeBytes(byte[] bytes) throws IOException {
        writeUtf8(bytes, 0, bytes.length);
    }

    /** Bytes that are UTF-8 already (the database's text), copied as they are. */
    void writeUtf8(byte[] bytes, int offset, int length) throws IOException {
        if (length > buffer.length - count) {
            drain();
            if (length > buffer.length) {
                out.write(bytes, offset, length);
                return;
            }
        }
        System.arraycopy(bytes, offset, buffer, count, length);
        count += length;
    }

    /** One non-ASCII character, or a surrogate pair when {@code low} is not -1. */
    private void writeNonAscii(char c, int low) throws IOException {
        if (buffer.length - count < 4) {
            drain();
        }
        if (low >= 0) {
            int codePoint = Character.toCodePoint(c, (char) low);
            buffer[count++] = (byte) (0xF0 | (codePoint >> 18));
            buffer[count++] = (byte) (0x80 | ((codePoint >> 12) & 0x3F));
            buffer[count++] = (byte) (0x80 | ((codePoint >> 6) & 0x3F));
            buffer[count++] = (byte) (0x80 | (codePoint & 0x3F));
        } else if (Character.isSurrogate(c)) {
            buffer[count++] = '?';
        } else if (c < 0x800) {
            buffer[count++] = (byte) (0xC0 | (c >> 6));
            buffer[count++] = (byte) (0x80 | (c & 0x3F));
        } else {
            buffer[count++] = (byte) (0xE0 | (c >> 12));
            buffer[count++] = (byte) (0x80 | ((c >> 6) & 0x3F));
            buffer[count++] = (byte) (0x80 | (c & 0x3F));
        }
    }

    private void drain() throws IOException {
        if (count > 0) {
            out.write(buffer, 0, count);
            count = 0;
        }
    }

    @Override
    public void flush() throws IOException {
        drain();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        flush();
        out.close();
    }
}
