package com.domomigrationproxy.siem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.ChainEvent;
import com.domomigrationproxy.support.Rsyslog;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.vertx.core.Vertx;

/**
 * The stream's TLS connection against a real rsyslog with a throwaway CA: messages arrive over TLS
 * when the configured CA signed the receiver's certificate, and the connection is refused when
 * another CA did.
 */
class SyslogTlsTest {

    @Test
    void deliversOverTlsOnlyToAReceiverTheConfiguredCaVouchesFor() throws Exception {
        Assumptions.assumeTrue(Rsyslog.installed(), "rsyslogd is missing (apt-get install rsyslog rsyslog-openssl)");
        Assumptions.assumeTrue(Files.isReadable(Path.of("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so"))
                || Files.isReadable(Path.of("/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_ossl.so")),
                "rsyslog's TLS driver is missing (apt-get install rsyslog-openssl; .ci/run installs it)");
        Path directory = Path.of("target", "rsyslog", "tls-" + System.nanoTime()).toAbsolutePath();
        Files.createDirectories(directory);
        openssl(directory, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
                "-days", "1", "-subj", "/CN=throwaway syslog CA");
        openssl(directory, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca-key.pem", "-out",
                "other-ca.pem", "-days", "1", "-subj", "/CN=another CA");
        openssl(directory, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1");
        Files.writeString(directory.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        openssl(directory, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext");

        Rsyslog receiver = Rsyslog.tls(directory, directory.resolve("ca.pem"), directory.resolve("server.pem"),
                directory.resolve("server-key.pem"));
        Vertx vertx = Vertx.vertx();
        URI url = URI.create("tls://127.0.0.1:" + receiver.port());
        try {
            receiver.start();
            SyslogMessages messages = new SyslogMessages("domo-migration-proxy", "test-host", "domo-migration-proxy",
                    new ObjectMapper());
            try (SyslogConnection connection = SyslogConnection.to(vertx, url, Optional.of(directory.resolve("ca.pem")),
                    Duration.ofSeconds(10))) {
                connection.connect();
                connection.write(messages.frames(List.of(event(1), event(2))));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received().size() >= 2);
            ObjectMapper json = new ObjectMapper();
            assertThat(receiver.received()).extracting(line -> json.readTree(line.trim()).get("seq").asLong())
                    .containsExactly(1L, 2L);

            try (SyslogConnection untrusted = SyslogConnection.to(vertx, url, Optional.of(directory.resolve("other-ca.pem")),
                    Duration.ofSeconds(10))) {
                assertThatThrownBy(untrusted::connect).isInstanceOf(Exception.class);
            }

            // A handshake that ends after the deadline: the connection it made is closed, not left open
            // beside the next attempt's (SIEM review).
            try (ServerSocket relay = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                    SyslogConnection late = SyslogConnection.to(vertx, URI.create("tls://127.0.0.1:"
                            + relay.getLocalPort()), Optional.of(directory.resolve("ca.pem")), Duration.ofSeconds(1))) {
                CompletableFuture<Boolean> closedByClient = CompletableFuture.supplyAsync(
                        () -> relayedLate(relay, receiver.port()));
                assertThatThrownBy(late::connect).isInstanceOf(TimeoutException.class);
                assertThat(closedByClient.get(30, TimeUnit.SECONDS)).as("the client closed the late connection").isTrue();
            }
        } finally {
            receiver.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    private static ChainEvent event(long seq) {
        return new ChainEvent(seq, "INTENT", UUID.randomUUID(), null, Instant.now(), "0".repeat(64), "a".repeat(64),
                "{\"event\":\"INTENT\",\"table\":\"Zürich\"}");
    }

    /**
     * Takes one connection, relays it to the receiver only after two seconds, and tells whether the
     * client closed it within ten seconds after that (false: it stayed open).
     */
    private static boolean relayedLate(ServerSocket relay, int receiverPort) {
        try (Socket client = relay.accept()) {
            Thread.sleep(2_000);
            try (Socket receiver = new Socket(InetAddress.getLoopbackAddress(), receiverPort)) {
                Thread back = new Thread(() -> {
                    try {
                        receiver.getInputStream().transferTo(client.getOutputStream());
                    } catch (IOException ignored) {
                        // either side closed
                    }
                });
                back.setDaemon(true);
                back.start();
                client.setSoTimeout(10_000);
                client.getInputStream().transferTo(receiver.getOutputStream());
                return true;
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the client: closed too
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void openssl(Path directory, String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(output).isZero();
    }
}
