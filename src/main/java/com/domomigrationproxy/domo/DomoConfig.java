package com.domomigrationproxy.domo;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.Secret;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** How the service reaches Domo. Environment names follow MicroProfile Config (DOMO_BASE_URL…). */
@ConfigMapping(prefix = "domo")
public interface DomoConfig {

    /** Domo instance, e.g. https://acme.domo.com; the migration paths are appended. Env DOMO_BASE_URL. */
    Optional<URI> baseUrl();

    /**
     * Accepts a plain-http DOMO_BASE_URL to an address other than loopback (an egress proxy that
     * adds TLS, say): the token then crosses that network in clear. Env DOMO_ALLOW_PLAIN_HTTP.
     */
    @WithDefault("false")
    boolean allowPlainHttp();

    /**
     * PEM file of the CA certificate(s) Domo's certificate must chain to, instead of the JVM's CAs:
     * an egress proxy's that inspects TLS, say. Read at start. Env DOMO_CA_FILE.
     */
    Optional<Path> caFile();

    /**
     * The developer token itself. Env DOMO_DEVELOPER_TOKEN. Prefer the file variant in production.
     * A secret to the configuration too: never shown by config logging or the Dev UI.
     */
    @WithName("developer-token")
    Optional<Secret<String>> developerToken();

    /** A file holding the token, re-read when it changes. Env DOMO_DEVELOPER_TOKEN_FILE. */
    @WithName("developer-token-file")
    Optional<Path> developerTokenFile();

    /**
     * Deadline of the three GETs, retries included, from sending the first request to the last
     * byte (an attempt under way when it passes ends in the background by its own). Env DOMO_READ_TIMEOUT.
     */
    @WithDefault("30s")
    Duration readTimeout();

    /** Deadline of migrate and reverse; a migration can take seconds. Env DOMO_MIGRATION_TIMEOUT. */
    @WithDefault("120s")
    Duration migrationTimeout();

    /** Deadline for opening the TCP/TLS connection to Domo. Env DOMO_CONNECT_TIMEOUT. */
    @WithDefault("5s")
    Duration connectTimeout();

    /**
     * The most of one Domo answer the service reads; a longer one is cut off and answered 502
     * (domo-response-too-large). Well under the heap: each call in flight may hold this much.
     * Env DOMO_MAX_RESPONSE_SIZE.
     */
    @WithDefault("8M")
    MemorySize maxResponseSize();

    /** The built-in Domo stand-in. */
    Sandbox sandbox();

    /** An HTTP proxy that Domo is reached through, where the network has no direct way out. */
    EgressProxy proxy();

    /** Retries of the three GETs (never of migrate or reverse, which may have reached Domo). */
    Retry retry();

    /** Stops calling a failing Domo for a while instead of hammering it. */
    CircuitBreaker circuitBreaker();

    /** The periodic check that Domo still accepts the token. */
    Health health();

    interface Retry {
        /**
         * Attempts per GET, including the first; retried on connection failures and 502/503/504 (and a
         * CDN's or proxy's 520–524, 598, 599). Env DOMO_RETRY_MAX_ATTEMPTS.
         */
        @WithDefault("3")
        int maxAttempts();

        /** Backoff before the second attempt; doubled each time, with jitter, within the deadline. Env DOMO_RETRY_INITIAL_BACKOFF. */
        @WithDefault("200ms")
        Duration initialBackoff();
    }

    interface CircuitBreaker {
        /** Consecutive Domo failures (5xx, timeouts, connection errors) that open the breaker. Env DOMO_CIRCUIT_BREAKER_FAILURE_THRESHOLD. */
        @WithDefault("5")
        int failureThreshold();

        /** How long calls are refused once open; then one trial call decides. Env DOMO_CIRCUIT_BREAKER_OPEN_DURATION. */
        @WithDefault("30s")
        Duration openDuration();
    }

    interface Sandbox {
        /** Generated candidates: their ids have four digits ({@code sbx-<account>-<nnnn>}). */
        int MAX_CANDIDATES_PER_ACCOUNT = 9999;

        /** Answer from the in-process sandbox instead of Domo. Env DOMO_SANDBOX_ENABLED; on in dev mode. */
        @WithDefault("false")
        boolean enabled();

        /**
         * Candidates generated under each sandbox account besides the fixtures, to try plans:
         * {@code sbx-<account>-<nnnn>} at {@code estate} / {@code account_<account>} / {@code table_<nnnn>}
         * (0 to 9999, else the start is refused). Env DOMO_SANDBOX_CANDIDATES_PER_ACCOUNT; 250 in dev mode.
         */
        @WithDefault("0")
        int candidatesPerAccount();

        /** How long each sandbox migration and reversal takes. Env DOMO_SANDBOX_LATENCY. */
        @WithDefault("0s")
        Duration latency();

        /**
         * Share (0 to 1) of migrations and reversals the sandbox ends INCOMPLETE, leaving the data
         * source as it was; which ones is fixed by the data source and its attempt number, so a run
         * can be repeated. Env DOMO_SANDBOX_FAILURE_RATE.
         */
        @WithDefault("0")
        double failureRate();

        /** Share (0 to 1) of migrations and reversals answered 429 with Retry-After: 1. Env DOMO_SANDBOX_RATE_LIMIT_RATE. */
        @WithDefault("0")
        double rateLimitRate();
    }

    interface EgressProxy {
        /**
         * The proxy, http://host:port: each connection to Domo is a CONNECT tunnel through it, so
         * TLS runs end to end and the proxy never sees the token (unless it inspects TLS and
         * DOMO_CA_FILE trusts its CA). Env DOMO_PROXY_URL; unset, Domo is reached directly. Read as
         * text and parsed by HttpDomoUpstream.proxyUrl: the configuration's own converter would print
         * a value it cannot parse, credentials written into it included.
         */
        Optional<String> url();

        /** User name for a proxy that asks for Basic credentials (407). Env DOMO_PROXY_USERNAME. */
        Optional<String> username();

        /** Its password; a secret to the configuration. Env DOMO_PROXY_PASSWORD. */
        Optional<Secret<String>> password();
    }

    interface Health {
        /** Time between two token checks ({@code GET /types}), or {@code off}. Env DOMO_HEALTH_CHECK_INTERVAL. */
        @WithDefault("60s")
        String checkInterval();

        /** Time from start to the first check. Env DOMO_HEALTH_INITIAL_DELAY. */
        @WithDefault("5s")
        String initialDelay();
    }
}
