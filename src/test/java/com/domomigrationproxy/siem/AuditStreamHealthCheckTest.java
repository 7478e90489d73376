package com.domomigrationproxy.siem;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

/**
 * A backlog reading older than a working sender's rounds no longer tells the lag: the sender that refreshes
 * it every round is stuck or gone, and the group must not stay UP on the zero it last saw.
 */
class AuditStreamHealthCheckTest {

    /** AuditStream#staleAfter: here 3 s. */
    private static final Duration MAX_LAG = Duration.ofSeconds(3);
    private static final Instant NOW = Instant.parse("2026-12-02T06:00:00Z");
    private static final StreamCursor.Backlog NOTHING_WAITING = new StreamCursor.Backlog(0, null, null);

    private static AuditStream.Status status(Instant readAt, Instant startedAt) {
        return new AuditStream.Status(true, true, NOTHING_WAITING, readAt, null, null, startedAt);
    }

    @Test
    void aReadingOlderThanAWorkingSendersRoundIsStale() {
        assertThat(AuditStreamHealthCheck.stale(status(NOW.minusSeconds(4), NOW.minusSeconds(60)), MAX_LAG, NOW))
                .isTrue();
        assertThat(AuditStreamHealthCheck.stale(status(NOW.minusSeconds(2), NOW.minusSeconds(60)), MAX_LAG, NOW))
                .isFalse();
    }

    @Test
    void withoutAnyReadingTheStartCounts() {
        assertThat(AuditStreamHealthCheck.stale(status(null, NOW.minusSeconds(1)), MAX_LAG, NOW)).isFalse();
        assertThat(AuditStreamHealthCheck.stale(status(null, NOW.minusSeconds(10)), MAX_LAG, NOW)).isTrue();
    }
}
