package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.support.ConfigMappings;

/**
 * The developer token goes to Domo over TLS, or to this machine, and a CA file given for Domo can
 * serve; anything else is refused at start.
 */
class DomoStartupCheckTest {

    @Test
    void theDefaultsPass() {
        assertThat(DomoStartupCheck.settingProblems(ConfigMappings.of(DomoConfig.class, Map.of()))).isEmpty();
    }

    /** Each of these failed every call (a 500 for a deadline of 0) or was cut in silence (the sandbox's). */
    @Test
    void domoSettingsNoCallCanWorkWithAreRefusedByName() {
        assertThat(DomoStartupCheck.settingProblems(ConfigMappings.of(DomoConfig.class, Map.ofEntries(
                Map.entry("domo.read-timeout", "0s"), Map.entry("domo.migration-timeout", "-1s"),
                Map.entry("domo.connect-timeout", "0s"), Map.entry("domo.max-response-size", "0"),
                Map.entry("domo.retry.max-attempts", "0"), Map.entry("domo.retry.initial-backoff", "-200ms"),
                Map.entry("domo.circuit-breaker.failure-threshold", "0"),
                Map.entry("domo.circuit-breaker.open-duration", "-30s"),
                Map.entry("domo.sandbox.candidates-per-account", "10000"), Map.entry("domo.sandbox.latency", "-1s"),
                Map.entry("domo.sandbox.failure-rate", "2"), Map.entry("domo.sandbox.rate-limit-rate", "NaN")))))
                .containsExactly("DOMO_READ_TIMEOUT must be longer than 0, not PT0S",
                        "DOMO_MIGRATION_TIMEOUT must be longer than 0, not PT-1S",
                        "DOMO_CONNECT_TIMEOUT must be longer than 0, not PT0S",
                        "DOMO_MAX_RESPONSE_SIZE must be at least 1, not 0",
                        "DOMO_RETRY_MAX_ATTEMPTS must be at least 1, not 0 (1 is no retry)",
                        "DOMO_RETRY_INITIAL_BACKOFF must not be negative, not PT-0.2S",
                        "DOMO_CIRCUIT_BREAKER_FAILURE_THRESHOLD must be at least 1, not 0",
                        "DOMO_CIRCUIT_BREAKER_OPEN_DURATION must be longer than 0, not PT-30S",
                        "DOMO_SANDBOX_CANDIDATES_PER_ACCOUNT must be from 0 to 9999, not 10000",
                        "DOMO_SANDBOX_LATENCY must not be negative, not PT-1S",
                        "DOMO_SANDBOX_FAILURE_RATE must be a share from 0 to 1, such as 0.05, not 2.0",
                        "DOMO_SANDBOX_RATE_LIMIT_RATE must be a share from 0 to 1, such as 0.05, not NaN");
        assertThat(DomoStartupCheck.settingProblems(ConfigMappings.of(DomoConfig.class, Map.of(
                "domo.sandbox.candidates-per-account", "9999", "domo.sandbox.failure-rate", "1",
                "domo.sandbox.rate-limit-rate", "0.05")))).isEmpty();
    }

    /**
     * The sandbox is chosen by the switch's exact text and the other checks read it as a boolean:
     * "True" read as the sandbox there while the calls went to Domo, unchecked. Only the two words.
     */
    @Test
    void theSandboxSwitchIsTrueOrFalseInLowerCaseOnly() {
        assertThat(DomoStartupCheck.sandboxSwitchProblem(Optional.empty())).isEmpty();
        assertThat(DomoStartupCheck.sandboxSwitchProblem(Optional.of("true"))).isEmpty();
        assertThat(DomoStartupCheck.sandboxSwitchProblem(Optional.of("false"))).isEmpty();
        for (String ambiguous : new String[] { "True", "TRUE", "1", "yes", "on", "False", "0" }) {
            assertThat(DomoStartupCheck.sandboxSwitchProblem(Optional.of(ambiguous))).as(ambiguous)
                    .hasValue("DOMO_SANDBOX_ENABLED must be true or false, in lower case, not " + ambiguous);
        }
    }

