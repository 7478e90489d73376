package com.domomigrationproxy.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.support.ConfigMappings;

/** The per-caller token bucket, without the application. */
class OperationRateLimiterTest {

    @Test
    void aCallerGetsItsLimitThenA429WithRetryAfter() {
        OperationRateLimiter limiter = new OperationRateLimiter(config(2));
        limiter.acquire("a");
        limiter.acquire("a");
        assertThatThrownBy(() -> limiter.acquire("a")).isInstanceOfSatisfying(ProblemException.class, problem -> {
            assertThat(problem.status()).isEqualTo(429);
            assertThat(Long.parseLong(problem.headers().get("Retry-After"))).isBetween(1L, 30L);
        });
        limiter.acquire("b");
    }

    @Test
    void aHundredThousandCallersKeepTheBucketsBounded() {
        OperationRateLimiter limiter = new OperationRateLimiter(config(60));
        for (int i = 0; i < 100_000; i++) {
            limiter.acquire("caller-" + i);
        }
        assertThat(limiter.trackedCallers()).isLessThanOrEqualTo(OperationRateLimiter.MAX_CALLERS);
    }

    private static RateLimitConfig config(int perMinute) {
        return ConfigMappings.of(RateLimitConfig.class,
                Map.of("proxy.rate-limit.operations-per-minute", Integer.toString(perMinute)));
    }
}
