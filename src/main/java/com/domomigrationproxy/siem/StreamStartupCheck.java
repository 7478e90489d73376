package com.domomigrationproxy.siem;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.domomigrationproxy.problem.SettingProblems;
import com.domomigrationproxy.security.CaFiles;
import com.domomigrationproxy.security.LoopbackHosts;

/**
 * The audit stream's settings that cannot work, named before the stream starts: a receiver URL
 * that is not {@code tcp://host:port} or {@code tls://host:port}, a CA file that a plain TCP
 * receiver (or no receiver) would silently ignore, a CA file with no certificate in it (every
 * connection would fail), a duration that is not positive, a batch of no events or of more than
 * {@value #MAX_BATCH_SIZE}, a port past 65535 (which {@link URI} accepts), a plain tcp:// receiver
 * on another host than loopback without PROXY_AUDIT_SYSLOG_ALLOW_PLAIN_TCP.
 */
final class StreamStartupCheck {

    /**
     * A batch is one array of frames in memory, written at once: a few MiB at most (small events, or
     * about 1 MiB of large ones: a batch ends there, as a page of the chain does).
     */
    static final int MAX_BATCH_SIZE = 5_000;

    private StreamStartupCheck() {
    }

    static List<String> problems(StreamConfig config) {
        List<String> problems = new ArrayList<>();
        StreamConfig.Syslog syslog = config.syslog();
        Optional<URI> url = syslog.url();
        String scheme = url.map(URI::getScheme).map(String::toLowerCase).orElse("");
        if (url.isPresent() && (!scheme.equals("tcp") && !scheme.equals("tls") || url.get().getHost() == null
                || url.get().getPort() <= 0 || url.get().getPort() > 65_535
                || url.get().getRawUserInfo() != null || url.get().getRawQuery() != null
                || url.get().getRawFragment() != null
                || url.get().getRawPath() != null && !url.get().getRawPath().isEmpty()
                        && !url.get().getRawPath().equals("/"))) {
            problems.add("PROXY_AUDIT_SYSLOG_URL must be tcp://host:port or tls://host:port");
        } else if (scheme.equals("tcp") && !syslog.allowPlainTcp() && !LoopbackHosts.loopback(url.get().getHost())) {
            problems.add("PROXY_AUDIT_SYSLOG_URL is tcp:// to " + url.get().getHost() + ": the audit trail would cross the"
                    + " network in clear. Use tls://, or set PROXY_AUDIT_SYSLOG_ALLOW_PLAIN_TCP=true for a receiver on a"
                    + " trusted network");
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
        StreamConfig.Stream stream = config.stream();
        problems.addAll(new SettingProblems().positive("PROXY_AUDIT_SYSLOG_TIMEOUT", syslog.timeout())
                .positive("PROXY_AUDIT_STREAM_MAX_LAG", stream.maxLag())
                .positive("PROXY_AUDIT_STREAM_POLL_INTERVAL", stream.pollInterval())
                .positive("PROXY_AUDIT_STREAM_RETRY_MAX", stream.retryMax())
                .positive("PROXY_AUDIT_STREAM_LEASE", stream.lease())
                .notNegative("PROXY_AUDIT_STREAM_CONFIRM_AFTER", stream.confirmAfter())
                .within("PROXY_AUDIT_STREAM_BATCH_SIZE", stream.batchSize(), 1, MAX_BATCH_SIZE).list());
        return problems;
    }
}
