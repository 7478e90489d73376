package com.domomigrationproxy.domo;

import java.io.IOException;
import java.io.InputStream;

import jakarta.ws.rs.client.ClientRequestContext;
import jakarta.ws.rs.client.ClientResponseContext;

import org.jboss.resteasy.reactive.client.spi.ResteasyReactiveClientRequestContext;
import org.jboss.resteasy.reactive.client.spi.ResteasyReactiveClientResponseFilter;

import io.vertx.core.http.HttpClientRequest;

/**
 * Bounds what is read of one Domo answer, in bytes and in time. A response filter, because only
 * here can the client reach the connection: past the limit (or the deadline) the exchange is
 * reset, so that an endless body is neither buffered nor drained (closing the REST client's
 * stream would drain it to the end). Written by hand: the REST client has no response size limit.
 */
final class BoundedBody implements ResteasyReactiveClientResponseFilter {

    private final long maxBytes;
    private final long deadlineNanos;

    BoundedBody(long maxBytes, java.time.Duration deadline) {
        this.maxBytes = maxBytes;
        this.deadlineNanos = deadline.toNanos();
    }

    /** More bytes than allowed: nothing of the answer is used. */
    static final class TooLarge extends IOException {
        TooLarge(long maxBytes) {
            super("Domo's answer is longer than " + maxBytes + " bytes");
        }
    }

    /** The deadline passed while the body was still arriving. */
    static final class TooSlow extends IOException {
        TooSlow() {
            super("Domo's answer did not arrive within the deadline");
        }
    }

    /**
     * The rule of both ways an answer is read (here, and {@link HttpDomoUpstream}'s reads): once the
     * deadline has passed, or more than {@code maxBytes} have arrived, no more of it is read. Null
     * while reading may go on.
     */
    static IOException exceeded(long read, long maxBytes, long deadlineNanos) {
        if (System.nanoTime() > deadlineNanos) {
            return new TooSlow();
        }
        return read > maxBytes ? new TooLarge(maxBytes) : null;
    }

    @Override
    public void filter(ResteasyReactiveClientRequestContext request, ClientResponseContext response) {
        InputStream body = response.getEntityStream();
        if (body == null) {
            return;
        }
        HttpClientRequest exchange = request.unwrap(HttpClientRequest.class);
        long declared = response.getLength();
        response.setEntityStream(new Bounded(body, exchange, declared > maxBytes,
                System.nanoTime() + deadlineNanos));
    }

    @Override
    public void filter(ClientRequestContext request, ClientResponseContext response) {
        filter((ResteasyReactiveClientRequestContext) request, response);
    }

    private final class Bounded extends InputStream {
        private final InputStream body;
        private final HttpClientRequest exchange;
        private final boolean declaredTooLarge;
        private final long deadline;
        private long read;
        private boolean ended;

        Bounded(InputStream body, HttpClientRequest exchange, boolean declaredTooLarge, long deadline) {
            this.body = body;
            this.exchange = exchange;
            this.declaredTooLarge = declaredTooLarge;
            this.deadline = deadline;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (declaredTooLarge) {
                throw abort(new TooLarge(maxBytes));
            }
            IOException exceeded = exceeded(read, maxBytes, deadline); // before a read that may block
            if (exceeded != null) {
                throw abort(exceeded);
            }
            int n = body.read(buffer, offset, length);
            if (n < 0) {
                ended = true;
            }
            if (n > 0) {
                read += n;
                if (read > maxBytes) {
                    throw abort(new TooLarge(maxBytes));
                }
            }
            return n;
        }

        /**
         * An answer not read to its end (the caller's deadline interrupted the read) is reset: closing
         * the REST client's stream alone would drain it in the background, holding the connection for
         * as long as Domo (or a proxy) keeps sending.
         */
        @Override
        public void close() throws IOException {
            if (!ended) {
                abort(null);
            }
            body.close();
        }

        private IOException abort(IOException why) {
            if (exchange != null) {
                exchange.reset();
            }
            return why;
        }
    }
}
