package com.domomigrationproxy.http;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

/**
 * The largest plan upload ({@code quarkus.http.limits.max-body-size}), and its 413 problem. A plan
 * that announces its length is refused unread by {@link RequestFilter}; one sent in chunks is read
 * by the plan resource through {@link #read}, so that past the limit it too gets the problem
 * (Quarkus REST, holding the limit itself, would end the exchange with an empty 413).
 */
@ApplicationScoped
public class PlanBodyLimit {

    private static final Logger LOG = Logger.getLogger(PlanBodyLimit.class);

    private final long limit;
    private final CurrentVertxRequest request;

    @Inject
    PlanBodyLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") Optional<MemorySize> maxBodySize,
            CurrentVertxRequest request) {
        this.limit = maxBodySize.map(MemorySize::asLongValue).orElse(10L * 1024 * 1024);
        this.request = request;
    }

    public long limit() {
        return limit;
    }

    /**
     * The body, at most the limit: 413 past it, and over HTTP/1.1 the connection closed after the
     * answer, so that a client still sending the rest is not left waiting for it to be read. A body
     * that has not all arrived within {@code timeout} loses its connection (its stream over HTTP/2),
     * and the read fails.
     */
    public byte[] read(InputStream body, Duration timeout) throws IOException {
        RoutingContext current = request.getCurrent();
        // Over HTTP/1.1 the reset closes the connection and the read below fails at once; over HTTP/2 it
        // resets the stream, which does not wake the read: it fails at quarkus.http.read-timeout, which
        // closes the connection (docs/security.md).
        long deadline = current == null ? -1 : current.vertx().setTimer(timeout.toMillis(), ignored -> {
            if (!current.request().isEnded()) {
                LOG.debugf("Reset a plan upload whose body did not arrive within %s", timeout);
                current.response().reset(); // its stream (HTTP/2), or its connection
            }
        });
        byte[] read;
        try {
            read = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        } finally {
            if (deadline >= 0) {
                current.vertx().cancelTimer(deadline);
            }
        }
        if (read.length > limit) {
            boolean http1 = current != null && current.request().version() != HttpVersion.HTTP_2;
            throw http1 ? tooLarge().withHeader("Connection", "close") : tooLarge();
        }
        return read;
    }

    public ProblemException tooLarge() {
        String shown = limit % (1024 * 1024) == 0 ? limit / (1024 * 1024) + " MiB" : limit / 1024 + " KiB";
        return new ProblemException(413, ProblemType.PAYLOAD_TOO_LARGE, "The plan is too large (at most " + shown
                + "): split it into plans of fewer items");
    }
}
