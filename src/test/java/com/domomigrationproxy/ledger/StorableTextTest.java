package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StorableTextTest {

    @Test
    void nulAndLoneSurrogatesBecomeReplacementCharacters() {
        assertThat(StorableText.of("a\u0000b")).isEqualTo("a\uFFFDb");
        assertThat(StorableText.of("x\uD800y\uDC00")).isEqualTo("x\uFFFDy\uFFFD");
        assertThat(StorableText.of("emoji \uD83D\uDE00 stays")).isEqualTo("emoji \uD83D\uDE00 stays");
        assertThat(StorableText.of(null)).isNull();
        String clean = "plain";
        assertThat(StorableText.of(clean)).isSameAs(clean);
    }
}
