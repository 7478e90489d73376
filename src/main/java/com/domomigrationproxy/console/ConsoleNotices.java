package com.domomigrationproxy.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;

/**
 * The notice a page shows once, after the redirect of the action that asked for it ("Your approval
 * is recorded", "Signed a checkpoint…"), and only in the browser that acted: the action leaves a
 * short-lived HttpOnly, SameSite=Strict cookie naming what it did, and the page shows the notice its
 * query names only when that cookie names it too, then clears it. The query alone (a link anyone can
 * craft) shows nothing, so no page says that something was done when it was not.
 *
 * <p>Written here rather than taken from a library: Quarkus REST has no flash scope (Renarde's is part
 * of a web framework this service does not use), and this is one cookie.
 */
@ApplicationScoped
public class ConsoleNotices {

    static final String COOKIE = "console-notice";
    /** Long enough for the redirect that follows the action; a notice is not kept for later. */
    private static final long MAX_AGE_SECONDS = 60;
    static final String UNSENT_COOKIE = "console-unsent";
    private static final long UNSENT_MAX_AGE_SECONDS = 3600;
    private static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9.-]{1,80}");

    private final ConsoleConfig config;
    private final CurrentVertxRequest request;

    @Inject
    ConsoleNotices(ConsoleConfig config, CurrentVertxRequest request) {
        this.config = config;
        this.request = request;
    }

    /** Lets the next page about {@code subject} (a plan, an operation, "evidence") show {@code notice}. */
    public void leave(String subject, String notice) {
        request.getCurrent().response().addCookie(ConsoleCookies.cookie(config, COOKIE, value(subject, notice))
                .setMaxAge(MAX_AGE_SECONDS));
    }

    /**
     * Whether this browser's own action left {@code notice} about {@code subject}: true once, the
     * cookie being cleared as it is read. False for a notice named by the query alone.
     */
    public boolean taken(String subject, String notice) {
        if (subject == null || notice == null) {
            return false;
        }
        RoutingContext routing = request.getCurrent();
        Cookie left = routing.request().getCookie(ConsoleCookies.name(config, COOKIE));
        if (left == null || !WELL_FORMED.matcher(left.getValue()).matches()
                || !MessageDigest.isEqual(left.getValue().getBytes(StandardCharsets.US_ASCII),
                        value(subject, notice).getBytes(StandardCharsets.US_ASCII))) {
            return false;
        }
        routing.response().addCookie(ConsoleCookies.cookie(config, COOKIE, "").setMaxAge(0));
        return true;
    }

    /**
     * Lets the first page after the next sign-in of the person the form was made for ({@code madeFor}, the
     * tag of its CSRF token) say that a form this browser sent was not acted on: its session had ended.
     * Kept for an hour, as signing in at the provider may take a while; the form's own fields are not kept
     * (they may hold a plan's file or a comment).
     */
    void leaveFormUnsent(String madeFor) {
        request.getCurrent().response().addCookie(ConsoleCookies.cookie(config, UNSENT_COOKIE, madeFor)
                .setMaxAge(UNSENT_MAX_AGE_SECONDS));
    }

    /**
     * Whether a form {@code principal} sent went unsent since the last page said so: true once. The cookie
     * is cleared by the first page anyone signed in sees, so it does not greet the next person at a shared
     * browser, nor wait for the first one after someone else signed in there.
     */
    boolean formUnsentTaken(String principal) {
        RoutingContext routing = request.getCurrent();
        Cookie left = routing == null ? null : routing.request().getCookie(ConsoleCookies.name(config, UNSENT_COOKIE));
        if (left == null) {
            return false;
        }
        routing.response().addCookie(ConsoleCookies.cookie(config, UNSENT_COOKIE, "").setMaxAge(0));
        return ConsoleCsrf.madeFor(left.getValue(), principal);
    }

    private static String value(String subject, String notice) {
        return subject + "." + notice;
    }
}
