package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The CSV export rewrites PostgreSQL's text of a UTC timestamp without Java's formatter; the result
 * must be Instant.toString's, which the NDJSON export and the API print (CsvExportTest compares the
 * two exports on a real database).
 */
class OperationTextTest {

    @Test
    void rewritesPostgresTextAsInstantPrintsIt() {
        String[][] cases = {
                { "2026-11-30 17:15:44", "2026-11-30T17:15:44Z" },
                { "2026-11-30 17:15:44.5", "2026-11-30T17:15:44.500Z" },
                { "2026-11-30 17:15:44.123", "2026-11-30T17:15:44.123Z" },
                { "2026-11-30 17:15:44.1234", "2026-11-30T17:15:44.123400Z" },
                { "2026-11-30 17:15:44.000001", "2026-11-30T17:15:44.000001Z" },
                { "0999-12-31 23:59:59", "0999-12-31T23:59:59Z" },
                { "0001-01-01 00:00:00", "0001-01-01T00:00:00Z" },
                { "10000-01-01 00:00:00", "+10000-01-01T00:00:00Z" },
                { "294276-12-31 23:59:59.999999", "+294276-12-31T23:59:59.999999Z" },
                { "0001-12-31 23:59:59.25 BC", "0000-12-31T23:59:59.250Z" },
                { "0044-03-15 12:00:00 BC", "-0043-03-15T12:00:00Z" },
                { "infinity", "infinity" },
                { "-infinity", "-infinity" } };
        for (String[] c : cases) {
            assertThat(text(c[0])).as(c[0]).isEqualTo(c[1]);
        }
    }

    @Test
    void matchesInstantToStringForRandomTimestamps() {
        SplittableRandom random = new SplittableRandom(20261130);
        for (int i = 0; i < 100_000; i++) {
            long seconds = random.nextLong(Instant.parse("1900-01-01T00:00:00Z").getEpochSecond(),
                    Instant.parse("2200-01-01T00:00:00Z").getEpochSecond());
            int micros = switch (i % 3) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000) * 1_000;
                default -> random.nextInt(1_000_000);
            };
            Instant instant = Instant.ofEpochSecond(seconds, micros * 1_000L);
            assertThat(text(postgres(instant))).isEqualTo(instant.toString());
        }
    }

    /** As PostgreSQL prints a timestamp with DateStyle ISO: microseconds, trailing zeros cut. */
    private static String postgres(Instant instant) {
        LocalDateTime time = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
        String text = String.format("%04d-%02d-%02d %02d:%02d:%02d", time.getYear(), time.getMonthValue(),
                time.getDayOfMonth(), time.getHour(), time.getMinute(), time.getSecond());
        if (time.getNano() == 0) {
            return text;
        }
        return text + ("." + String.format("%06d", time.getNano() / 1_000)).replaceAll("0+$", "");
    }

    private static String text(String postgres) {
        return new String(OperationText.instant(postgres.getBytes(StandardCharsets.US_ASCII)), StandardCharsets.US_ASCII);
    }
}
