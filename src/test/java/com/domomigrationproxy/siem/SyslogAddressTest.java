package com.domomigrationproxy.siem;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;

/**
 * A receiver written as an IPv6 address ({@code tcp://[::1]:port}, as RFC 3986 writes one) is
 * reached at that address, over TLS too: the URL's brackets are no part of the host to connect to
 * nor of the name its certificate must carry (an IP address entry {@code ::1}).
 */
class SyslogAddressTest {

    @BeforeEach
    void ipv6Loopback() {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            Assumptions.assumeTrue(probe.isBound());
        } catch (IOException e) {
            Assumptions.abort("this machine has no IPv6 loopback (::1): " + e.getMessage());
        }
    }

    @Test
    void reachesAReceiverWrittenAsAnIpv6Address() throws Exception {
        try (ServerSocket receiver = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            assertThat(receivedOver(receiver, "tcp", Optional.empty())).isEqualTo("hello");
        }
    }

    @Test
    void verifiesAnIpv6ReceiversCertificateByItsAddress() throws Exception {
        Path directory = Path.of("target", "syslog-ipv6-" + System.nanoTime()).toAbsolutePath();
        Files.createDirectories(directory);
        openssl(directory, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
                "-days", "1", "-subj", "/CN=syslog receiver", "-addext", "subjectAltName=IP:::1");
        openssl(directory, "pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "receiver.p12",
                "-passout", "pass:changeit");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(directory.resolve("receiver.p12"))) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(managers.getKeyManagers(), null, null);
        try (ServerSocket receiver = tls.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getByName("::1"))) {
            assertThat(receivedOver(receiver, "tls", Optional.of(directory.resolve("cert.pem")))).isEqualTo("hello");
        }
    }

    /** What the receiver read after a connection to {@code scheme://[::1]:port} wrote "hello". */
    private static String receivedOver(ServerSocket receiver, String scheme, Optional<Path> ca) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            // The receiver keeps the connection open until the sender is done: closed as soon as it had read,
            // it could end the connection before the write was acknowledged, which the sender counts as lost.
            CountDownLatch sent = new CountDownLatch(1);
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try (Socket accepted = receiver.accept(); InputStream in = accepted.getInputStream()) {
                    String read = new String(in.readNBytes(5), StandardCharsets.UTF_8);
                    sent.await(10, TimeUnit.SECONDS);
                    return read;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SyslogConnection connection = SyslogConnection.to(vertx,
                    URI.create(scheme + "://[::1]:" + receiver.getLocalPort()), ca, Duration.ofSeconds(10))) {
                connection.connect();
                connection.write("hello".getBytes(StandardCharsets.UTF_8));
                sent.countDown();
                return received.get(10, TimeUnit.SECONDS);
            } finally {
                sent.countDown();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    private static void openssl(Path directory, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
    }
}
