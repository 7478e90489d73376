package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

class TokenRedactorTest {

    private static final String TOKEN = "Secret-Token+42/x";
    private final TokenRedactor redactor = TokenRedactor.of(TOKEN);

    @Test
    void plainCopiesAreReplacedInPlaceInAnyCase() {
        assertThat(redactor.redact("a " + TOKEN + " b " + TOKEN.toUpperCase())).isEqualTo("a [redacted] b [redacted]");
        assertThat(redactor.redact("nothing here")).isEqualTo("nothing here");
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
    }

    @Test
    void rawBytesAreLookedAtCheaply() {
        assertThat(redactor.mayAppearIn("[\"mysql-federated\"]".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(redactor.mayAppearIn(("[\"" + TOKEN.toLowerCase() + "\"]").getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(redactor.mayAppearIn("[\"a\\u0041\"]".getBytes(StandardCharsets.UTF_8))).isTrue();
    }
}
