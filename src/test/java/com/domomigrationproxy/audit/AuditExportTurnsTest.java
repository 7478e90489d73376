package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.TestCredentials;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.StreamResetException;

/**
 * Exports and integrity checks take turns on a replica, against the real app: one integrity check
 * at a time (a second: 503 busy once its 10 s wait lapses); four exports at once, and an export
 * whose client stops reading is ended after the write timeout (3 s in tests), which gives its turn
 * back to the fifth, waiting for one.
 */
@QuarkusTest
@Tag("timing")
class AuditExportTurnsTest {

    private static final String NDJSON = "application/x-ndjson";
    private static final String LONG_NAME = "x".repeat(250);

    @Inject
    DataSource dataSource;

    @InjectDomo
    WireMockServer domo;

    @Inject
    Vertx vertx;

    @Test
    void aSecondIntegrityCheckIsToldToRetry() throws Exception {
        // Java's HttpClient as it comes: over http:// it upgrades its connection to HTTP/2 (h2c) with
        // its first request and sends the next as HTTP/2 streams. Every GET over HTTP/2 used to be
        // held as a request body, whose 10 s deadline closed the connection (GOAWAY) before the 503.
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> first;
        try (Connection lock = dataSource.getConnection()) {
            lock.setAutoCommit(false);
            try (Statement statement = lock.createStatement()) {
                // The check's first read (nothing else in the tests reads or writes checkpoints).
                statement.execute("LOCK TABLE audit_checkpoint IN ACCESS EXCLUSIVE MODE");
            }
            first = client.sendAsync(integrity(), HttpResponse.BodyHandlers.ofString());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> waitingOnALock() >= 1);

            // One more as an HTTP/2 stream of that connection, one as the upgrade of a new connection.
            CompletableFuture<HttpResponse<String>> second = client.sendAsync(integrity(),
                    HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> third = java.net.http.HttpClient.newHttpClient()
                    .sendAsync(integrity(), HttpResponse.BodyHandlers.ofString());
            for (HttpResponse<String> busy : List.of(second.get(), third.get())) {
                assertThat(busy.statusCode()).isEqualTo(503);
                assertThat(busy.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
                assertThat(busy.headers().firstValue("Retry-After")).hasValue("10");
                assertThat(busy.body()).contains("urn:problem-type:domo-migration-proxy:busy")
                        .contains("Another integrity check is running on this replica");
            }
            lock.rollback();
        }
        assertThat(first.get().statusCode()).as("the check that had its turn").isEqualTo(200);
    }

    @Test
    void anExportWhoseClientStopsReadingIsEndedAndGivesItsTurnBack() throws Exception {
        DomoWireMock.completesEverything(domo, "T");
        int size = eventsExportOfAtLeast(1 << 20);
        List<Socket> stalled = new ArrayList<>();
        Instant opened = Instant.now();
        try {
            for (int i = 0; i < 4; i++) {
                stalled.add(exportNeverRead());
            }
            long asked = System.nanoTime();
            byte[] fifth = Api.asAuditor().accept(NDJSON).get("/api/v1/audit/events")
                    .then().statusCode(200).extract().asByteArray();
            assertThat(Duration.ofNanos(System.nanoTime() - asked))
                    .as("it waited for a turn, which came back before the 10 s wait for one lapsed")
                    .isBetween(Duration.ofSeconds(2), Duration.ofSeconds(9));
            assertThat(fifth.length).isGreaterThanOrEqualTo(size);
            // Read each only once all four were ended: reading one still waiting would let it go on.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> interruptedExportsSince(opened) >= 4);
            for (Socket socket : stalled) {
                byte[] received = readToTheEnd(socket);
                assertThat(received.length).as("the stalled export was ended before its end").isLessThan(size);
                assertThat(new String(received, StandardCharsets.ISO_8859_1)).doesNotEndWith("0\r\n\r\n");
            }
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    /**
     * A client on a slow link that keeps reading (4 KiB every 100 ms, about 40 KB/s, for three times
     * the 3 s write timeout) gets the whole export: the timeout is for a client that takes nothing.
     * A writer blocked until Vert.x's queue drained counted as stalled, although the client was
     * taking bytes all along (probe H: steady readers were cut 10-25 s in).
     */
    @Test
    void anExportWhoseClientReadsSlowlyButSteadilyIsNotCutOff() throws Exception {
        DomoWireMock.completesEverything(domo, "T");
        int size = eventsExportOfAtLeast(1 << 20);
        String requestId = "steady-" + UUID.randomUUID();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        long started = System.nanoTime();
        try (Socket socket = exportNeverRead(requestId)) {
            byte[] buffer = new byte[4096];
            for (int n = socket.getInputStream().read(buffer); n != -1; n = socket.getInputStream().read(buffer)) {
                received.write(buffer, 0, n);
                if (new String(buffer, 0, n, StandardCharsets.ISO_8859_1).endsWith("0\r\n\r\n")) {
                    break;
                }
                if (received.size() < 400_000) {
                    Thread.sleep(100); // about 40 KB/s for 10 s, three times the timeout; the rest at once
                }
            }
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("slower than the write timeout")
                .isGreaterThan(Duration.ofSeconds(9));
        assertThat(received.size()).isGreaterThanOrEqualTo(size);
        assertThat(new String(received.toByteArray(), StandardCharsets.ISO_8859_1)).endsWith("0\r\n\r\n");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> accessPhases(requestId).size() == 2);
        assertThat(accessPhases(requestId)).extracting(event -> event.get("phase").asText())
                .containsExactly("export-started", "export-finished");
    }

    /**
     * Over HTTP/2 a stalled export loses its stream, not the client's connection: a client with the
     * protocol's 64 KiB window that stops taking the body (its window never reopens) gets the
     * stream reset after the write timeout, the export is recorded as interrupted, and the same
     * connection's next request is served.
     */
    @Test
    void overHttp2AStalledExportLosesItsStreamNotTheConnection() throws Exception {
        DomoWireMock.completesEverything(domo, "T");
        int size = eventsExportOfAtLeast(1 << 20);
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false).setDefaultHost("127.0.0.1").setDefaultPort(RestAssured.port)
                .setHttp2ConnectionWindowSize(16 << 20) // the connection's window stays open for the next request
                .setInitialSettings(new Http2Settings().setInitialWindowSize(65_535)));
        Instant opened = Instant.now();
        try {
            CompletableFuture<Integer> received = new CompletableFuture<>();
            CompletableFuture<Throwable> ended = new CompletableFuture<>();
            AtomicLong bytes = new AtomicLong();
            client.request(HttpMethod.GET, "/api/v1/audit/events").compose(request -> {
                request.putHeader("X-API-Key", TestCredentials.AUDITOR_KEY).putHeader("Accept", NDJSON);
                request.exceptionHandler(ended::complete);
                return request.send();
            }).onSuccess(response -> {
                response.handler(chunk -> bytes.addAndGet(chunk.length()));
                response.exceptionHandler(ended::complete);
                response.endHandler(done -> ended.complete(null));
                response.pause(); // takes nothing more: the stream's window is not reopened
                received.complete(response.statusCode());
            }).onFailure(ended::complete);
            assertThat(received.get(20, TimeUnit.SECONDS)).isEqualTo(200);

            Throwable end = ended.get(30, TimeUnit.SECONDS);
            assertThat(end).as("the stream was reset, not ended").isInstanceOf(StreamResetException.class);
            assertThat(bytes.get()).as("the stalled export was ended before its end").isLessThan(size);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> interruptedExportsSince(opened) >= 1);

            // The connection still serves: the next export on it arrives whole.
            Buffer whole = client.request(HttpMethod.GET, "/api/v1/audit/events").compose(request -> request
                    .putHeader("X-API-Key", TestCredentials.AUDITOR_KEY).putHeader("Accept", NDJSON).send()
                    .compose(response -> {
                        assertThat(response.version()).isEqualTo(HttpVersion.HTTP_2);
                        return response.body();
                    })).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(whole.length()).isGreaterThanOrEqualTo(size);
        } finally {
            client.close();
        }
    }

