package com.domomigrationproxy.siem;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.domomigrationproxy.security.CaFiles;

/**
 * The audit stream's settings that cannot work, named before the stream starts: a receiver URL
 * that is not {@code tcp://host:port} or {@code tls://host:port}, a CA file that a plain TCP
 * receiver (or no receiver) would silently ignore, a CA file with no certificate in it (every
 * connection would fail), a duration that is not positive, a batch of no events.
 */
final class StreamStartupCheck {

    private StreamStartupCheck() {
    }

    static List<String> problems(StreamConfig config) {
        List<String> problems = new ArrayList<>();
        StreamConfig.Syslog syslog = config.syslog();
        Optional<URI> url = syslog.url();
        String scheme = url.map(URI::getScheme).map(String::toLowerCase).orElse("");
        if (url.isPresent() && (!scheme.equals("tcp") && !scheme.equals("tls") || url.get().getHost() == null
                || url.get().getPort() <= 0)) {
            problems.add("PROXY_AUDIT_SYSLOG_URL must be tcp://host:port or tls://host:port");
        }
        syslog.caFile().ifPresent(ca -> {
            if (url.isEmpty()) {
                problems.add("PROXY_AUDIT_SYSLOG_CA_FILE is set, but no PROXY_AUDIT_SYSLOG_URL: the stream is off");
            } else if (scheme.equals("tcp")) {
                problems.add("PROXY_AUDIT_SYSLOG_CA_FILE is for a tls:// receiver; PROXY_AUDIT_SYSLOG_URL is tcp://,"
                        + " which would send the chain unencrypted");
            }
            CaFiles.problem("PROXY_AUDIT_SYSLOG_CA_FILE", ca).ifPresent(problems::add);
        });
        if (url.isEmpty()) {
            return problems;
        }
        positive(problems, "PROXY_AUDIT_SYSLOG_TIMEOUT", syslog.timeout());
        StreamConfig.Stream stream = config.stream();
        positive(problems, "PROXY_AUDIT_STREAM_MAX_LAG", stream.maxLag());
        positive(problems, "PROXY_AUDIT_STREAM_POLL_INTERVAL", stream.pollInterval());
        positive(problems, "PROXY_AUDIT_STREAM_RETRY_MAX", stream.retryMax());
        positive(problems, "PROXY_AUDIT_STREAM_LEASE", stream.lease());
        if (stream.confirmAfter().isNegative()) {
            problems.add("PROXY_AUDIT_STREAM_CONFIRM_AFTER must not be negative, not " + stream.confirmAfter());
        }
        if (stream.batchSize() < 1) {
            problems.add("PROXY_AUDIT_STREAM_BATCH_SIZE must be at least 1, not " + stream.batchSize());
        }
        return problems;
    }

    private static void positive(List<String> problems, String variable, Duration value) {
        if (value.isNegative() || value.isZero()) {
            problems.add(variable + " must be longer than 0, not " + value);
        }
    }
}
