package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The export writes instants without Java's formatter; the text must stay Instant.toString's. */
class InstantTextTest {

    @Test
    void matchesInstantToStringWhateverTheFraction() {
        for (String text : new String[] { "2026-11-28T06:00:00Z", "2026-11-28T06:00:00.100Z",
                "2026-11-28T06:00:00.000001Z", "2026-11-28T06:00:00.000000001Z", "2026-01-01T23:59:59.999999Z",
                "1000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "0999-12-31T23:59:59Z",
                "+10000-01-01T00:00:00Z", "1970-01-01T00:00:00Z" }) {
            Instant instant = Instant.parse(text);
            assertThat(OperationExport.isoInstant(instant)).isEqualTo(instant.toString()).isEqualTo(text);
        }
    }

    @Test
    void matchesInstantToStringForRandomInstants() {
        SplittableRandom random = new SplittableRandom(20261128);
        for (int i = 0; i < 100_000; i++) {
            long seconds = random.nextLong(Instant.parse("1900-01-01T00:00:00Z").getEpochSecond(),
                    Instant.parse("2200-01-01T00:00:00Z").getEpochSecond());
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            assertThat(OperationExport.isoInstant(instant)).isEqualTo(instant.toString());
        }
    }
}