    private static HttpRequest integrity() {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + RestAssured.port + "/api/v1/audit/integrity"))
                .header("X-API-Key", TestCredentials.AUDITOR_KEY).timeout(Duration.ofSeconds(60)).build();
    }

    /** Exports recorded as interrupted since then (the service records them with this JVM's clock). */
    private int interruptedExportsSince(Instant since) throws Exception {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM audit_event WHERE kind = 'AUDIT_ACCESS' AND recorded_at > ?"
                        + " AND payload LIKE '%\"phase\":\"export-interrupted\"%'")) {
            statement.setObject(1, java.sql.Timestamp.from(since));
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    private int waitingOnALock() throws Exception {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    /**
     * A client that leaves after the first bytes of an export: on the record as started, then
     * interrupted with fewer rows than the export has, and nothing else. Its end was recorded as
     * finished, the rows still buffered counted as sent, and then as a refusal nobody made (a 500
     * "answered before it was served", under no principal), each time an export was cut.
     */
    @Test
    void anExportWhoseClientLeavesIsOnTheRecordAsInterruptedAndNothingElse() throws Exception {
        DomoWireMock.completesEverything(domo, "T");
        int size = eventsExportOfAtLeast(1 << 20);
        String requestId = "left-" + UUID.randomUUID();
        try (Socket socket = exportNeverRead(requestId)) {
            assertThat(socket.getInputStream().readNBytes(100)).hasSize(100);
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> accessPhases(requestId).size() == 2);
        Thread.sleep(1_000); // the answer that followed came at once
        List<com.fasterxml.jackson.databind.JsonNode> events = accessPhases(requestId);
        assertThat(events).extracting(event -> event.get("phase").asText()).containsExactly("export-started",
                "export-interrupted");
        assertThat(events.get(1).get("rows").asLong()).as("of %d bytes", size).isLessThan(eventCount());
        assertThat(java.nio.file.Files.readAllLines(java.nio.file.Path.of("target", "quarkus-test.log")))
                .filteredOn(line -> line.contains(requestId)).isNotEmpty() // its own lines are there
                .noneMatch(line -> line.contains("before it was served"));
    }

    private long eventCount() throws Exception {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM audit_event")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** The AUDIT_ACCESS events of one request, in chain order. */
    private List<com.fasterxml.jackson.databind.JsonNode> accessPhases(String requestId) throws Exception {
        List<com.fasterxml.jackson.databind.JsonNode> events = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(
                "SELECT payload FROM audit_event WHERE kind = 'AUDIT_ACCESS' AND payload LIKE ? ORDER BY seq")) {
            statement.setString(1, "%" + requestId + "%");
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    events.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(rows.getString(1)));
                }
            }
        }
        return events;
    }

    /**
     * The size of the unfiltered events export, once migrations have made it at least this large
     * (several times what the socket buffers of a client that reads nothing take in: SmallSendBuffers).
     */
    private static int eventsExportOfAtLeast(int bytes) throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(6);
        try {
            while (true) {
                int size = Api.asAuditor().accept(NDJSON).get("/api/v1/audit/events").then().statusCode(200)
                        .extract().asByteArray().length;
                if (size >= bytes) {
                    return size;
                }
                List<Future<?>> migrations = new ArrayList<>();
                // Names of 250 characters, the most allowed is 255: about 1.7 KB of events each, fewer calls.
                for (int i = 0; i < 100 + (bytes - size) / 1700; i++) {
                    migrations.add(callers.submit(() -> Api.asOperator().contentType("application/json")
                            .body("{\"accountId\":\"1\",\"catalog\":\"" + LONG_NAME + "\",\"schema\":\"" + LONG_NAME
                                    + "\",\"table\":\"" + LONG_NAME + "\"}")
                            .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then()
                            .statusCode(200)));
                }
                for (Future<?> migration : migrations) {
                    migration.get();
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }

    /** An events export whose client reads its status line, then nothing (a small receive window). */
    private static Socket exportNeverRead() throws IOException {
        return exportNeverRead(UUID.randomUUID().toString());
    }

    private static Socket exportNeverRead(String requestId) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", RestAssured.port));
        socket.setSoTimeout(30_000);
        socket.getOutputStream().write(("GET /api/v1/audit/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: "
                + TestCredentials.AUDITOR_KEY + "\r\nX-Request-Id: " + requestId + "\r\nAccept: " + NDJSON
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != -1 && c != '\r'; c = in.read()) {
            line.append((char) c);
        }
        assertThat(line).hasToString("HTTP/1.1 200 OK");
        return socket;
    }

    /** What is left to read, until the server closes or resets the connection. */
    private static byte[] readToTheEnd(Socket socket) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        try {
            for (int n = socket.getInputStream().read(buffer); n != -1; n = socket.getInputStream().read(buffer)) {
                received.write(buffer, 0, n);
            }
        } catch (SocketException e) {
            // reset by the server: what arrived before is what counts
        }
        return received.toByteArray();
    }
}
