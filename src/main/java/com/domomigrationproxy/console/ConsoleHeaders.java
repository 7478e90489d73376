package com.domomigrationproxy.console;

import java.net.URI;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Security headers of every console response, pages, assets and sign-in redirects alike. The
 * Content-Security-Policy allows scripts and styles from this origin only (no inline script or
 * style anywhere in the console), no framing, and forms that post here or, for signing out, to the
 * OpenID Connect provider. Pages are never cached: they show audit data. A console served over
 * HTTPS (Secure cookies) also pins the browser to HTTPS (Strict-Transport-Security); browsers
 * ignore that header over plain HTTP, and a proxy that ends TLS passes it on.
 */
@ApplicationScoped
public class ConsoleHeaders {

    static final String ASSETS = ConsoleLinks.ROOT + "/assets/";

    private final String policy;
    /** Strict-Transport-Security, or null on a console not served over HTTPS (no Secure cookies). */
    private final String transportSecurity;

    @Inject
    ConsoleHeaders(@ConfigProperty(name = "quarkus.oidc.auth-server-url") Optional<String> provider,
            ConsoleConfig config) {
        this.transportSecurity = config.secureCookies() && config.hstsMaxAge() > 0
                ? "max-age=" + config.hstsMaxAge() : null;
        String formTargets = provider.map(ConsoleHeaders::origin).map(origin -> "'self' " + origin).orElse("'self'");
        this.policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
                + " form-action " + formTargets + "; frame-ancestors 'none'; base-uri 'none'";
    }

    void register(@Observes Router router) {
        // After the access log and the request filter (web.AccessLog, web.RequestFilter).
        router.route().order(Integer.MIN_VALUE + 2).handler(this::headers);
    }

    private void headers(RoutingContext context) {
        String path = context.request().path();
        if (ConsoleLinks.isConsole(path)) {
            boolean asset = path.startsWith(ASSETS);
            context.addHeadersEndHandler(ended -> set(context.response().headers(), asset));
        }
        context.next();
    }

    /** Sets the headers on a console response; {@code asset}: a stylesheet or script, which may be cached. */
    void set(MultiMap headers, boolean asset) {
        headers.set("Content-Security-Policy", policy);
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

    /** scheme://host[:port] of the provider, the only other origin a console form may lead to. */
    private static String origin(String url) {
        URI uri = URI.create(url);
        return uri.getScheme() + "://" + uri.getRawAuthority();
    }
}
