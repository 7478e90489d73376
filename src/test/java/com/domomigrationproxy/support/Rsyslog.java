package com.domomigrationproxy.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;


/**
 * A real rsyslog (Debian's rsyslogd) as the SIEM's syslog receiver: started by the test with its own
 * configuration on a loopback port (imtcp, octet-counted framing, optionally TLS through the ossl
 * driver), writing each message's MSG part, one per line, to a file the test reads. The plain one
 * listens where the service streams to ({@link SyslogPort}).
 */
public final class Rsyslog {

    private static final Path RSYSLOGD = Path.of("/usr/sbin/rsyslogd");

    private final Path directory;
    private final int port;
    private final String tls;
    private Process process;

    private Rsyslog(Path directory, int port, String tls) {
        this.directory = directory;
        this.port = port;
        this.tls = tls;
    }

    public static boolean installed() {
        return Files.isExecutable(RSYSLOGD);
    }

    /** A plain TCP receiver on the port the service streams to. */
    public static Rsyslog plain(Path directory) {
        return new Rsyslog(directory, SyslogPort.port(), null);
    }

    /** A TLS receiver with this CA, certificate and key (PEM files), on a port of its own. */
    public static Rsyslog tls(Path directory, Path ca, Path certificate, Path key) {
        return new Rsyslog(directory, SyslogPort.free(), "global(DefaultNetstreamDriver=\"ossl\""
                + " DefaultNetstreamDriverCAFile=\"" + ca + "\" DefaultNetstreamDriverCertFile=\"" + certificate + "\""
                + " DefaultNetstreamDriverKeyFile=\"" + key + "\")\n"
                + "module(load=\"imtcp\" StreamDriver.Name=\"ossl\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")\n");
    }

    public int port() {
        return port;
    }

    /** The file the received messages go to, one MSG per line; it grows across restarts. */
    public Path output() {
        return directory.resolve("received.log");
    }

    /** Starts rsyslogd in the foreground and waits until it accepts connections. */
    public Rsyslog start() {
        try {
            Files.createDirectories(directory);
            Path config = directory.resolve("rsyslog.conf");
            Files.writeString(config, "global(workDirectory=\"" + directory + "\" maxMessageSize=\"64k\")\n"
                    + (tls == null ? "module(load=\"imtcp\")\n" : tls)
                    + "input(type=\"imtcp\" port=\"" + port + "\" address=\"127.0.0.1\")\n"
                    + "template(name=\"msgOnly\" type=\"string\" string=\"%msg%\\n\")\n"
                    + "action(type=\"omfile\" file=\"" + output() + "\" template=\"msgOnly\")\n");
            process = new ProcessBuilder(List.of(RSYSLOGD.toString(), "-n", "-f", config.toString(), "-i",
                    directory.resolve("rsyslogd.pid").toString()))
                    .redirectErrorStream(true).redirectOutput(directory.resolve("rsyslogd.out").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        await().atMost(Duration.ofSeconds(20)).until(this::accepting);
        return this;
    }

    /** Stops this rsyslogd (SIGTERM to the process started here) and waits for it to end. */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public List<String> received() {
        try {
            return Files.exists(output()) ? Files.readAllLines(output()) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean accepting() {
        if (!process.isAlive()) {
            throw new IllegalStateException("rsyslogd exited: " + readQuietly(directory.resolve("rsyslogd.out")));
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no output)";
        }
    }
}
