package com.domomigrationproxy.console;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The console; its sign-in is configured under quarkus.oidc (docs/console.md). */
@ConfigMapping(prefix = "proxy.console")
public interface ConsoleConfig {

    /**
     * True: people sign in to the console through the OpenID Connect provider named by
     * QUARKUS_OIDC_AUTH_SERVER_URL. False: every console page says that sign-in is not configured.
     * Env PROXY_CONSOLE_ENABLED.
     */
    @WithDefault("false")
    boolean enabled();

    /**
     * Session and CSRF cookies carry Secure (HTTPS only), also behind a proxy that ends TLS; the
     * CSRF cookie is then {@code __Host-console-csrf} with the path "/".
     * Dev mode and tests turn it off for plain-HTTP localhost. Env PROXY_CONSOLE_SECURE_COOKIES.
     */
    @WithDefault("true")
    boolean secureCookies();

    /**
     * With Secure cookies (the console is served over HTTPS), every console response tells the
     * browser to use only HTTPS for this host for so many seconds (Strict-Transport-Security);
     * 0 sends no such header. Env PROXY_CONSOLE_HSTS_MAX_AGE.
     */
    @WithDefault("31536000")
    long hstsMaxAge();

    /**
     * How long a plan page's event stream stays open before it ends and the page's browser opens it
     * again, signed in afresh: so that a stream stops once its session ended (a sign-out in another
     * tab, an expired session, a role taken away); 0 for no limit. Env PROXY_CONSOLE_EVENT_STREAM_MAX.
     */
    @WithDefault("10m")
    Duration eventStreamMax();
}
