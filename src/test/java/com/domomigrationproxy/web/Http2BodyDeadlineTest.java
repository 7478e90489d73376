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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.TestCredentials;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/**
 * Over HTTP/2 a body that stops arriving loses its stream at the body's deadline (10 s), and the
 * client's other streams on the same connection go on.
 */
@QuarkusTest
@Tag("timing")
class Http2BodyDeadlineTest {

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
            assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(Duration.ofSeconds(9));
        }
        HttpResponse<Void> after = client.send(get(), HttpResponse.BodyHandlers.discarding());
        assertThat(after.statusCode()).as("the connection's other streams go on").isEqualTo(200);
        assertThat(after.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    private static HttpRequest get() {
        return HttpRequest.newBuilder(URI.create(base() + "/api/v1/audit/operations?limit=1"))
                .header("X-API-Key", TestCredentials.AUDITOR_KEY).build();
    }

    private static String base() {
        return "http://127.0.0.1:" + RestAssured.port;
    }
}
