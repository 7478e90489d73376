package com.domomigrationproxy.ledger;

/**
 * Text exactly as PostgreSQL can store it. PostgreSQL refuses U+0000 in text, and a lone UTF-16
 * surrogate has no UTF-8 form: whatever Domo (or a caller) sent, each becomes U+FFFD, the Unicode
 * replacement character, so that the audit row and its hash always agree (docs/audit.md).
 */
public final class StorableText {

    static final char REPLACEMENT = '\uFFFD';

    private StorableText() {
    }

    public static String of(String text) {
        if (text == null || storable(text)) {
            return text;
        }
        StringBuilder clean = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) {
                clean.append(REPLACEMENT);
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                clean.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                clean.append(REPLACEMENT);
            } else {
                clean.append(c);
            }
        }
        return clean.toString();
    }

    private static boolean storable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
