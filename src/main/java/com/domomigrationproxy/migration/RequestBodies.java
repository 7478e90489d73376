package com.domomigrationproxy.migration;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.fasterxml.jackson.databind.JsonNode;

/** Strict reading of JSON request bodies, the same for every request the API takes. */
public final class RequestBodies {

    /** How many unknown fields a problem names. */
    static final int NAMED_UNKNOWN = 10;

    private RequestBodies() {
    }

    /** 400 with {@code detail} unless the body is a JSON object. */
    public static void requireObject(JsonNode body, String detail) {
        if (body == null || !body.isObject()) {
            throw ProblemException.invalid(detail, List.of(new Problem.FieldError("body", "must be a JSON object")));
        }
    }

    /**
     * The body's field names that are not among {@code fields}, each made {@link #printable}: the
     * first {@value #NAMED_UNKNOWN}, then one entry that counts the rest, so that a 64 KiB body of
     * thousands of made-up fields is not answered with a problem six times its size.
     */
    public static List<String> unknownFields(JsonNode body, Set<String> fields) {
        List<String> unknown = new ArrayList<>();
        int more = 0;
        for (Iterator<String> names = body.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (fields.contains(name)) {
                continue;
            }
            if (unknown.size() < NAMED_UNKNOWN) {
                unknown.add(printable(name));
            } else {
                more++;
            }
        }
        if (more > 0) {
            unknown.add("(" + more + " more)");
        }
        return unknown;
    }

    /** Names come from the caller: show them only if harmless, and never long. */
    public static String printable(String name) {
        String safe = name.codePoints().anyMatch(c -> Character.isISOControl(c) || loneSurrogate(c))
                ? "(unprintable)" : name;
        // Cut by code points: cut by chars, an emoji at the cut left half a surrogate pair in the
        // problem, which a strict JSON parser cannot read (review).
        return safe.codePointCount(0, safe.length()) > 64 ? safe.substring(0, safe.offsetByCodePoints(0, 64)) + "…"
                : safe;
    }

    /**
     * A person's free text (a comment, a note): every line break kept as LF, however it was sent (a
     * browser's textarea sends CRLF); null stays null.
     */
    public static String lineBreaksAsLf(String text) {
        return text == null ? null : text.replace("\r\n", "\n").replace('\r', '\n');
    }

    /** Whether free text (its line breaks already LF) holds a control character other than LF, or a lone surrogate. */
    public static boolean unprintableBeyondLineBreaks(String text) {
        return text.codePoints().anyMatch(c -> (c != '\n' && Character.isISOControl(c)) || loneSurrogate(c));
    }

    /** A code point in the surrogate range: String.codePoints() yields those only for unpaired halves. */
    public static boolean loneSurrogate(int codePoint) {
        return codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE;
    }
}
