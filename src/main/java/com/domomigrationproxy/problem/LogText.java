package com.domomigrationproxy.problem;

import java.util.regex.Pattern;

/**
 * Text from outside (a caller's query, a name from a file or a token, Domo's answer) made fit for a
 * log line: no character that could start a new line or steer a terminal. That is the C0 and C1
 * controls and DEL (U+009B is the 8-bit start of an ANSI sequence, U+0085 a line end) and Unicode's
 * line and paragraph separators; Java's {@code \p{Cntrl}} alone has the ASCII ones only.
 */
public final class LogText {

    public static final Pattern UNSAFE = Pattern.compile("[\\p{Cntrl}\\x{80}-\\x{9F}\\x{2028}\\x{2029}]");

    private LogText() {
    }

    /** The text with each such character replaced by {@code ?}. */
    public static String clean(String text) {
        return UNSAFE.matcher(text).replaceAll("?");
    }

    /** Whether this character is one of them. */
    public static boolean unsafe(int c) {
        return c < 0x20 || c >= 0x7f && c <= 0x9f || c == 0x2028 || c == 0x2029;
    }
}
