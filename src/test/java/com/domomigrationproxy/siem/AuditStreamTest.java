package com.domomigrationproxy.siem;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.OwnThreads;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.PrometheusScrape;
import com.domomigrationproxy.support.Rsyslog;
import com.domomigrationproxy.support.SyslogPort;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The audit stream against a real rsyslog on a loopback port: every chain event arrives, in order,
 * with its seq and hash; rsyslog stopped in the middle of a burst of migrations and started again
 * later gets everything, with no gap.
 */
@QuarkusTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditStreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SEQ = Pattern.compile("\\{\"origin\":\"[^\"]*\",\"seq\":(\\d+)");

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @Inject
    AuditStream stream;

    @Inject
    StreamConfig streamConfig;

    @TestHTTPResource(value = "/health/group/audit-stream", management = true)
    URL streamHealth;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @BeforeEach
    void rsyslogIsThere() {
        Assumptions.assumeTrue(Rsyslog.installed(), "rsyslogd is missing (apt-get install rsyslog; .ci/run installs it)");
        DomoWireMock.completesEverything(domo, "T");
    }

    /** First: its receiver must get the whole chain, from seq 1, which only the stream's first delivery sends. */
    @Test
    @Order(1)
    void everyEventArrivesInOrderAndNothingIsLostWhileTheReceiverIsDown() throws Exception {
        Rsyslog receiver = Rsyslog.plain(Path.of("target", "rsyslog", "plain-" + System.nanoTime()).toAbsolutePath());
        try {
            receiver.start();
            migrate(3);
            // Domo echoes the token in its answer: the trail, and so the SIEM, gets it redacted.
            String echoing = Api.uniqueDatasourceId();
            domo.stubFor(post(urlMatching(DomoWireMock.DOMO_PREFIX + "/" + echoing + "/.*")).willReturn(okJson(
                    "{\"state\":\"ABORTED\",\"toe\":\"t\",\"errorMessage\":\"token " + DomoWireMock.CANARY_TOKEN
                            + " refused\"}")));
            Api.asOperator().contentType("application/json")
                    .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"stream\"}")
                    .post("/api/v1/datasources/" + echoing + "/migrations").then().statusCode(200)
                    .body("state", equalTo("ABORTED"));
            long head = head();
            await().atMost(Duration.ofSeconds(60)).until(() -> highest(receiver) >= head);
            assertComplete(receiver, head);
            String delivered = String.join("\n", receiver.received());
            assertThat(delivered).contains(echoing, "token [redacted] refused")
                    .doesNotContainIgnoringCase(DomoWireMock.CANARY_TOKEN);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                    .statusCode(200).body("checks[0].data.backlog", equalTo(0)));

            // Down in the middle of a burst: some migrations before, the rest while rsyslog is away.
            CompletableFuture<Void> burst = OwnThreads.run(() -> migrate(12));
            await().atMost(Duration.ofSeconds(60)).until(() -> highest(receiver) > head + 4);
            receiver.stop();
            burst.get();
            migrate(2);
            long whileDown = head();
            // The backlog grows older than PROXY_AUDIT_STREAM_MAX_LAG (3 s in tests): the group is DOWN.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                    .statusCode(503).body("status", equalTo("DOWN"))
                    .body("checks[0].data.lastFailure", org.hamcrest.Matchers.matchesPattern("[a-z-]+: [A-Za-z]+"))
                    // The exception that failed, not the service's wrapper (SIEM review).
                    .body("checks[0].data.lastFailure", org.hamcrest.Matchers.not(
                            org.hamcrest.Matchers.containsString("StreamFailure"))));
            // The backlog's gauge is the last reading, which a retry's wait may leave older than the lag.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                PrometheusScrape scrape = PrometheusScrape.of(metrics);
                assertThat(scrape.value("audit_stream_failures_total", Map.of("reason", "connect"))).isPositive();
                assertThat(scrape.value("audit_stream_backlog_events", Map.of())).isPositive();
            });

            receiver.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> highest(receiver) >= whileDown);
            assertComplete(receiver, whileDown);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                    .statusCode(200).body("status", equalTo("UP")).body("checks[0].data.backlog", equalTo(0)));
        } finally {
            receiver.stop();
        }
    }

    /**
     * A failover to a standby that had not received the chain's newest events: they are gone, and
     * the next events take their seqs. The replica that delivered the lost ones goes back to where
     * the database's cursor stands and delivers the new ones, instead of reading on after seqs the
     * chain now uses for other events.
     */
    @Test
    @Order(2)
    void afterTheDatabaseLostItsNewestEventsTheNewOnesWithTheSameSeqsAreDelivered() throws Exception {
        Rsyslog receiver = Rsyslog.plain(Path.of("target", "rsyslog", "failover-" + System.nanoTime()).toAbsolutePath());
        try {
            receiver.start();
            migrate(1);
            long kept = head(); // the chain up to the migration is kept; the integrity reads after it are lost
            long lost = head();
            head();
            long delivered = head();
            await().atMost(Duration.ofSeconds(60)).until(() -> highest(receiver) >= delivered);
            assertThat(lost).isEqualTo(kept + 1);

            // What the promoted standby has: the chain, its head and the stream's cursor as they were at `kept`.
            String hashAtKept = eventHash(kept);
            PostgresAdmin.tamper("DELETE FROM audit_event WHERE seq > " + kept,
                    "UPDATE audit_chain_head SET seq = " + kept + ", hash = '" + hashAtKept + "', prev_hash = (SELECT"
                            + " prev_hash FROM audit_event WHERE seq = " + kept + ")",
                    "UPDATE audit_stream_cursor SET seq = " + kept + ", hash = '" + hashAtKept + "'");
            migrate(1);
            long now = head();
            assertThat(now).isGreaterThan(kept);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                for (long seq = kept + 1; seq <= now; seq++) {
                    assertThat(receivedHashes(receiver, seq)).as("seq %d as the chain now has it", seq)
                            .contains(eventHash(seq));
                }
            });
            Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
        } finally {
            receiver.stop();
        }
    }

    /**
     * A receiver that dies with delivered events still unread in its buffers (kill -9 of a slow
     * SIEM collector) loses them, although the connection outlived them and the cursor moved on:
     * TCP tells the sender nothing of what the receiving program read. Once a receiver takes
     * connections again, however many attempts that takes, they arrive again (probe H: 1,127 events
     * were never sent again). Then the stream settles: the cursor goes on, the lease is kept, and a
     * second break sends nothing a third time.
     */
    @Test
    @Order(3)
    void eventsAReceiverDiedWithUnreadAreSentAgainOnTheNextConnection() throws Exception {
        migrate(1);
        long before = head();
        long head;
        try (ServerSocket listener = listen(); Socket unread = listener.accept()) {
            migrate(2);
            head = head();
            // The connection outlives them: confirmed, the cursor past them, the backlog empty.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                    .statusCode(200).body("checks[0].data.backlog", equalTo(0)));
            unread.setSoLinger(true, 0); // dies: what waited unread in its buffers is gone (RST)
        }
        // Where delivery starts again is kept with the cursor, for whichever replica delivers next.
        await().atMost(Duration.ofSeconds(10)).until(() -> resendSeq() != null && resendSeq() <= before);
        // Down for a few attempts (retries back off to 1 s here) before it takes connections again.
        Thread.sleep(2_500);
        try (ServerSocket listener = listen()) {
            try (Socket next = listener.accept()) {
                StringBuilder received = new StringBuilder();
                Set<Long> seqs = readUntilAll(next, received, before + 1, head);
                // Settled: new events go out on this connection, past the lease's 3 s, and the group is UP.
                Thread.sleep(4_000);
                migrate(1);
                long newest = head();
                while (!seqs.contains(newest)) {
                    seqs.addAll(readSeqs(next, received, Duration.ofSeconds(30)));
                }
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString())
                        .then().statusCode(200).body("status", equalTo("UP")).body("checks[0].data.backlog", equalTo(0)));
                next.setSoLinger(true, 0); // breaks again, with what it was sent again long read
            }
            try (Socket third = listener.accept()) {
                // Only what was first confirmed on the second connection comes again: the newest events.
                StringBuilder received = new StringBuilder();
                Set<Long> again = new TreeSet<>();
                try {
                    while (true) {
                        again.addAll(readSeqs(third, received, Duration.ofSeconds(3)));
                    }
                } catch (SocketTimeoutException quiet) {
                    // nothing more came
                }
                assertThat(again).as("sent a third time").noneMatch(seq -> seq <= head);
            }
        }
    }

    /**
     * The replica that delivered last, its connection broken with events perhaps unread, gave the
     * stream up (its receiver was down longer than its lease): the replica that takes it over sends
     * them again. Where to start again was kept in memory only, and lost with the lease. The test
     * plays that other replica (the cursor row as it leaves it); the service takes the stream over.
     */
    @Test
    @Order(4)
    void aReplicaTakingTheStreamOverSendsAgainWhatTheLastHoldersBrokenConnectionMayHaveLeftUnread() throws Exception {
        long before;
        long head;
        try (ServerSocket listener = listen()) {
            try (Socket first = listener.accept()) {
                migrate(1);
                before = head();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                        .statusCode(200).body("checks[0].data.backlog", equalTo(0)));
                // Another replica takes the stream: the service stops delivering and closes its connection.
                PostgresAdmin.tamper("UPDATE audit_stream_cursor SET holder = 'replica-b',"
                        + " lease_until = now() + interval '30 seconds'");
                first.setSoTimeout(10_000);
                while (first.getInputStream().read(new byte[1 << 16]) != -1) {
                    // what the service sent before it let go
                }
                migrate(2);
                head = head();
                // Replica B delivered them, its connection broke, and it stopped: its lease runs out.
                PostgresAdmin.tamper("UPDATE audit_stream_cursor SET seq = " + head
                        + ", hash = (SELECT hash FROM audit_event WHERE seq = " + head + "), resend_seq = " + before
                        + ", resend_hash = (SELECT hash FROM audit_event WHERE seq = " + before + "), resend_for_seq = "
                        + head + ", lease_until = now() - interval '1 second'");
            }
            try (Socket next = listener.accept()) {
                readUntilAll(next, new StringBuilder(), before + 1, head);
                // Sent again and confirmed: the cursor stands at least at them again. The point kept with it is
                // not cleared: it covers this connection's recent window, for a successor if this replica dies.
                long sentAgainTo = head;
                await().atMost(Duration.ofSeconds(30)).until(() -> cursorSeq() >= sentAgainTo
                        && (resendSeq() == null || resendSeq() <= cursorSeq()));
            }
        } finally {
            // Undone however the test ended: the next class would wait out replica B's lease (StreamCursorTest).
            PostgresAdmin.tamper("UPDATE audit_stream_cursor SET holder = NULL, lease_until = NULL"
                    + " WHERE holder = 'replica-b'");
        }
    }

    /**
     * A replica that stops (a rollout) takes its socket buffers along: what it wrote in its last
     * seconds and counted as delivered may never have reached the receiving program. Whichever
     * replica delivers next sends it again. The test stops the service's stream and starts it again,
     * as a replica that goes away and one that comes up.
     */
    @Test
    @Order(5)
    void eventsAStoppingReplicaLeftInItsSocketBuffersAreSentAgainByTheNext() throws Exception {
        long before;
        long head;
        boolean stopped = false;
        boolean restarted = false;
        try (ServerSocket listener = listen()) {
            try (Socket unread = listener.accept()) {
                before = head();
                migrate(2);
                head = head();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                        .statusCode(200).body("checks[0].data.backlog", equalTo(0)));
                // Kept with the cursor as it moved, before any stop: a replica killed outright leaves it too.
                await().atMost(Duration.ofSeconds(30)).until(() -> resendSeq() != null && resendSeq() <= before);
                stopped = true;
                stream.onStop(null);
                assertThat(resendSeq()).as("where the next holder starts again").isNotNull().isLessThanOrEqualTo(before);
                unread.setSoLinger(true, 0);
            }
            stream.onStart(null, streamConfig);
            restarted = true;
            try (Socket next = listener.accept()) {
                readUntilAll(next, new StringBuilder(), before + 1, head);
                long sentAgainTo = head;
                await().atMost(Duration.ofSeconds(30)).until(() -> cursorSeq() >= sentAgainTo);
            }
        } finally {
            if (stopped && !restarted) {
                stream.onStart(null, streamConfig);
            }
        }
    }

    /**
     * A replica that stalled past its lease (a long pause) while another held the stream, and takes
     * the lease back, goes on from where that one left the cursor and what it kept to send again,
     * not from what it had sent itself. The test plays the other replica in one step, while the
     * service is idle: it took the stream, its connection broke, and it stopped, leaving where to
     * send again from.
     */
    @Test
    @Order(6)
    void aReplicaTakingItsLeaseBackAfterAnotherHeldItSendsAgainWhatThatOneKept() throws Exception {
        try (ServerSocket listener = listen(); Socket connection = listener.accept()) {
            StringBuilder received = new StringBuilder();
            migrate(1);
            long before = head();
            migrate(2);
            long head = head();
            readUntilAll(connection, received, before + 1, head);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                    .statusCode(200).body("checks[0].data.backlog", equalTo(0)));
            PostgresAdmin.tamper("UPDATE audit_stream_cursor SET holder = NULL, lease_until = NULL, resend_seq = " + before
                    + ", resend_hash = (SELECT hash FROM audit_event WHERE seq = " + before + "), resend_for_seq = seq");
            received.setLength(0);
            readUntilAll(connection, received, before + 1, head);
            await().atMost(Duration.ofSeconds(30)).until(() -> cursorSeq() >= head);
        }
    }

    /**
     * A replica that does not hold the stream meets a database outage: its health shows the
     * failure, and once the database answers its lease query again, no longer does (the failure
     * stayed on it for good, and its WARN never got its INFO). The test plays the replica that
     * holds the stream, and takes the service's table away for the outage.
     */
    @Test
    @Order(7)
    void aReplicaThatDoesNotDeliverForgetsADatabaseOutageOnceTheDatabaseAnswers() throws Exception {
        try {
            PostgresAdmin.tamper("UPDATE audit_stream_cursor SET holder = 'replica-b', lease_until = now() + interval '5 minutes'");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                    .body("checks[0].data.delivering", equalTo(false)));
            PostgresAdmin.asSuperuser("ALTER TABLE audit_stream_cursor RENAME TO audit_stream_cursor_away");
            try {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                        .body("checks[0].data.lastFailure", org.hamcrest.Matchers.startsWith("database: ")));
            } finally {
                PostgresAdmin.asSuperuser("ALTER TABLE audit_stream_cursor_away RENAME TO audit_stream_cursor");
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get(streamHealth.toString()).then()
                    .body("checks[0].data.delivering", equalTo(false))
                    .body("checks[0].data.lastFailure", org.hamcrest.Matchers.nullValue()));
            assertThat(java.nio.file.Files.readString(Path.of("target", "quarkus-test.log")))
                    .contains("Audit stream: the database answers again; another replica delivers");
        } finally {
            PostgresAdmin.tamper("UPDATE audit_stream_cursor SET holder = NULL, lease_until = NULL WHERE holder = 'replica-b'");
        }
    }

    private long cursorSeq() {
        return (Long) OperationRows.query(dataSource, "SELECT seq FROM audit_stream_cursor").get(0).get("seq");
    }

    private Long resendSeq() {
        return (Long) OperationRows.query(dataSource, "SELECT resend_seq FROM audit_stream_cursor").get(0).get("resend_seq");
    }

    private static ServerSocket listen() throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress("127.0.0.1", SyslogPort.port()));
        listener.setSoTimeout(30_000);
        return listener;
    }

    /** Reads from the connection until it brought every seq from {@code from} to {@code to}; the seqs it brought. */
    private static Set<Long> readUntilAll(Socket socket, StringBuilder received, long from, long to) throws IOException {
        Set<Long> seqs = new TreeSet<>();
        Set<Long> wanted = LongStream.rangeClosed(from, to).boxed().collect(Collectors.toSet());
        while (!seqs.containsAll(wanted)) {
            seqs.addAll(readSeqs(socket, received, Duration.ofSeconds(30)));
        }
        return seqs;
    }

    /** Reads once more from the connection into {@code received}; the seqs of every message it holds. */
    private static Set<Long> readSeqs(Socket socket, StringBuilder received, Duration within) throws IOException {
        socket.setSoTimeout((int) within.toMillis());
        byte[] buffer = new byte[1 << 16];
        int n = socket.getInputStream().read(buffer);
        assertThat(n).as("the connection stays open").isPositive();
        received.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        Set<Long> seqs = new TreeSet<>();
        Matcher found = SEQ.matcher(received);
        while (found.find()) {
            seqs.add(Long.parseLong(found.group(1)));
        }
        return seqs;
    }

    private static String eventHash(long seq) {
        return Api.asAuditor().queryParam("fromSeq", seq).queryParam("toSeq", seq).get("/api/v1/audit/events").then()
                .statusCode(200).extract().jsonPath().getString("items[0].hash");
    }

    private static List<String> receivedHashes(Rsyslog receiver, long seq) {
        List<String> hashes = new ArrayList<>();
        for (String line : receiver.received()) {
            try {
                JsonNode message = JSON.readTree(line.trim());
                if (message.get("seq").asLong() == seq) {
                    hashes.add(message.get("hash").asText());
                }
            } catch (Exception e) {
                // a line still being written
            }
        }
        return hashes;
    }

    /**
     * Every seq from 1 to {@code head} arrived (duplicates allowed: at least once), first arrivals in
     * ascending order, each with the hash and payload the chain has.
     */
    private static void assertComplete(Rsyslog receiver, long head) throws Exception {
        Map<Long, JsonNode> first = new LinkedHashMap<>();
        List<Long> order = new ArrayList<>();
        for (String line : receiver.received()) {
            JsonNode message = JSON.readTree(line.trim());
            long seq = message.get("seq").asLong();
            if (first.putIfAbsent(seq, message) == null) {
                order.add(seq);
            }
        }
        assertThat(order).as("first arrivals in sequence order").isSorted();
        for (long seq = 1; seq <= head; seq++) {
            assertThat(first).as("seq %d arrived", seq).containsKey(seq);
        }
        JsonNode chain = JSON.readTree(Api.asAuditor().queryParam("fromSeq", Math.max(1, head - 40)).queryParam("toSeq", head)
                .queryParam("limit", 500).get("/api/v1/audit/events").then().statusCode(200).extract().asString());
        for (JsonNode event : chain.get("items")) {
            JsonNode received = first.get(event.get("seq").asLong());
            assertThat(received.get("hash").asText()).isEqualTo(event.get("hash").asText());
            assertThat(received.get("prevHash").asText()).isEqualTo(event.get("prevHash").asText());
            assertThat(received.get("payload").asText()).isEqualTo(event.get("payload").asText());
            assertThat(received.get("type").asText()).isEqualTo(event.get("type").asText());
            assertThat(received.get("origin").asText()).isEqualTo("domo-migration-proxy");
        }
    }

    private static long highest(Rsyslog receiver) {
        long highest = 0;
        for (String line : receiver.received()) {
            try {
                highest = Math.max(highest, JSON.readTree(line.trim()).get("seq").asLong());
            } catch (Exception e) {
                // a line still being written
            }
        }
        return highest;
    }

    private static long head() {
        return Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).extract().jsonPath().getLong("lastSeq");
    }

    private static void migrate(int count) {
        for (int i = 0; i < count; i++) {
            Api.asOperator().contentType("application/json")
                    .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"stream\"}")
                    .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then().statusCode(200);
        }
    }
}
