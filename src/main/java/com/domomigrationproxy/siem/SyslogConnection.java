package com.domomigrationproxy.siem;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemTrustOptions;

/**
 * One TCP or TLS connection to the syslog receiver, through Vert.x's NetClient (TLS with a PEM CA
 * and hostname verification, timeouts, and a close signal when the receiver goes away), used from
 * the stream's own thread, which waits for each step; a stopping service may close it from another.
 */
final class SyslogConnection implements AutoCloseable {

    private final NetClient client;
    private final String host;
    private final int port;
    private final Duration timeout;
    private volatile NetSocket socket;
    private volatile boolean open;

    private SyslogConnection(NetClient client, String host, int port, Duration timeout) {
        this.client = client;
        this.host = host;
        this.port = port;
        this.timeout = timeout;
    }

    /**
     * The client for a {@code tcp://host:port} or {@code tls://host:port} URL (StreamStartupCheck
     * refused any other); nothing connects yet.
     */
    static SyslogConnection to(Vertx vertx, URI url, Optional<Path> caFile, Duration timeout) {
        NetClientOptions options = new NetClientOptions().setConnectTimeout((int) timeout.toMillis())
                .setTcpKeepAlive(true);
        if (url.getScheme().equalsIgnoreCase("tls")) {
            options.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
            caFile.ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
        }
        return new SyslogConnection(vertx.createNetClient(options), url.getHost(), url.getPort(), timeout);
    }

    /** True from a successful connect until the receiver, the network or {@link #close()} ends it. */
    boolean open() {
        return open;
    }

    void connect() throws Exception {
        closeSocket();
        Future<NetSocket> connecting = client.connect(port, host);
        NetSocket connected;
        try {
            connected = await(connecting);
        } catch (Exception e) {
            // A connection (a TLS handshake) that completes after its deadline would stay open, unused:
            // one per retry, each a session the receiver counts against its limit (SIEM review).
            connecting.onSuccess(NetSocket::close);
            throw e;
        }
        open = true;
        connected.closeHandler(ignored -> open = false);
        connected.exceptionHandler(ignored -> open = false);
        // Receivers send nothing; whatever comes is dropped.
        connected.handler(ignored -> {
        });
        socket = connected;
    }

    /** Writes the bytes and waits until they are handed to the operating system. */
    void write(byte[] frames) throws Exception {
        if (socket == null || !open) {
            throw new IllegalStateException("not connected");
        }
        await(socket.write(Buffer.buffer(frames)));
        if (!open) {
            throw new IllegalStateException("the receiver closed the connection");
        }
    }

    void closeSocket() {
        open = false;
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }

    @Override
    public void close() {
        closeSocket();
        client.close();
    }

    private <T> T await(Future<T> future) throws Exception {
        try {
            return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            throw new TimeoutException("the syslog receiver did not take the data within " + timeout);
        }
    }
}
