package com.domomigrationproxy.web;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.ApiKeys;
import com.domomigrationproxy.support.OwnThreads;
import com.domomigrationproxy.support.PackagedApp;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The packaged service on a heap as small as the chart gives it survives what one caller can send
 * (security review): a thousand half-sent bodies without credentials, with a wrong key or with a
 * bearer token that does not verify (they were read into memory before authentication, and killed
 * the process), a thousand with credentials (held under a ceiling, 503 past it, each connection
 * closed once its body is late), a body in chunks under another Transfer-Encoding, and an 8 MiB
 * JSON plan of empty objects (a tree of it was built before its items were counted). After each,
 * it still migrates.
 * Runs in the integration-test phase of ./mvnw verify, after packaging.
 */
class SmallHeapIT {

    private static final String OPERATOR = "small-heap-operator-key";
    private static final int CONNECTIONS = 1_000;
    /** PROXY_BODY_DEADLINE here (10 s unless set): still running when the bodies are looked at, 3 s in. */
    private static final long BODY_DEADLINE_MILLIS = 5_000;
    private static EmbeddedPostgres postgres;
    private static PackagedApp app;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        Path keys = Files.createTempFile("api-keys", ".json");
        keys.toFile().deleteOnExit();
        Files.writeString(keys, "[{\"name\":\"operator-svc\",\"sha256\":\"" + ApiKeys.sha256(OPERATOR)
                + "\",\"roles\":[\"reader\",\"operator\"]}]");
        // The chart's heap under its 512 MiB limit is 51 MiB on JDK 25 with compact object headers and the AOT
        // cache; JDK 17 without them starts with more of it in use. 1,000 bodies of 64 KiB alone are 64 MiB.
        app = PackagedApp.start("small-heap", postgres, Map.of("DOMO_SANDBOX_ENABLED", "true",
                "PROXY_API_KEYS_FILE", keys.toString(), "PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE", "100000",
                "PROXY_BODY_DEADLINE", BODY_DEADLINE_MILLIS + "ms"),
                List.of("-Xmx96m", "-Xms96m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")).awaitReady();
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    /** No credentials, a wrong key, a bearer token that does not verify: 401, nothing held, the connection ended soon after. */
    @Test
    void halfSentBodiesWithoutAcceptedCredentialsAreNeverHeld() throws Exception {
        for (String credentials : new String[] { "", "X-API-Key: not-a-key\r\n", "Authorization: Bearer garbage\r\n" }) {
            List<Socket> sockets = halfSentBodies(credentials);
            try {
                Thread.sleep(3_000);
                assertStillServing();
            } finally {
                close(sockets);
            }
        }
        assertStillServing();
    }

