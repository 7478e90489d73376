package com.domomigrationproxy.console;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;

/**
 * The console's own cookies (its CSRF token, its notices): HttpOnly and SameSite=Strict; over HTTPS
 * {@code Secure} and named {@code __Host-…}, which browsers accept only from this host, over HTTPS,
 * for the whole host, so that a sibling subdomain cannot plant one; without HTTPS (dev mode, tests)
 * kept to the console's paths.
 */
final class ConsoleCookies {

    private ConsoleCookies() {
    }

    static String name(ConsoleConfig config, String name) {
        return config.secureCookies() ? "__Host-" + name : name;
    }

    static Cookie cookie(ConsoleConfig config, String name, String value) {
        // A __Host- cookie must have the path "/".
        return Cookie.cookie(name(config, name), value).setPath(config.secureCookies() ? "/" : ConsoleLinks.ROOT)
                .setHttpOnly(true).setSecure(config.secureCookies()).setSameSite(CookieSameSite.STRICT);
    }
}
