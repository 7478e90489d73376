package com.domomigrationproxy.console;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;

/** The console's paths, in one place for resources, templates and redirects. */
public final class ConsoleLinks {

    public static final String ROOT = "/console";
    public static final String HOME = ROOT + "/";
    public static final String SIGN_IN = ROOT + "/sign-in";
    public static final String SIGN_OUT = ROOT + "/sign-out";
    public static final String HISTORY = ROOT + "/history";
    public static final String REVIEWS = ROOT + "/reviews";
    public static final String EVIDENCE = ROOT + "/evidence";
    public static final String DOMO = ROOT + "/domo";
    public static final String PRINCIPALS = ROOT + "/principals";
    public static final String PLANS = ROOT + "/plans";
    /** Where a page asked for before signing in may send the person back to: console paths only. */
    private static final Pattern RETURNABLE = Pattern.compile("/console/[A-Za-z0-9_./-]*(\\?[A-Za-z0-9_.~%&=+:-]*)?");

    /** A form of a plan's page: /console/plans/{planId}/… */
    private static final Pattern PLAN_FORM = Pattern.compile("/console/plans/([0-9A-Fa-f-]{36})/.+");

    /** Remembers, across the trip to the provider, which console page a person asked for. */
    static final String NEXT_COOKIE = "console-next";

    private ConsoleLinks() {
    }

    /** Whether the path is the console's: /console or anything under it. */
    public static boolean isConsole(String path) {
        return path != null && (path.equals(ROOT) || path.startsWith(HOME));
    }

    /** The cookie that remembers a page asked for; Lax, so that it comes back with the provider's redirect. */
    static Cookie nextCookie(String target, boolean secure) {
        return Cookie.cookie(NEXT_COOKIE, Base64.getUrlEncoder().withoutPadding()
                .encodeToString(target.getBytes(StandardCharsets.UTF_8))).setPath(ROOT).setMaxAge(600)
                .setHttpOnly(true).setSecure(secure).setSameSite(CookieSameSite.LAX);
    }

    /**
     * The page a next-cookie names, if it is a console page (not a download or a stream: whoever can
     * plant the cookie, a sibling subdomain, must not start an audited export at the next sign-in);
     * otherwise the home page.
     */
    static String next(String cookie) {
        if (cookie != null) {
            try {
                String target = new String(Base64.getUrlDecoder().decode(cookie), StandardCharsets.UTF_8);
                if (returnablePage(target)) {
                    return target;
                }
            } catch (IllegalArgumentException e) {
                // not a cookie this service set
            }
        }
        return HOME;
    }

    /**
     * The page a console form is on, for the person whose session ended before the form was sent:
     * sign-in brings them back there to send it again. A plan's actions are on the plan's page (its
     * cancellation page posts there too), a new plan's upload on the new-plan page, the other forms
     * on their section's page; anything else, and a path that is no console page, the home page.
     */
    static String formPage(String formPath) {
        if (formPath == null || !returnable(formPath)) {
            return HOME;
        }
        Matcher plan = PLAN_FORM.matcher(formPath);
        if (plan.matches()) {
            return plan(plan.group(1));
        }
        if (formPath.equals(PLANS)) {
            return PLANS + "/new";
        }
        for (String section : new String[] { EVIDENCE, REVIEWS, DOMO }) {
            if (formPath.equals(section) || formPath.startsWith(section + "/")) {
                return section;
            }
        }
        return HOME;
    }

    public static String operation(Object operationId) {
        return ROOT + "/operations/" + operationId;
    }

    public static String plan(Object planId) {
        return PLANS + "/" + planId;
    }

    /** Where a plan page's form posts one action (start, pause, resume, cancel, preflight, rollback). */
    public static String planAction(Object planId, String action) {
        return plan(planId) + "/" + action;
    }

    /**
     * Whether sign-in may send a person back to this address: a console page, not a file, a
     * download or a stream (a plan page's event stream, reconnecting after its session ended, would
     * otherwise be where the next sign-in led), nor sign-in or sign-out themselves (a cookie naming
     * the sign-in page would have it send the person on to itself for ever).
     */
    static boolean returnablePage(String target) {
        if (!returnable(target)) {
            return false;
        }
        String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
        return isPage(path) && !path.equals(SIGN_IN) && !path.equals(SIGN_OUT) && !path.equals(ROOT + "/signed-out");
    }

    /**
     * Whether the path is one of the console's pages (its root too), not a file, a download or a
     * stream. A trailing slash is no page but the home page's: the router would serve a download at
     * {@code …/export.csv/} too.
     */
    static boolean isPage(String path) {
        if (ROOT.equals(path) || HOME.equals(path)) {
            return true;
        }
        if (!returnable(path) || path.contains("?") || path.endsWith("/")) {
            return false;
        }
        String last = path.substring(path.lastIndexOf('/') + 1);
        return !last.contains(".") && !path.startsWith(ROOT + "/assets/") && !path.endsWith("/events")
                && !path.endsWith("/progress");
    }

    static boolean returnable(String target) {
        return target != null && target.length() <= 2000 && RETURNABLE.matcher(target).matches()
                && !target.contains("//") && !target.contains("/../") && !target.contains("/./");
    }
}
