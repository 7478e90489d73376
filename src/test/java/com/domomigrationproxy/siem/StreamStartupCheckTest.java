package com.domomigrationproxy.siem;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.support.ConfigMappings;


/**
 * An audit stream setting that cannot work stops the start with its name: before, a CA file with a
 * tcp:// receiver was ignored (the chain went out unencrypted), one with no receiver left the stream
 * off in silence, and a CA file with no certificate failed every connection later.
 */
class StreamStartupCheckTest {

    @TempDir
    Path directory;

    @Test
    void theDefaultsAndAWorkingTlsReceiverPass() throws Exception {
        assertThat(StreamStartupCheck.problems(config(Map.of()))).isEmpty();
        assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", "tcp://127.0.0.1:1514"))))
                .isEmpty();
        assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", "tls://siem.example:6514",
                "proxy.audit.syslog.ca-file", certificate().toString())))).isEmpty();
        // A path, a query or credentials have nothing to say to a syslog receiver: a mistake, refused.
        for (String url : new String[] { "tcp://127.0.0.1:1514/x", "tcp://u:pw@127.0.0.1:1514", "tcp://127.0.0.1:1514?a" }) {
            assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", url)))).as(url)
                    .containsExactly("PROXY_AUDIT_SYSLOG_URL must be tcp://host:port or tls://host:port");
        }
    }

    @Test
    void aCaFileWithoutATlsReceiverIsRefused() throws Exception {
        String ca = certificate().toString();
        assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", "tcp://siem.example:1514",
                "proxy.audit.syslog.allow-plain-tcp", "true", "proxy.audit.syslog.ca-file", ca))))
                .containsExactly("PROXY_AUDIT_SYSLOG_CA_FILE is for a tls://"
                        + " receiver; PROXY_AUDIT_SYSLOG_URL is tcp://, which would send the chain unencrypted");
        assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.ca-file", ca))))
                .containsExactly("PROXY_AUDIT_SYSLOG_CA_FILE is set, but no PROXY_AUDIT_SYSLOG_URL: the stream is off");
    }

    /**
     * The trail in clear leaves the machine only when the operator says so, as Domo's token does
     * (DOMO_ALLOW_PLAIN_HTTP): loopback (a sidecar) needs no opt-in; a name is never resolved to decide.
     */
    @Test
    void aPlainTcpReceiverOnAnotherHostNeedsAnOptIn() {
        for (String url : new String[] {"tcp://siem.example:1514", "tcp://10.0.0.7:514", "tcp://127.0.0.1.example:514",
                "TCP://[fd00::1]:514"}) {
            assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", url)))).as(url)
                    .singleElement().asString().startsWith("PROXY_AUDIT_SYSLOG_URL is tcp:// to ")
                    .contains("in clear", "PROXY_AUDIT_SYSLOG_ALLOW_PLAIN_TCP=true");
            assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", url,
                    "proxy.audit.syslog.allow-plain-tcp", "true")))).as(url).isEmpty();
        }
        for (String url : new String[] {"tcp://localhost:1514", "tcp://127.3.2.1:514", "tcp://[::1]:514",
                "tls://siem.example:6514"}) {
            assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", url)))).as(url).isEmpty();
        }
    }

    @Test
    void aCaFileThatHoldsNoCertificateIsRefused() throws Exception {
        Path empty = Files.writeString(directory.resolve("empty.pem"), "not a certificate\n");
        Path missing = directory.resolve("missing.pem");
        assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", "tls://siem.example:6514",
                "proxy.audit.syslog.ca-file", empty.toString())))).singleElement().asString()
                .startsWith("PROXY_AUDIT_SYSLOG_CA_FILE " + empty + " holds no PEM certificate");
        assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", "tls://siem.example:6514",
                "proxy.audit.syslog.ca-file", missing.toString()))))
                .containsExactly("PROXY_AUDIT_SYSLOG_CA_FILE " + missing + " is not a readable file");
    }

    @Test
    void aDerCertificateIsRefusedSinceTheClientsReadPemOnly() throws Exception {
        Path der = directory.resolve("ca.der");
        Process openssl = new ProcessBuilder("openssl", "x509", "-in", certificate().toString(), "-outform", "der",
                "-out", der.toString()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes());
        assertThat(openssl.waitFor()).as(output).isZero();
        assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", "tls://siem.example:6514",
                "proxy.audit.syslog.ca-file", der.toString()))))
                .containsExactly("PROXY_AUDIT_SYSLOG_CA_FILE " + der + " holds no PEM certificate");
    }

    @Test
    void aReceiverUrlOrSettingThatCannotWorkIsRefusedByName() {
        for (String url : new String[] {"udp://siem.example:514", "tcp://siem.example", "siem.example:514",
                "tls://siem.example:65536"}) {
            assertThat(StreamStartupCheck.problems(config(Map.of("proxy.audit.syslog.url", url)))).as(url)
                    .containsExactly("PROXY_AUDIT_SYSLOG_URL must be tcp://host:port or tls://host:port");
        }
        Map<String, String> values = new HashMap<>(Map.of("proxy.audit.syslog.url", "tls://siem.example:6514",
                "proxy.audit.syslog.timeout", "0s", "proxy.audit.stream.lease", "-1s",
                "proxy.audit.stream.confirm-after", "-1s", "proxy.audit.stream.batch-size", "0"));
        assertThat(StreamStartupCheck.problems(config(values))).containsExactly(
                "PROXY_AUDIT_SYSLOG_TIMEOUT must be longer than 0, not PT0S",
                "PROXY_AUDIT_STREAM_LEASE must be longer than 0, not PT-1S",
                "PROXY_AUDIT_STREAM_CONFIRM_AFTER must not be negative, not PT-1S",
                "PROXY_AUDIT_STREAM_BATCH_SIZE must be from 1 to 5000, not 0");
        values.put("proxy.audit.stream.batch-size", "5001");
        assertThat(StreamStartupCheck.problems(config(values)))
                .contains("PROXY_AUDIT_STREAM_BATCH_SIZE must be from 1 to 5000, not 5001");
    }

    /** A throwaway self-signed certificate, made by openssl as SyslogTlsTest makes its CA. */
    private Path certificate() throws Exception {
        Process process = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                "ca-key.pem", "-out", "ca.pem", "-days", "1", "-subj", "/CN=throwaway").directory(directory.toFile())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(output).isZero();
        return directory.resolve("ca.pem");
    }

    private static StreamConfig config(Map<String, String> values) {
        return ConfigMappings.of(StreamConfig.class, values);
    }
}
