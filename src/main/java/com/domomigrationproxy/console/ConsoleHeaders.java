package com.domomigrationproxy.console;

import java.net.URI;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.oidc.OidcConfigurationMetadata;
import io.quarkus.oidc.runtime.TenantConfigBean;
import io.quarkus.oidc.runtime.TenantConfigContext;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Security headers of every console response, pages, assets and sign-in redirects alike. The
 * Content-Security-Policy allows scripts and styles from this origin only (no inline script or
 * style anywhere in the console), no framing, and forms that post here or lead to the OpenID Connect
 * provider's sign-in and sign-out (its internal TenantConfigBean is read for them: Quarkus OIDC
 * offers its discovered metadata to a request's CDI scope only, and these headers are set outside
 * it). Pages are never cached: they show audit data. A console served over
 * HTTPS (Secure cookies) also pins the browser to HTTPS (Strict-Transport-Security); browsers
 * ignore that header over plain HTTP, and a proxy that ends TLS passes it on.
 */
@ApplicationScoped
public class ConsoleHeaders {

    static final String ASSETS = ConsoleLinks.ROOT + "/assets/";

    /** The policy before the provider's endpoints are known: forms post here or to the issuer's origin. */
    private final String issuerPolicy;
    private final Optional<String> issuer;
    private final Instance<TenantConfigBean> tenants;
    /** The policy with the provider's discovered sign-in and sign-out origins, once they are known. */
    private volatile String policy;
    /** Strict-Transport-Security, or null on a console not served over HTTPS (no Secure cookies). */
    private final String transportSecurity;

    @Inject
    ConsoleHeaders(@ConfigProperty(name = "quarkus.oidc.auth-server-url") Optional<String> provider,
            ConsoleConfig config, Instance<TenantConfigBean> tenants) {
        this.transportSecurity = config.secureCookies() && config.hstsMaxAge() > 0
                ? "max-age=" + config.hstsMaxAge() : null;
        this.issuer = provider;
        this.tenants = tenants;
        this.issuerPolicy = policy(provider, null);
    }

    /**
     * The Content-Security-Policy whose form-action allows this origin, the issuer's and those of the
     * provider's authorization and end-session endpoints ({@code metadata}, null while unknown): a
     * form's answer may redirect to either (signing out; signing in again after a session ended),
     * and a browser holds a redirect to them to the form-action too. A provider may serve them on
     * another host than the issuer (a hosted sign-in domain, a public name in front of an internal one).
     */
    static String policy(Optional<String> issuer, OidcConfigurationMetadata metadata) {
        Set<String> origins = new LinkedHashSet<>();
        origins.add("'self'");
        issuer.map(ConsoleHeaders::origin).ifPresent(origins::add);
        if (metadata != null) {
            Stream.of(metadata.getAuthorizationUri(), metadata.getEndSessionUri()).filter(Objects::nonNull)
                    .map(ConsoleHeaders::origin).filter(Objects::nonNull).forEach(origins::add);
        }
        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
                + " form-action " + String.join(" ", origins) + "; frame-ancestors 'none'; base-uri 'none'";
    }

    /** The policy, with the provider's endpoints once its metadata has been discovered. */
    private String policy() {
        String known = policy;
        if (known != null) {
            return known;
        }
        TenantConfigContext tenant = tenants.isResolvable() ? tenants.get().getDefaultTenant() : null;
        OidcConfigurationMetadata metadata = tenant == null || !tenant.ready() ? null : tenant.getOidcMetadata();
        if (metadata == null) {
            return issuerPolicy;
        }
        known = policy(issuer, metadata);
        policy = known;
        return known;
    }

    void register(@Observes Router router) {
        // After the access log and the request filter (web.AccessLog, web.RequestFilter).
        router.route().order(Integer.MIN_VALUE + 2).handler(this::headers);
    }

    private void headers(RoutingContext context) {
        String path = context.request().path();
        if (ConsoleLinks.isConsole(path)) {
            boolean asset = path.startsWith(ASSETS);
            // Only a stylesheet or script served may be cached: a console page answering an unknown
            // asset's address (404) shows who is signed in and their CSRF token.
            context.addHeadersEndHandler(ended -> set(context.response().headers(),
                    asset && context.response().getStatusCode() < 400));
        }
        context.next();
    }

    /** Sets the headers on a console response; {@code asset}: a stylesheet or script, which may be cached. */
    void set(MultiMap headers, boolean asset) {
        headers.set("Content-Security-Policy", policy());
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("X-Frame-Options", "DENY");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("Cross-Origin-Opener-Policy", "same-origin");
        if (transportSecurity != null) {
            headers.set("Strict-Transport-Security", transportSecurity);
        }
        if (!asset) {
            headers.set("Cache-Control", "no-store");
        }
    }

    /** scheme://host[:port] of a provider's address; null for one that names no absolute origin. */
    private static String origin(String url) {
        try {
            URI uri = URI.create(url);
            return uri.getScheme() == null || uri.getRawAuthority() == null ? null
                    : uri.getScheme() + "://" + uri.getRawAuthority();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
