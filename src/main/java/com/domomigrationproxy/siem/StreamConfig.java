package com.domomigrationproxy.siem;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The audit stream to a SIEM's syslog receiver. */
@ConfigMapping(prefix = "proxy.audit")
public interface StreamConfig {

    Syslog syslog();

    Stream stream();

    interface Syslog {

        /**
         * The receiver, {@code tcp://host:port} or {@code tls://host:port}. Env PROXY_AUDIT_SYSLOG_URL;
         * without it the stream is off.
         */
        Optional<URI> url();

        /**
         * PEM file of the CA that signed the receiver's certificate (tls:// only; without it the JVM's
         * trusted CAs). Env PROXY_AUDIT_SYSLOG_CA_FILE.
         */
        Optional<Path> caFile();

        /**
         * Lets a tcp:// receiver be another host than loopback: the trail (who migrated what, and
         * Domo's answers) then crosses the network in clear. For a receiver on a trusted network (a
         * node-local agent). Env PROXY_AUDIT_SYSLOG_ALLOW_PLAIN_TCP.
         */
        @WithDefault("false")
        boolean allowPlainTcp();

        /** APP-NAME of every message (at most 48 printable ASCII characters). Env PROXY_AUDIT_SYSLOG_APP_NAME. */
        @WithDefault("${quarkus.application.name}")
        String appName();

        /** How long connecting, and writing one batch, may take. Env PROXY_AUDIT_SYSLOG_TIMEOUT. */
        @WithDefault("10s")
        Duration timeout();
    }

    interface Stream {

        /**
         * The stream's health group is DOWN when the oldest event not yet delivered is older than
         * this. Env PROXY_AUDIT_STREAM_MAX_LAG.
         */
        @WithDefault("15m")
        Duration maxLag();

        /** How often the chain is read for new events when nothing wakes the stream. Env PROXY_AUDIT_STREAM_POLL_INTERVAL. */
        @WithDefault("2s")
        Duration pollInterval();

        /**
         * How long a written batch must be followed by an open connection before the cursor moves past
         * it: syslog over TCP has no acknowledgement, and a receiver that dies takes what sits in its
         * socket buffer along. Env PROXY_AUDIT_STREAM_CONFIRM_AFTER.
         */
        @WithDefault("1s")
        Duration confirmAfter();

        /** Longest wait between two attempts while the receiver is down. Env PROXY_AUDIT_STREAM_RETRY_MAX. */
        @WithDefault("30s")
        Duration retryMax();

        /** How long one replica holds the right to deliver without renewing it. Env PROXY_AUDIT_STREAM_LEASE. */
        @WithDefault("30s")
        Duration lease();

        /**
         * Events read and written at once, 1 to 5,000; fewer past about 1 MiB of scopes and payloads.
         * Env PROXY_AUDIT_STREAM_BATCH_SIZE.
         */
        @WithDefault("500")
        int batchSize();
    }
}
