package com.domomigrationproxy.domo;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds the Domo token in text that came from outside, in every form it could be echoed in: as is
 * in any letter case, percent-encoded (up to three times over), base64 (standard
 * or URL-safe, at any byte alignment) and hex (its UTF-8 bytes, in either letter case).
 * JSON escapes are undone by the parser before text gets here. Written by hand: redaction libraries
 * look for secret shapes, not for one known value in its encodings.
 */
final class TokenRedactor {

    static final String REDACTED = "[redacted]";
    static final String REDACTED_VALUE = "[redacted: the value contained the Domo token]";
    /** Percent-encoding undone up to this many times (a value encoded twice or three times over). */
    private static final int MAX_PERCENT_ROUNDS = 3;
    /**
     * The shortest run of the token's characters that {@link #redactFragments} replaces: shorter
     * than that, a piece of a long random token tells little and is likelier to be a coincidence.
     */
    static final int FRAGMENT = 12;
    /** The base of the rolling hash that finds fragments, and its power that takes a char out of it. */
    private static final long HASH_BASE = 1_000_003L;
    private static final long HASH_HIGHEST = power(HASH_BASE, FRAGMENT - 1);

    /** U+212A and U+0130 as their UTF-8 bytes read as ISO-8859-1 (see mayHideACaseVariant). */
    private static final String KELVIN_SIGN = "\u00E2\u0084\u00AA";
    private static final String CAPITAL_I_WITH_DOT = "\u00C4\u00B0";

    private final String lowerCase;
    private final List<String> base64Forms;
    /** The token's UTF-8 bytes in lower-case hex, found in any letter case. */
    private final String hexForm;
    /** The lower-case token's UTF-8 bytes, one char per byte and lower-cased as such (see holdsInAnyCase). */
    private final String lowerCaseBytes;
    private final boolean asciiToken;
    /** The token lower-cased char by char (see folded), and the rolling hash of its every FRAGMENT-long run. */
    private final String foldedToken;
    private final Set<Long> fragmentHashes;

    private TokenRedactor(String token) {
        this.lowerCase = token.toLowerCase(Locale.ROOT);
        this.base64Forms = base64Forms(token.getBytes(StandardCharsets.UTF_8));
        this.hexForm = HexFormat.of().formatHex(token.getBytes(StandardCharsets.UTF_8));
        this.lowerCaseBytes = new String(lowerCase.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1)
                .toLowerCase(Locale.ROOT);
        this.asciiToken = token.chars().allMatch(c -> c <= 0x7F);
        this.foldedToken = folded(token);
        Set<Long> hashes = new HashSet<>();
        for (int at = 0; at + FRAGMENT <= foldedToken.length(); at++) {
            hashes.add(hash(foldedToken, at));
        }
        this.fragmentHashes = Set.copyOf(hashes);
    }

    static TokenRedactor of(String token) {
        return new TokenRedactor(token);
    }

