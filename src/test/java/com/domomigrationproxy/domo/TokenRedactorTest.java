package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class TokenRedactorTest {

    private static final String TOKEN = "Secret-Token+42/x";
    private final TokenRedactor redactor = TokenRedactor.of(TOKEN);

    @Test
    void plainCopiesAreReplacedInPlaceInAnyCase() {
        assertThat(redactor.redact("a " + TOKEN + " b " + TOKEN.toUpperCase())).isEqualTo("a [redacted] b [redacted]");
        assertThat(redactor.redact("nothing here")).isEqualTo("nothing here");
    }

    /** A token cut short: any run of twelve or more of its characters, in any letter case, goes. */
    @Test
    void fragmentsOfTwelveCharactersOrMoreAreReplaced() {
        String token = "0123456789abcdefghijKLMNOPQRST";
        TokenRedactor of = TokenRedactor.of(token);
        assertThat(of.redactFragments("Invalid token " + token.substring(0, 20) + "..."))
                .isEqualTo("Invalid token [redacted]...");
        assertThat(of.redactFragments("key=" + token.substring(7, 19).toUpperCase() + ";"))
                .isEqualTo("key=[redacted];");
        assertThat(of.redactFragments("begins " + token.substring(0, 12) + " ends " + token.substring(18)))
                .isEqualTo("begins [redacted] ends [redacted]");
        // Two pieces side by side, and overlapping hits along one long run, give one replacement each.
        assertThat(of.redactFragments(token.substring(18) + token.substring(0, 12) + "!")).isEqualTo("[redacted]!");
        // Eleven characters, or twelve that are not a run of the token, stay.
        assertThat(of.redactFragments("id " + token.substring(0, 11) + " x")).isEqualTo("id " + token.substring(0, 11) + " x");
        assertThat(of.redactFragments("0123456789ab-" + "cdefghijklm")).isEqualTo("[redacted]-cdefghijklm");
        assertThat(of.redactFragments("0123456789ac")).isEqualTo("0123456789ac");
        assertThat(of.redactFragments("short")).isEqualTo("short");
        assertThat(of.redactFragments(null)).isNull();
        // A token shorter than twelve characters has no fragments; redact() finds it whole.
        assertThat(TokenRedactor.of("tiny-token").redactFragments("tiny-token and tiny-tok")).isEqualTo(
                "tiny-token and tiny-tok");
    }

    /**
     * The rolling hash finds what a plain search of every twelve-character window finds, in random
     * text over the token's own characters (where near misses and overlapping runs abound).
     */
    @Test
    void fragmentsAreWhatAPlainSearchOfEveryWindowFinds() {
        String token = "f3a9c1d2e4b5a6978877665544332211";
        TokenRedactor of = TokenRedactor.of(token);
        Random random = new Random(5);
        String alphabet = "0123456789abcdefABCDEF-x";
        for (int n = 0; n < 300; n++) {
            StringBuilder text = new StringBuilder();
            while (text.length() < 200 + random.nextInt(400)) {
                if (random.nextInt(4) == 0) {
                    int from = random.nextInt(token.length() - 8);
                    text.append(token, from, Math.min(token.length(), from + 8 + random.nextInt(12)));
                } else {
                    text.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
            }
            assertThat(of.redactFragments(text.toString())).as(text.toString())
                    .isEqualTo(plainSearch(token, text.toString()));
        }
    }

    /** Every window of twelve that the token holds (any letter case) covered, touching runs merged, each run replaced. */
    private static String plainSearch(String token, String text) {
        boolean[] covered = new boolean[text.length()];
        for (int at = 0; at + 12 <= text.length(); at++) {
            if (token.toLowerCase().contains(text.substring(at, at + 12).toLowerCase())) {
                java.util.Arrays.fill(covered, at, at + 12, true);
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            if (!covered[i]) {
                out.append(text.charAt(i));
            } else if (i == 0 || !covered[i - 1]) {
                out.append("[redacted]");
            }
        }
        return out.toString();
    }

    /** A piece of the token found wherever it is in a long text, in either letter case. */
    @Test
    void fragmentsAreFoundAnywhereInALongText() {
        String token = "f3a9c1d2e4b5a6978877665544332211";
        TokenRedactor of = TokenRedactor.of(token);
        Random random = new Random(11);
        for (int n = 0; n < 500; n++) {
            int from = random.nextInt(token.length() - 12);
            String piece = token.substring(from, from + 12 + random.nextInt(token.length() - from - 11));
            String before = "x".repeat(random.nextInt(3_000));
            String text = before + (random.nextBoolean() ? piece.toUpperCase() : piece) + "-" + "y".repeat(random.nextInt(50));
            assertThat(of.redactFragments(text)).as(text).isEqualTo(before + "[redacted]-" + text.substring(
                    before.length() + piece.length() + 1));
        }
    }

    @Test
    void encodedCopiesRedactTheWholeValue() {
        for (String prefix : new String[] { "", "a", "ab" }) {
            byte[] bytes = (prefix + TOKEN + "tail").getBytes(StandardCharsets.UTF_8);
            assertThat(redactor.redact("x " + Base64.getEncoder().encodeToString(bytes)))
                    .isEqualTo(TokenRedactor.REDACTED_VALUE);
            assertThat(redactor.redact(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)))
                    .isEqualTo(TokenRedactor.REDACTED_VALUE);
        }
        assertThat(redactor.redact("q=Secret-Token%2B42%2Fx")).isEqualTo(TokenRedactor.REDACTED_VALUE);
        assertThat(redactor.redact("%53%65%63%72%65%74-Token+42/x".replace("+", "%2B"))).isEqualTo(TokenRedactor.REDACTED_VALUE);
        // A '+' left as it is by an encoder that only encodes '/', and values encoded twice over.
        assertThat(redactor.redact("q=Secret-Token+42%2Fx")).isEqualTo(TokenRedactor.REDACTED_VALUE);
        assertThat(redactor.redact("q=Secret-Token%252B42%252Fx")).isEqualTo(TokenRedactor.REDACTED_VALUE);
        assertThat(redactor.redact("100%25 fine, 5+5=10")).isEqualTo("100%25 fine, 5+5=10");
        // Hex of its bytes, in either letter case, and percent-encoded.
        String hex = java.util.HexFormat.of().formatHex(TOKEN.getBytes(StandardCharsets.UTF_8));
        for (String form : new String[] { hex, hex.toUpperCase(), "0x" + hex + "00", "%25" + hex.toUpperCase() }) {
            assertThat(redactor.redact("key " + form)).as(form).isEqualTo(TokenRedactor.REDACTED_VALUE);
            assertThat(redactor.mayAppearIn(("[\"" + form + "\"]").getBytes(StandardCharsets.UTF_8))).as(form).isTrue();
        }
    }

    @Test
    void rawBytesAreLookedAtCheaply() {
        assertThat(redactor.mayAppearIn("[\"mysql-federated\"]".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(redactor.mayAppearIn(("[\"" + TOKEN.toLowerCase() + "\"]").getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(redactor.mayAppearIn("[\"a\\u0041\"]".getBytes(StandardCharsets.UTF_8))).isTrue();
        // Overlong UTF-8 (C1 A3 is "c" to a lenient parser), in its two- three- and four-byte forms.
        for (byte[] overlong : new byte[][] { { (byte) 0xC1, (byte) 0xA3 }, { (byte) 0xE0, (byte) 0x81, (byte) 0xA3 },
                { (byte) 0xF0, (byte) 0x80, (byte) 0x81, (byte) 0xA3 } }) {
            byte[] list = new byte[overlong.length + 4];
            list[0] = '[';
            list[1] = '"';
            System.arraycopy(overlong, 0, list, 2, overlong.length);
            list[list.length - 2] = '"';
            list[list.length - 1] = ']';
            assertThat(redactor.mayAppearIn(list)).isTrue();
        }
    }

    /** The cheap look may say yes too often, never no where the full check says yes. */
    @Test
    void rawBytesNeverHideWhatTheFullCheckFinds() {
        String kelvin = "\u212A";
        String dottedCapitalI = "\u0130";
        assertNeverMissed(redactor, "a " + TOKEN.toUpperCase() + " b",
                "x" + Base64.getUrlEncoder().withoutPadding().encodeToString(("ab" + TOKEN).getBytes(StandardCharsets.UTF_8)),
                // Two characters lower-case to ASCII: KELVIN SIGN to k, CAPITAL I WITH DOT ABOVE to i and a dot.
                TOKEN.replace("k", kelvin), "[\"" + TOKEN.replace("k", kelvin).toUpperCase() + "\"]");
        assertThat(redactor.appearsIn(TOKEN.replace("k", kelvin))).isTrue();
        assertThat(redactor.mayAppearIn("[\"Ünïcödé names, no token\"]".getBytes(StandardCharsets.UTF_8))).isFalse();

        TokenRedactor endsInI = TokenRedactor.of("Token-with-i");
        assertThat(endsInI.appearsIn("TOKEN-WITH-" + dottedCapitalI)).isTrue();
        assertNeverMissed(endsInI, "TOKEN-WITH-" + dottedCapitalI, "token-with-I");

        // A token that is not ASCII: its other letter case has other UTF-8 bytes.
        TokenRedactor accented = TokenRedactor.of("sécret-tökén");
        assertThat(accented.appearsIn("SÉCRET-TÖKÉN")).isTrue();
        assertNeverMissed(accented, "SÉCRET-TÖKÉN", "Sécret-Tökén", "sécret-tökén");
        assertThat(accented.mayAppearIn("[\"plain ascii\"]".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    /** Any mix of letter cases, anywhere in the text, for ASCII and non-ASCII tokens alike. */
    @Test
    void rawBytesFindEveryLetterCase() {
        Random random = new Random(7);
        for (String token : new String[] { TOKEN, "Token-with-i", "sécret-tökén", "9-digits-first" }) {
            TokenRedactor of = TokenRedactor.of(token);
            for (int n = 0; n < 2_000; n++) {
                StringBuilder variant = new StringBuilder("x".repeat(random.nextInt(5)));
                for (char c : token.toCharArray()) {
                    variant.append(random.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
                }
                assertNeverMissed(of, variant.append(" y").toString());
            }
        }
    }

    /** UTF-16 and UTF-32 put a NUL byte next to every ASCII one: the cheap look answers true for them. */
    @Test
    void rawBytesInAnotherUnicodeEncodingAreNeverPassedUnchecked() {
        TokenRedactor redactor = TokenRedactor.of(TOKEN);
        for (Charset charset : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE, Charset.forName("UTF-32LE"))) {
            assertThat(redactor.mayAppearIn(("[\"" + TOKEN + "\"]").getBytes(charset))).as(charset.name()).isTrue();
        }
        assertThat(redactor.mayAppearIn("[\"plain ascii\"]".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    private static void assertNeverMissed(TokenRedactor redactor, String... texts) {
        for (String text : texts) {
            assertThat(redactor.appearsIn(text)).as("the full check finds the token in %s", text).isTrue();
            assertThat(redactor.mayAppearIn(("[\"" + text + "\"]").getBytes(StandardCharsets.UTF_8)))
                    .as("the cheap look at %s", text).isTrue();
        }
    }
}
