package com.domomigrationproxy.domo;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.ConfigProvider;

import com.domomigrationproxy.problem.SettingProblems;
import com.domomigrationproxy.security.CaFiles;
import com.domomigrationproxy.security.LoopbackHosts;
import com.domomigrationproxy.security.SecretFiles;

import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start against Domo without the two settings every call needs, with a base URL that
 * would send the developer token over the network in clear, or with a CA file or a proxy that
 * cannot serve.
 */
@ApplicationScoped
class DomoStartupCheck {

    private static final String SANDBOX_SWITCH = "domo.sandbox.enabled";

    void onStart(@Observes StartupEvent event, DomoConfig config, DomoTokenProvider tokens) {
        List<String> problems = new ArrayList<>(settingProblems(config));
        sandboxSwitchProblem(ConfigProvider.getConfig().getOptionalValue(SANDBOX_SWITCH, String.class))
                .ifPresent(problems::add);
        SettingProblems.refuseStart(problems);
        if (config.sandbox().enabled()) {
            return;
        }
        if (config.baseUrl().isEmpty()) {
            throw new IllegalStateException("DOMO_BASE_URL is required unless DOMO_SANDBOX_ENABLED=true");
        }
        baseUrlProblem(config.baseUrl().get(), config.allowPlainHttp()).ifPresent(problem -> {
            throw new IllegalStateException(problem);
        });
        config.caFile().flatMap(ca -> caFileProblem(config.baseUrl().get(), ca)).ifPresent(problem -> {
            throw new IllegalStateException(problem);
        });
        config.caFile().ifPresent(ca -> SecretFiles.warnIfExposed("DOMO_CA_FILE", ca, false));
        proxyProblem(config.baseUrl().get(), HttpDomoUpstream.proxyUrl(config.proxy().url()),
                HttpDomoUpstream.proxyUsername(config).isPresent(), HttpDomoUpstream.proxyPassword(config).isPresent())
                .ifPresent(problem -> {
                    throw new IllegalStateException(problem);
                });
        if (!tokens.configured()) {
            throw new IllegalStateException(
                    "DOMO_DEVELOPER_TOKEN_FILE or DOMO_DEVELOPER_TOKEN is required unless DOMO_SANDBOX_ENABLED=true");
        }
    }

    /**
     * The upstream is chosen by the switch's exact text ({@code true}: the sandbox), which every
     * other check reads as a boolean: {@code True}, {@code 1} or {@code yes} read as "sandbox" there
     * while the calls went to Domo, with the checks on Domo's address and token skipped (review).
     */
    static Optional<String> sandboxSwitchProblem(Optional<String> value) {
        return value.filter(text -> !text.equals("true") && !text.equals("false"))
                .map(text -> "DOMO_SANDBOX_ENABLED must be true or false, in lower case, not " + text);
    }

    /**
     * Settings a Domo call cannot work with: each of them failed every call with a 500 (a deadline
     * of 0, a breaker that opens before any failure), or refused every answer (a size of 0); and a
     * sandbox that cannot do what it is asked (an estate its ids cannot number was cut to 9999 in
     * silence, a share of 2 taken as 1).
     */
    static List<String> settingProblems(DomoConfig config) {
        return new SettingProblems().positive("DOMO_READ_TIMEOUT", config.readTimeout())
                .positive("DOMO_MIGRATION_TIMEOUT", config.migrationTimeout())
                .positive("DOMO_CONNECT_TIMEOUT", config.connectTimeout())
                .atLeast("DOMO_MAX_RESPONSE_SIZE", config.maxResponseSize().asLongValue(), 1, null)
                .atLeast("DOMO_RETRY_MAX_ATTEMPTS", config.retry().maxAttempts(), 1, "1 is no retry")
                .notNegative("DOMO_RETRY_INITIAL_BACKOFF", config.retry().initialBackoff())
                .atLeast("DOMO_CIRCUIT_BREAKER_FAILURE_THRESHOLD", config.circuitBreaker().failureThreshold(), 1, null)
                .positive("DOMO_CIRCUIT_BREAKER_OPEN_DURATION", config.circuitBreaker().openDuration())
                .within("DOMO_SANDBOX_CANDIDATES_PER_ACCOUNT", config.sandbox().candidatesPerAccount(), 0,
                        DomoConfig.Sandbox.MAX_CANDIDATES_PER_ACCOUNT)
                .notNegative("DOMO_SANDBOX_LATENCY", config.sandbox().latency())
                .share("DOMO_SANDBOX_FAILURE_RATE", config.sandbox().failureRate())
                .share("DOMO_SANDBOX_RATE_LIMIT_RATE", config.sandbox().rateLimitRate()).list();
    }