    /** A Transfer-Encoding naming more than chunked is still read as chunked, and held to 64 KiB. */
    @Test
    void aBodyInChunksUnderAnotherTransferEncodingIsHeldToTheLimit() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/datasources/ds-" + UUID.randomUUID() + "/migrations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "X-API-Key: " + OPERATOR + "\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: gzip, chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) ' ');
            String answer = "";
            try {
                for (int i = 0; i < 128; i++) {
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                // the service answered and closed the connection while this was still sending
            }
            try {
                answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                // closed without an answer this side could still read: nothing of the body was kept either
            }
            assertThat(answer).isIn("HTTP/1.1 413", "HTTP/1.1 400", "");
        }
        assertStillServing();
    }

    @Test
    void halfSentBodiesWithCredentialsAreHeldUnderACeilingAndForAFewSecondsOnly() throws Exception {
        List<Socket> sockets = halfSentBodies("X-API-Key: " + OPERATOR + "\r\n");
        try {
            Thread.sleep(3_000);
            assertThat(app.process().isAlive()).isTrue();
            // Past the ceiling a body is refused, not read; the slow ones lose their connections at the deadline.
            assertThat(Files.readString(app.log())).doesNotContain("OutOfMemoryError");
            Thread.sleep(BODY_DEADLINE_MILLIS);
            assertStillServing();
        } finally {
            close(sockets);
        }
    }

    @Test
    void aJsonPlanOfMillionsOfEmptyItemsIsRefusedWithoutBuildingIt() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("{\"name\":\"m\",\"items\":[{}".getBytes(StandardCharsets.US_ASCII));
        for (int i = 1; i < 2_700_000; i++) {
            body.writeBytes(",{}".getBytes(StandardCharsets.US_ASCII));
        }
        body.writeBytes("]}".getBytes(StandardCharsets.US_ASCII));
        given().port(app.port()).header("X-API-Key", OPERATOR).contentType("application/json").body(body.toByteArray())
                .post("/api/v1/plans").then().statusCode(400)
                .body("detail", equalTo("A plan has at most 10000 items; this one has 2700000"));
        assertStillServing();
    }

    /**
     * Valid plans as large as the limit allows (10,000 items of long names, 7.6 MiB), four at once:
     * each is read, parsed, preflighted and stored in its turn (three at once killed the chart's heap
     * while only their reading and parsing took turns), or told to retry.
     */
    @Test
    void theLargestValidPlansUploadedAtOnceAreHandledInTurn() throws Exception {
        StringBuilder plan = new StringBuilder("{\"name\":\"largest\",\"direction\":\"V1_TO_V2\",\"items\":[");
        for (int i = 0; i < 10_000; i++) {
            plan.append(i == 0 ? "" : ",").append("{\"datasourceId\":\"ds-").append(i).append('-').append("x".repeat(60))
                    .append("\",\"accountId\":\"acct-").append(i % 50).append("\",\"catalog\":\"").append("c".repeat(215))
                    .append("\",\"schema\":\"").append("s".repeat(215)).append("\",\"table\":\"t").append(i)
                    .append("t".repeat(210)).append("\"}");
        }
        byte[] body = plan.append("]}").toString().getBytes(StandardCharsets.US_ASCII);
        assertThat(body.length).isBetween(7 * 1024 * 1024, 8 * 1024 * 1024);
        List<java.util.concurrent.CompletableFuture<Integer>> uploads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            uploads.add(OwnThreads.supply(() -> given().port(app.port())
                    .header("X-API-Key", OPERATOR).contentType("application/json").body(body).post("/api/v1/plans")
                    .statusCode()));
        }
        List<Integer> statuses = new ArrayList<>();
        for (var upload : uploads) {
            statuses.add(upload.get(120, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertThat(statuses).as("stored, or told to retry").isSubsetOf(201, 503).contains(201);
        assertStillServing();
    }

    /** Connections that each send a request announcing 64 KiB of body, and all of it but the last byte. */
    private static List<Socket> halfSentBodies(String credentials) throws IOException {
        String head = "POST /api/v1/datasources/ds-" + UUID.randomUUID() + "/migrations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + credentials
                + "Content-Type: application/json\r\nContent-Length: 65536\r\n\r\n{";
        byte[] request = new byte[head.length() + 65_534];
        System.arraycopy(head.getBytes(StandardCharsets.US_ASCII), 0, request, 0, head.length());
        java.util.Arrays.fill(request, head.length(), request.length, (byte) ' ');
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS && app.process().isAlive(); i++) {
            Socket socket = new Socket("127.0.0.1", app.port());
            socket.setSoTimeout(1_000);
            sockets.add(socket);
            try {
                OutputStream out = socket.getOutputStream();
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // The service answered and closed this one already: nothing of it is held.
            }
        }
        return sockets;
    }

    /** Alive, and a migration (body read, audited, sent to the sandbox) still runs. */
    private static void assertStillServing() {
        assertThat(app.process().isAlive()).as("the service is still running; see " + app.log()).isTrue();
        given().port(app.port()).header("X-API-Key", OPERATOR).contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/ds-" + UUID.randomUUID() + "/migrations").then()
                .statusCode(org.hamcrest.Matchers.lessThan(500));
        given().port(app.port()).header("X-API-Key", OPERATOR).get("/api/v1/integration-types").then().statusCode(200)
                .body(containsString("["));
    }

    private static void close(List<Socket> sockets) {
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // already closed by the service
            }
        }
    }
}