    /**
     * The text with the token replaced: plain copies in place, and the whole text when an encoded
     * copy remains (its extent in the text cannot be told reliably).
     */
    String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String redacted = replaceIgnoringCase(text);
        return containsEncoded(redacted) ? REDACTED_VALUE : redacted;
    }

    /**
     * The text with every run of {@link #FRAGMENT} or more consecutive characters of the token, in
     * any letter case, replaced: for a token that was cut short (Domo's message quoting its first
     * characters, or a cut made before the text got here). Apply it after {@link #redact}, which
     * finds the whole token in its encoded forms too. One pass with a rolling hash, each hit checked
     * against the token itself, so that a long text costs no more than reading it.
     */
    String redactFragments(String text) {
        if (text == null || text.length() < FRAGMENT || fragmentHashes.isEmpty()) {
            return text;
        }
        String folded = folded(text);
        StringBuilder out = null;
        int copied = 0;
        int coveredTo = -1;
        long hash = hash(folded, 0);
        for (int at = 0; at + FRAGMENT <= folded.length(); at++) {
            if (at > 0) {
                hash = (hash - folded.charAt(at - 1) * HASH_HIGHEST) * HASH_BASE + folded.charAt(at + FRAGMENT - 1);
            }
            if (fragmentHashes.contains(hash) && foldedToken.contains(folded.substring(at, at + FRAGMENT))) {
                if (out == null) {
                    out = new StringBuilder(text.length());
                }
                if (at > coveredTo) {
                    // A new run: what lies between the last one and this one stays as it was.
                    out.append(text, copied, at).append(REDACTED);
                }
                coveredTo = at + FRAGMENT;
                copied = coveredTo;
            }
        }
        return out == null ? text : out.append(text, copied, text.length()).toString();
    }

    /** True when the text holds the token in any form. */
    boolean appearsIn(String text) {
        return text != null && (text.toLowerCase(Locale.ROOT).contains(lowerCase) || containsEncoded(text));
    }

    /**
     * A cheap look at raw bytes: false only when {@link #appearsIn} would be false for any text the
     * bytes decode to. Percent signs, JSON escapes and overlong UTF-8 could hide the token, so their
     * presence answers true; so does a NUL byte, which no UTF-8 JSON holds but UTF-16 and UTF-32 (which the parser
     * also reads) put between the bytes of every ASCII character. The bytes are read as ISO-8859-1
     * (one char per byte, a plain copy) so that the JDK's vectorised searches do the work; compared
     * ignoring case that way, each ASCII byte matches the token's in either letter case, so a copy
     * of an ASCII token in any letter case is never missed. Other case variants are answered true by
     * their bytes (see mayHideACaseVariant).
     */
    boolean mayAppearIn(byte[] body) {
        String bytes = new String(body, StandardCharsets.ISO_8859_1);
        if (bytes.indexOf('%') >= 0 || bytes.indexOf('\\') >= 0 || bytes.indexOf('\0') >= 0 || overlong(bytes)
                || mayHideACaseVariant(bytes) || holdsInAnyCase(bytes, lowerCaseBytes) || holdsInAnyCase(bytes, hexForm)) {
            return true;
        }
        for (String form : base64Forms) {
            if (bytes.contains(form)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the bytes (one char each) hold an overlong UTF-8 form, which valid UTF-8 never does but
     * a lenient parser may read as the character it spells (C1 A3 as "c"): a lead byte C0 or C1, or
     * E0 followed by 80 to 9F, or F0 followed by 80 to 8F.
     */
    private static boolean overlong(String bytes) {
        return bytes.indexOf('\u00C0') >= 0 || bytes.indexOf('\u00C1') >= 0
                || followedBy(bytes, '\u00E0', (char) 0x9F) || followedBy(bytes, '\u00F0', (char) 0x8F);
    }

    /** Whether {@code lead} occurs followed by a continuation byte from 80 to {@code most}. */
    private static boolean followedBy(String bytes, char lead, char most) {
        for (int at = bytes.indexOf(lead); at >= 0 && at + 1 < bytes.length(); at = bytes.indexOf(lead, at + 1)) {
            char next = bytes.charAt(at + 1);
            if (next >= 0x80 && next <= most) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the text, lower-cased, holds {@code lowerCaseForm} (the token's bytes, or their hex),
     * without lower-casing a copy of it: only a character that lower-cases to the form's first one
     * can start a copy (itself, or its upper case when that is one byte), found with indexOf, and
     * each is compared ignoring case (which matches whatever lower-cases alike, so it never finds
     * less than the copy would).
     */
    private static boolean holdsInAnyCase(String text, String lowerCaseForm) {
        char first = lowerCaseForm.charAt(0);
        char upper = Character.toUpperCase(first);
        return holdsFrom(text, first, lowerCaseForm)
                || (upper != first && upper <= 0xFF && holdsFrom(text, upper, lowerCaseForm));
    }

    private static boolean holdsFrom(String text, char first, String lowerCaseForm) {
        for (int at = text.indexOf(first); at >= 0; at = text.indexOf(first, at + 1)) {
            if (text.regionMatches(true, at, lowerCaseForm, 0, lowerCaseForm.length())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Bytes whose text lower-cases to the token without holding its bytes in some letter case: the
     * two characters whose lower case is ASCII (KELVIN SIGN becomes k; CAPITAL I WITH DOT ABOVE becomes
     * i and a combining dot), and, for a token that is not all ASCII, any character that is not (its
     * other case has other UTF-8 bytes).
     */
    private boolean mayHideACaseVariant(String bytes) {
        return bytes.contains(KELVIN_SIGN) || bytes.contains(CAPITAL_I_WITH_DOT)
                || (!asciiToken && bytes.chars().anyMatch(c -> c > 0x7F));
    }

    private boolean containsEncoded(String text) {
        if (holdsInAnyCase(text, hexForm)) {
            return true;
        }
        for (String form : base64Forms) {
            if (text.contains(form)) {
                return true;
            }
        }
        // Percent-encoded, up to MAX_PERCENT_ROUNDS times over (each round costs a pass over the text, and a
        // hostile answer could nest escapes for as many rounds as it has bytes). A '+' stays a '+': read as a space (form encoding) it could
        // only matter to a token with a space, and a usable token has none (DomoTokenProvider), nor
        // has its base64; read as a space, it would hide a '+' an encoder left as it was.
        String encoded = text;
        for (int round = 0; round < MAX_PERCENT_ROUNDS && encoded.indexOf('%') >= 0; round++) {
            encoded = percentDecoded(encoded);
            if (holdsPlainOrBase64(encoded)) {
                return true;
            }
        }
        return false;
    }

    private boolean holdsPlainOrBase64(String decoded) {
        return decoded.toLowerCase(Locale.ROOT).contains(lowerCase) || holdsInAnyCase(decoded, hexForm)
                || base64Forms.stream().anyMatch(decoded::contains);
    }

    private String replaceIgnoringCase(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.length() != text.length() || !lower.contains(lowerCase)) {
            // Case folding changed the length (rare scripts): fall back to treating the whole value.
            return lower.contains(lowerCase) ? REDACTED_VALUE : text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int start = 0;
        for (int hit = lower.indexOf(lowerCase); hit >= 0; hit = lower.indexOf(lowerCase, start)) {
            out.append(text, start, hit).append(REDACTED);
            start = hit + lowerCase.length();
        }
        return out.append(text, start, text.length()).toString();
    }

    /**
     * The parts of the token's base64 that do not depend on what surrounds it: for each of the three
     * byte alignments, the characters fully determined by the token's own bits.
     */
    private static List<String> base64Forms(byte[] token) {
        List<String> forms = new ArrayList<>();
        for (int offset = 0; offset < 3; offset++) {
            byte[] shifted = new byte[offset + token.length];
            System.arraycopy(token, 0, shifted, offset, token.length);
            String encoded = Base64.getEncoder().withoutPadding().encodeToString(shifted);
            int first = (offset * 8 + 5) / 6;
            int last = ((offset + token.length) * 8) / 6;
            if (last - first >= 4) {
                String stable = encoded.substring(first, last);
                forms.add(stable);
                forms.add(stable.replace('+', '-').replace('/', '_'));
            }
        }
        return forms.stream().distinct().toList();
    }

    /** Each char lower-cased on its own, so that positions in the result are positions in the text. */
    private static String folded(String text) {
        char[] chars = text.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            chars[i] = Character.toLowerCase(chars[i]);
        }
        return new String(chars);
    }

    private static long hash(String text, int from) {
        long hash = 0;
        for (int i = from; i < from + FRAGMENT; i++) {
            hash = hash * HASH_BASE + text.charAt(i);
        }
        return hash;
    }

    private static long power(long base, int exponent) {
        long result = 1;
        for (int i = 0; i < exponent; i++) {
            result *= base;
        }
        return result;
    }

    private static String percentDecoded(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length() && hex(text.charAt(i + 1)) >= 0 && hex(text.charAt(i + 2)) >= 0) {
                bytes.write(hex(text.charAt(i + 1)) * 16 + hex(text.charAt(i + 2)));
                i += 2;
            } else if (c < 0x80) {
                bytes.write(c);
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