    /**
     * Why the service must not call Domo at this URL: not http(s) with a host, or plain http to an
     * address other than loopback (named literally: no name is resolved here) unless allowed.
     */
    static Optional<String> baseUrlProblem(URI baseUrl, boolean plainHttpAllowed) {
        String scheme = baseUrl.getScheme() == null ? "" : baseUrl.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || baseUrl.getHost() == null) {
            return Optional.of("DOMO_BASE_URL must be an https:// URL with a host, e.g. https://acme.domo.com");
        }
        if (baseUrl.getRawUserInfo() != null || baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
            // The migration paths are appended: after a query or a fragment they would be lost.
            return Optional.of("DOMO_BASE_URL must be scheme://host[:port][/path], without credentials, a query or a"
                    + " fragment, e.g. https://acme.domo.com");
        }
        if (scheme.equals("http") && !plainHttpAllowed && !LoopbackHosts.loopback(baseUrl.getHost())) {
            return Optional.of("DOMO_BASE_URL is plain http: the developer token would cross the network in clear."
                    + " Use https://, or set DOMO_ALLOW_PLAIN_HTTP=true for a proxy on a trusted network that adds TLS");
        }
        return Optional.empty();
    }

    /**
     * Why the CA file cannot serve: a plain-http DOMO_BASE_URL would ignore it (no certificate is
     * checked there), or it holds no certificate (every call would fail its handshake).
     */
    static Optional<String> caFileProblem(URI baseUrl, Path ca) {
        if (!"https".equalsIgnoreCase(baseUrl.getScheme())) {
            return Optional.of("DOMO_CA_FILE is for an https:// DOMO_BASE_URL; " + baseUrl.getScheme()
                    + ":// checks no certificate");
        }
        return CaFiles.problem("DOMO_CA_FILE", ca);
    }

    /**
     * Why the service must not reach Domo through this proxy: not http://host:port (credentials in
     * the URL would be shown wherever it is), half a pair of credentials or credentials without a
     * proxy, or a plain-http DOMO_BASE_URL, whose requests (and token) the proxy would read.
     */
    static Optional<String> proxyProblem(URI baseUrl, Optional<URI> proxy, boolean username, boolean password) {
        if (proxy.isEmpty()) {
            return username || password
                    ? Optional.of("DOMO_PROXY_USERNAME or DOMO_PROXY_PASSWORD is set, but no DOMO_PROXY_URL")
                    : Optional.empty();
        }
        URI url = proxy.get();
        // "none" is the REST client's word for no proxy: migrate and reverse would go direct, the reads not.
        if (!"http".equalsIgnoreCase(url.getScheme()) || url.getHost() == null
                || "none".equalsIgnoreCase(url.getHost()) || url.getPort() <= 0 || url.getPort() > 65535
                || url.getRawUserInfo() != null || url.getRawQuery() != null
                || url.getRawPath() != null && !url.getRawPath().isEmpty() && !url.getRawPath().equals("/")) {
            return Optional.of(HttpDomoUpstream.PROXY_URL_FORM);
        }
        if (username != password) {
            return Optional.of("DOMO_PROXY_USERNAME and DOMO_PROXY_PASSWORD go together: set both or neither");
        }
        if (!"https".equalsIgnoreCase(baseUrl.getScheme())) {
            return Optional.of("DOMO_PROXY_URL tunnels https:// only; with an http:// DOMO_BASE_URL the proxy"
                    + " would read every request, the developer token with it");
        }
        return Optional.empty();
    }
}