    @Test
    void theTokenNeverCrossesTheNetworkInClear() {
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("https://acme.domo.com"), false)).isEmpty();
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("HTTPS://acme.domo.com:8443/"), false)).isEmpty();
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("http://acme.domo.com"), false))
                .hasValueSatisfying(problem -> assertThat(problem).contains("plain http", "DOMO_ALLOW_PLAIN_HTTP"));
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("http://10.0.0.8:3128"), false)).isPresent();
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("http://10.0.0.8:3128"), true)).isEmpty();
        // Loopback: the benchmarks' stand-in, a sidecar.
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("http://127.0.0.1:9"), false)).isEmpty();
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("http://localhost:8089"), false)).isEmpty();
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("http://[::1]:8089"), false)).isEmpty();
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("http://127.0.0.53"), false)).isEmpty();
        // A name that only looks like loopback is not.
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("http://127.evil.example"), false)).isPresent();
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("http://127.0.0.1.nip.io"), false)).isPresent();
        // Not a web URL at all.
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("ftp://acme.domo.com"), true)).isPresent();
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("acme.domo.com"), true)).isPresent();
        // The migration paths are appended: a query or a fragment would swallow them, credentials be dropped.
        assertThat(DomoStartupCheck.baseUrlProblem(URI.create("https://gateway.example/domo"), false)).isEmpty();
        for (String url : new String[] { "https://acme.domo.com?x=1", "https://acme.domo.com/foo#frag",
                "https://user:secret@acme.domo.com" }) {
            assertThat(DomoStartupCheck.baseUrlProblem(URI.create(url), false)).as(url)
                    .hasValueSatisfying(problem -> assertThat(problem).contains("without credentials, a query or a"
                            + " fragment").doesNotContain("secret"));
        }
    }

    @Test
    void aCaFileServesOnlyAnHttpsBaseUrlAndOnlyWithACertificateInIt(@TempDir Path directory) throws Exception {
        Path notACertificate = Files.writeString(directory.resolve("ca.pem"), "not a certificate\n");
        assertThat(DomoStartupCheck.caFileProblem(URI.create("http://127.0.0.1:8089"), notACertificate))
                .contains("DOMO_CA_FILE is for an https:// DOMO_BASE_URL; http:// checks no certificate");
        assertThat(DomoStartupCheck.caFileProblem(URI.create("https://acme.domo.com"), notACertificate)).get()
                .asString().startsWith("DOMO_CA_FILE " + notACertificate + " holds no PEM certificate");
        assertThat(DomoStartupCheck.caFileProblem(URI.create("https://acme.domo.com"), directory.resolve("none.pem")))
                .contains("DOMO_CA_FILE " + directory.resolve("none.pem") + " is not a readable file");
    }

    @Test
    void aProxyIsAnHttpHostAndPortThatTunnelsHttpsOnly() {
        URI domo = URI.create("https://acme.domo.com");
        Optional<URI> proxy = Optional.of(URI.create("http://proxy.example.com:3128"));
        assertThat(DomoStartupCheck.proxyProblem(domo, Optional.empty(), false, false)).isEmpty();
        assertThat(DomoStartupCheck.proxyProblem(domo, proxy, false, false)).isEmpty();
        assertThat(DomoStartupCheck.proxyProblem(domo, proxy, true, true)).isEmpty();
        assertThat(DomoStartupCheck.proxyProblem(domo, Optional.of(URI.create("http://10.0.0.8:3128/")), false, false))
                .isEmpty();
        for (String url : new String[] {"https://proxy.example.com:3128", "http://proxy.example.com",
                "http://user:secret@proxy.example.com:3128", "proxy.example.com:3128",
                "http://proxy.example.com:3128/path", "http://proxy.example.com:3128?x=1",
                "http://proxy.example.com:70000", "http://none:3128"}) {
            assertThat(DomoStartupCheck.proxyProblem(domo, Optional.of(URI.create(url)), false, false)).as(url)
                    .contains("DOMO_PROXY_URL must be http://host:port, e.g. http://proxy.example.com:3128"
                            + " (credentials go in DOMO_PROXY_USERNAME and DOMO_PROXY_PASSWORD)");
        }
        // A value that is no URI at all: refused without quoting it (it may hold credentials).
        for (String url : new String[] {"http://user:pa ss@proxy.example.com:3128", "http://proxy.example.com:31 28"}) {
            assertThatThrownBy(() -> HttpDomoUpstream.proxyUrl(Optional.of(url))).as(url)
                    .isInstanceOf(IllegalStateException.class).hasMessage(HttpDomoUpstream.PROXY_URL_FORM);
        }
        assertThat(HttpDomoUpstream.proxyUrl(Optional.of(" http://proxy.example.com:3128\n"))).isEqualTo(proxy);
        assertThat(HttpDomoUpstream.proxyUrl(Optional.of(" "))).isEmpty();
        assertThat(DomoStartupCheck.proxyProblem(domo, proxy, true, false))
                .contains("DOMO_PROXY_USERNAME and DOMO_PROXY_PASSWORD go together: set both or neither");
        assertThat(DomoStartupCheck.proxyProblem(domo, Optional.empty(), false, true))
                .contains("DOMO_PROXY_USERNAME or DOMO_PROXY_PASSWORD is set, but no DOMO_PROXY_URL");
        assertThat(DomoStartupCheck.proxyProblem(URI.create("http://127.0.0.1:8089"), proxy, false, false)).get()
                .asString().startsWith("DOMO_PROXY_URL tunnels https:// only");
    }
}
