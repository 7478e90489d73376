package com.domomigrationproxy.http;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import io.netty.channel.ChannelOutboundBuffer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;

/**
 * Ends a streamed answer (an audit export) whose client has taken none of it for too long. A
 * blocked write waits for the client to read, and Vert.x ends such a connection only after
 * {@code quarkus.http.idle-timeout} (30 minutes): until then the answer holds its thread, its
 * database connection and its turn (security review: four exports whose clients stopped reading
 * held every export of a replica). Written by hand: neither Vert.x nor Quarkus REST has a timeout
 * for one write.
 *
 * <p>A write counts as stalled while the body's writer waits in a write and the client has taken
 * no byte since (over HTTP/1.1, none has left Netty's queue for the socket); a writer busy
 * elsewhere (reading the database) is not stalled. The check runs on a
 * Vert.x timer at a tenth of the limit; a stalled answer loses its connection (HTTP/1.1; the
 * client sees a body without its end) or its stream (HTTP/2), which ends the waiting write with an
 * {@link IOException}. A write after the client closed the connection fails at once too, and
 * {@link #clientLeft()} tells a writer whose last bytes were only buffered.
 */
public final class WriteTimeout implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WriteTimeout.class);

    private final RoutingContext request;
    private final long limitNanos;
    private final AtomicInteger writing = new AtomicInteger();
    private long timer = -1;
    private long lastBytes = -1;
    private long lastProgress = System.nanoTime();
    private boolean ended;

    private WriteTimeout(RoutingContext request, Duration limit) {
        this.request = request;
        this.limitNanos = limit.toNanos();
    }

    /**
     * For the current request's answer, taken on the request's thread (the answer may be written on
     * another); outside a request (a unit test) nothing is watched.
     */
    public static WriteTimeout ofCurrentRequest(Duration limit) {
        return new WriteTimeout(RequestEnd.current(), limit);
    }

    /** The body, its writes watched from now until {@link #close()}. */
    public OutputStream watch(OutputStream body) {
        if (request == null) {
            return body;
        }
        long period = Math.max(50, Duration.ofNanos(limitNanos).toMillis() / 10);
        timer = request.vertx().setPeriodic(period, ignored -> check());
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] { (byte) b }, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                if (clientLeft()) {
                    // Vert.x takes writes to a closed connection without a word: the rest would be counted as sent.
                    throw new IOException("The client closed the connection");
                }
                writing.incrementAndGet();
                try {
                    body.write(bytes, offset, length);
                } finally {
                    writing.decrementAndGet();
                }
            }

            @Override
            public void flush() throws IOException {
                writing.incrementAndGet();
                try {
                    body.flush();
                } finally {
                    writing.decrementAndGet();
                }
            }

            @Override
            public void close() throws IOException {
                body.close();
            }
        };
    }

    /**
     * The client closed the connection (or the stall check ended it) before the answer's end: what
     * was written may still have been in buffers, and was not all received.
     */
    public boolean clientLeft() {
        return request != null && request.response().closed();
    }

    /** Runs on the timer's thread only. */
    private void check() {
        long now = System.nanoTime();
        long bytes = request.response().bytesWritten() - pendingInNetty();
        if (bytes != lastBytes || writing.get() == 0) {
            lastBytes = bytes;
            lastProgress = now;
            return;
        }
        if (now - lastProgress > limitNanos && !ended) {
            ended = true;
            request.vertx().cancelTimer(timer);
            LOG.warnf("Ended %s %s after %d bytes: its client took nothing for %d s", request.request().method(),
                    request.request().path(), bytes, Duration.ofNanos(limitNanos).toSeconds());
            if (request.request().version() == HttpVersion.HTTP_2) {
                request.response().reset(); // its stream alone
            } else if (request.request().connection() instanceof ConnectionBase connection) {
                // Closed at once, below Vert.x's handler: Vert.x's own close (the connection's, the
                // channel's, the response's reset) first waits for what is queued to be sent, which a
                // client that reads nothing never lets happen, and meanwhile let the body's end be
                // queued, so that a cut export looked complete.
                connection.channelHandlerContext().close();
            } else {
                request.request().connection().close();
            }
        }
    }

    /**
     * Over HTTP/1.1, the bytes written to the response that still wait in Netty's queue for the
     * socket: as the client reads, the queue drains, which counts as progress. A writer blocked
     * until the queue had drained far enough looked stalled for as long as that took, although a
     * slow client was taking bytes all along (probe H: steady readers at 20-40 KB/s were cut).
     */
    private long pendingInNetty() {
        if (request.request().version() != HttpVersion.HTTP_2
                && request.request().connection() instanceof ConnectionBase connection) {
            ChannelOutboundBuffer queued = connection.channel().unsafe().outboundBuffer();
            return queued == null ? 0 : queued.totalPendingWriteBytes();
        }
        return 0;
    }

    @Override
    public void close() {
        if (timer != -1) {
            request.vertx().cancelTimer(timer);
        }
    }
}
