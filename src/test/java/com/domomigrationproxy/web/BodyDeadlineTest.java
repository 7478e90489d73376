package com.domomigrationproxy.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.OwnThreads;
import com.domomigrationproxy.support.TestCredentials;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/**
 * A body that stops arriving, or arrives a byte at a time, loses its connection at the body's
 * deadline ({@code PROXY_BODY_DEADLINE}: 10 s, 5 s in the tests); over HTTP/2 it loses its stream, and the client's other streams go on.
 */
@QuarkusTest
@Tag("timing")
class BodyDeadlineTest {

    @Test
    void aBodyThatStopsArrivingLosesItsStreamNotTheConnection() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        assertThat(client.send(get(), HttpResponse.BodyHandlers.discarding()).version())
                .isEqualTo(HttpClient.Version.HTTP_2);
        try (SubmissionPublisher<ByteBuffer> body = new SubmissionPublisher<>()) {
            // No length announced: HTTP/2 needs none, and the body is read as it comes.
            var stalled = client.sendAsync(HttpRequest.newBuilder(URI.create(base() + "/api/v1/datasources/"
                    + Api.uniqueDatasourceId() + "/migrations")).header("X-API-Key", TestCredentials.OPERATOR_KEY)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.fromPublisher(body))
                    .build(), HttpResponse.BodyHandlers.ofString());
            body.submit(ByteBuffer.wrap("{\"accountId\":".getBytes(StandardCharsets.UTF_8)));
            long sent = System.nanoTime();
            assertThatThrownBy(() -> stalled.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("RST_STREAM");
            // The tests' 5 s, not the default 10 s.
            assertThat(Duration.ofNanos(System.nanoTime() - sent)).isBetween(Duration.ofSeconds(4),
                    Duration.ofMillis(9_500));
        }
        HttpResponse<Void> after = client.send(get(), HttpResponse.BodyHandlers.discarding());
        assertThat(after.statusCode()).as("the connection's other streams go on").isEqualTo(200);
        assertThat(after.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    /**
     * Over HTTP/1.1 a body that stops arriving, or arrives a byte at a time, loses its connection at
     * the deadline, unanswered, and Domo is not called: a caller with a valid key cannot hold a
     * connection and its body's memory for as long as it likes.
     */
    @Test
    void overHttp11ABodyCutShortOrDrippingLosesItsConnectionAtTheDeadline() throws Exception {
        // Both at once: each waits out the deadline.
        CompletableFuture<Void> dripping = OwnThreads.run(() -> loseConnectionAtTheDeadline(true));
        loseConnectionAtTheDeadline(false);
        dripping.get(30, TimeUnit.SECONDS);
    }

    private static void loseConnectionAtTheDeadline(boolean drip) {
        String body = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(30_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nX-API-Key: " + TestCredentials.OPERATOR_KEY + "\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + (body.length() + (drip ? 0 : 100))
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            long sent = System.nanoTime();
            boolean closed = false;
            if (drip) {
                // A byte every 400 ms: the whole body would take about 30 s.
                for (int i = 0; i < body.length() && !closed; i++) {
                    try {
                        out.write(body.charAt(i));
                        out.flush();
                        Thread.sleep(400);
                    } catch (java.io.IOException e) {
                        closed = true;
                    }
                }
            } else {
                out.write(body.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            byte[] answer = socket.getInputStream().readAllBytes();
            Duration waited = Duration.ofNanos(System.nanoTime() - sent);
            assertThat(new String(answer, StandardCharsets.US_ASCII)).as(drip ? "dripping" : "cut short").isEmpty();
            assertThat(waited).as(drip ? "dripping" : "cut short").isBetween(Duration.ofSeconds(4),
                    Duration.ofMillis(9_500)); // the tests' 5 s, not the default 10 s
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static HttpRequest get() {
        return HttpRequest.newBuilder(URI.create(base() + "/api/v1/audit/operations?limit=1"))
                .header("X-API-Key", TestCredentials.AUDITOR_KEY).build();
    }

    private static String base() {
        return "http://127.0.0.1:" + RestAssured.port;
    }
}
