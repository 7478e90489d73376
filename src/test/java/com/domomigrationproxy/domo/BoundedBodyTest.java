package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;

/**
 * An endless answer is cut off at the limit and its connection reset, so that it is neither
 * buffered nor drained: the upstream sees its writes fail soon after the limit was read. Both ways
 * an answer is read: a write's body streamed to the blocked caller (REST client and
 * {@link BoundedBody}), and a read's body gathered on the event loop ({@link HttpDomoUpstream}).
 */
@QuarkusTest
class BoundedBodyTest {

    @Inject
    DomoConfig config;
    @Inject
    DomoTokenProvider tokens;
    @Inject
    Vertx vertx;

    private static final int LIMIT = 64 * 1024;

    private ServerSocket server;
    private Thread writer;
    private final AtomicLong written = new AtomicLong();
    private final AtomicBoolean writesFailed = new AtomicBoolean();

    @BeforeEach
    void startAnEndlessUpstream() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        writer = new Thread(this::serveForever, "endless-upstream");
        writer.setDaemon(true);
        writer.start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    @Test
    void anEndlessBodyOfAWriteIsCutOffAndTheConnectionReset() {
        DomoApi api = QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create("http://127.0.0.1:" + server.getLocalPort()))
                .readTimeout(10, TimeUnit.SECONDS)
                // No proxy, as HttpDomoUpstream's client (the tests' global one is a closed port).
                .proxyAddress("none", 0)
                .disableDefaultMapper(true)
                .register(new BoundedBody(LIMIT, Duration.ofSeconds(10)))
                .build(DomoApi.class);
        try (Response response = api.reverse("not-a-real-token", "ds-1")) {
            assertThat(response.getStatus()).isEqualTo(200);
            assertThatThrownBy(() -> response.readEntity(byte[].class))
                    .satisfies(failure -> assertThat(HttpDomoUpstream.kind(failure))
                            .isEqualTo(DomoTransportException.Kind.TOO_LARGE));
        }
        assertTheUpstreamWasCutOff();
    }

    @Test
    void anEndlessBodyOfAReadIsCutOffAndTheConnectionReset() {
        HttpDomoUpstream upstream = new HttpDomoUpstream(endlessUpstreamConfig(), tokens, vertx);
        try {
            assertThatThrownBy(() -> upstream.candidates("1").await().atMost(Duration.ofSeconds(10)))
                    .isInstanceOfSatisfying(DomoTransportException.class,
                            failure -> assertThat(failure.kind()).isEqualTo(DomoTransportException.Kind.TOO_LARGE));
            assertTheUpstreamWasCutOff();
        } finally {
            upstream.close();
        }
    }

    private void assertTheUpstreamWasCutOff() {
        await().atMost(Duration.ofSeconds(10)).untilTrue(writesFailed);
        // What was sent beyond the limit is what sat in socket buffers when the connection was reset.
        assertThat(written.get()).isLessThan(64L * 1024 * 1024);
    }

    /** The application's Domo settings, with the endless upstream as Domo and LIMIT as the size limit. */
    private DomoConfig endlessUpstreamConfig() {
        URI endless = URI.create("http://127.0.0.1:" + server.getLocalPort());
        return (DomoConfig) Proxy.newProxyInstance(DomoConfig.class.getClassLoader(), new Class<?>[] { DomoConfig.class },
                (proxy, method, arguments) -> switch (method.getName()) {
                    case "baseUrl" -> Optional.of(endless);
                    case "maxResponseSize" -> new MemorySize(BigInteger.valueOf(LIMIT));
                    default -> {
                        try {
                            yield method.invoke(config, arguments);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }
                });
    }

    private void serveForever() {
        try (Socket socket = server.accept()) {
            InputStream in = socket.getInputStream();
            byte[] request = new byte[8192];
            in.read(request);
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = ("2000\r\n" + "[".repeat(0x2000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            while (true) {
                out.write(chunk);
                written.addAndGet(0x2000);
            }
        } catch (IOException e) {
            writesFailed.set(true);
        }
    }
}
