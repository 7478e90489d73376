package com.domomigrationproxy.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;
import org.jboss.resteasy.reactive.server.WithFormRead;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.core.multipart.FormData;
import org.jboss.resteasy.reactive.server.multipart.FormValue;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveContainerRequestContext;

import com.domomigrationproxy.http.CallerSecrets;
import com.domomigrationproxy.problem.Problem;

import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;

/**
 * CSRF protection of the console's forms: a random token in an HttpOnly, SameSite=Strict cookie
 * that every state-changing request must repeat in its {@value #FIELD} form field (or the
 * {@value #HEADER} header), compared in constant time; and a request the browser marks as coming
 * from another site ({@code Sec-Fetch-Site}) is refused whatever it carries. Over HTTPS the cookie
 * is {@code __Host-console-csrf} ({@link ConsoleCookies}), so a sibling subdomain cannot plant a
 * token of its own for a browser too old to send {@code Sec-Fetch-Site}.
 *
 * <p>Why not quarkus-rest-csrf: its filter applies to every endpoint of the application, so the
 * JSON API would get a cookie on every GET and form-encoded requests refused; bound to the console's
 * resources ({@link ConsolePage}), this one leaves the API exactly as it was.
 */
@ApplicationScoped
public class ConsoleCsrf {

    public static final String COOKIE = "console-csrf";
    public static final String FIELD = "csrf-token";
    public static final String HEADER = "X-CSRF-Token";
    private static final String TOKEN = ConsoleCsrf.class.getName() + ".token";
    private static final String NEW_TOKEN = ConsoleCsrf.class.getName() + ".new";
    /** A refusal: its page gives the browser no new token (the browser withheld its cookie, not lost it). */
    private static final String REFUSED = ConsoleCsrf.class.getName() + ".refused";
    /**
     * 32 random bytes, then whom the token was made for ({@link #tag}); without it, a token of the
     * release before, still accepted from a form (a page an old pod served during a rolling upgrade)
     * but replaced by the next page: it names nobody, so it could pass to the next person.
     */
    private static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9_-]{43}(\\.[A-Za-z0-9_-]{16})?");
    private static final Logger LOG = Logger.getLogger(ConsoleCsrf.class);

    private final SecureRandom random = new SecureRandom();
    private final ConsoleConfig config;
    private final ConsoleFailures failures;
    private final CallerSecrets secrets;

    @Inject
    ConsoleCsrf(ConsoleConfig config, ConsoleFailures failures, CallerSecrets secrets) {
        this.config = config;
        this.failures = failures;
        this.secrets = secrets;
    }

    @ServerRequestFilter
    @ConsolePage
    @WithFormRead
    public void check(ResteasyReactiveContainerRequestContext request, RoutingContext routing) {
        String cookie = cookieToken(routing, cookieName());
        String method = request.getMethod();
        String site = request.getHeaderString("Sec-Fetch-Site");
        if (cookie != null) {
            // Also on a refusal: its page must not give the browser a new token, which would break the
            // forms of the person's open tabs (nor does it when the cookie was withheld: REFUSED).
            routing.put(TOKEN, cookie);
        }
        if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) || HttpMethod.OPTIONS.equals(method)) {
            // Another site (a sibling subdomain's page, on which a SameSite cookie still comes) may link to
            // a page, but not fetch one, nor start a download or a stream: each export is an audited read
            // in the person's name, and takes one of the few export turns. Nor load a page into a frame of
            // its own (Sec-Fetch-Dest iframe, a navigation too): frame-ancestors keeps it from showing, but
            // the audited pages' reads were done and recorded in the person's name all the same.
            if (!HttpMethod.OPTIONS.equals(method) && fromAnotherSite(site)
                    && (!"navigate".equals(request.getHeaderString("Sec-Fetch-Mode"))
                            || !"document".equals(request.getHeaderString("Sec-Fetch-Dest"))
                            || !ConsoleLinks.isPage(routing.request().path()))) {
                LOG.debugf("Refused a console %s of %s from another site (Sec-Fetch-Site %s, Sec-Fetch-Mode %s,"
                        + " Sec-Fetch-Dest %s)", method, routing.request().path(), site,
                        request.getHeaderString("Sec-Fetch-Mode"), request.getHeaderString("Sec-Fetch-Dest"));
                routing.put(REFUSED, Boolean.TRUE);
                request.abortWith(failures.otherSiteRefused());
            }
            return;
        }
        String sent = request.getHeaderString(HEADER);
        if (sent == null) {
            ResteasyReactiveRequestContext context = (ResteasyReactiveRequestContext) request.getServerRequestContext();
            Object field = context.getFormParameter(FIELD, true, false);
            sent = field instanceof String text ? text : null;
        }
        if (fromAnotherSite(site) || cookie == null || sent == null
                || !MessageDigest.isEqual(cookie.getBytes(StandardCharsets.US_ASCII),
                        sent.getBytes(StandardCharsets.US_ASCII))) {
            LOG.debugf("Refused a console %s to %s: CSRF token %s, Sec-Fetch-Site %s", method, routing.request().path(),
                    cookie == null ? "cookie missing" : sent == null ? "field missing" : "mismatch", site);
            routing.put(REFUSED, Boolean.TRUE);
            request.abortWith(failures.csrfRefused());
            return;
        }
        List<Problem.FieldError> carried = credentialsIn(
                ((ResteasyReactiveRequestContext) request.getServerRequestContext()).getFormData());
        if (!carried.isEmpty()) {
            request.abortWith(failures.credentialRefused(CallerSecrets.refusal(carried)));
        }
    }

    /**
     * The form's fields that carry a credential (an API key's secret, the Domo token), checked here
     * for every form at once: the page a form came from shows its fields again with a refusal, which
     * would show the credential. An uploaded file is the plan service's to look at.
     */
    private List<Problem.FieldError> credentialsIn(FormData form) {
        List<Problem.FieldError> carried = new ArrayList<>();
        if (form == null) {
            return carried;
        }
        for (String name : form) {
            if (secrets.carried(name, "A form field's name")) {
                carried.add(new Problem.FieldError(CallerSecrets.A_NAME, CallerSecrets.RULE));
            } else if (!name.equals(FIELD)) {
                for (FormValue value : form.get(name)) {
                    Problem.FieldError error = value.isFileItem() ? null : secrets.check(name, value.getValue(), null);
                    if (error != null) {
                        carried.add(error);
                    }
                }
            }
        }
        return carried;
    }

    /**
     * Gives the browser the page's new token, unless the request came from another site (cross-site):
     * the browser then withheld the cookie it may hold (SameSite=Strict), and a new one would break the
     * forms of the person's open tabs. A link from an e-mail, or the provider's redirect after a sign-in,
     * is such a request; the next page of the console's own gets the token. (A sibling subdomain's link,
     * same-site, comes with the cookie: a token made then is one the browser did not have.)
     */
    @ServerResponseFilter
    @ConsolePage
    public void issue(ContainerRequestContext request, RoutingContext routing) {
        if (routing.get(NEW_TOKEN) != null && routing.get(REFUSED) == null
                && !"cross-site".equals(request.getHeaderString("Sec-Fetch-Site"))) {
            routing.response().addCookie(ConsoleCookies.cookie(config, COOKIE, routing.get(TOKEN)));
        }
    }

    /** Removes the token's cookie, at sign-out. */
    public void forget(RoutingContext routing) {
        routing.remove(TOKEN);
        routing.remove(NEW_TOKEN);
        routing.response().addCookie(ConsoleCookies.cookie(config, COOKIE, "").setMaxAge(0));
    }

    /**
     * The token the page's forms must carry, for the person signed in ({@code principal}, null when
     * nobody is); a new one (and its cookie) for a browser that has none, or one made for someone else:
     * none carries over from the last person at a shared browser, while the same person signing in
     * again keeps theirs, and with it the forms of their open tabs.
     */
    public String token(RoutingContext routing, String principal) {
        String token = routing.get(TOKEN);
        if (token == null || !token.endsWith("." + tag(principal))) {
            byte[] bytes = new byte[32];
            random.nextBytes(bytes);
            token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "." + tag(principal);
            routing.put(TOKEN, token);
            routing.put(NEW_TOKEN, Boolean.TRUE);
        }
        return token;
    }

    /**
     * Whom a token was made for: 16 characters of a digest of the principal's name (none signed in: an
     * empty name). Not a secret and no proof: the CSRF check compares the whole token with the cookie.
     */
    private static String tag(String principal) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("console-csrf\0" + (principal == null ? "" : principal)).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tag of the browser's token cookie (whom it was made for), or null when it has none or an untagged one. */
    static String cookieTag(RoutingContext routing, ConsoleConfig config) {
        String token = cookieToken(routing, ConsoleCookies.name(config, COOKIE));
        int dot = token == null ? -1 : token.indexOf('.');
        return dot < 0 ? null : token.substring(dot + 1);
    }

    /** Whether {@code tag} is the one a token made for {@code principal} carries. */
    static boolean madeFor(String tag, String principal) {
        return tag != null && MessageDigest.isEqual(tag.getBytes(StandardCharsets.US_ASCII),
                tag(principal).getBytes(StandardCharsets.US_ASCII));
    }

    /** The browser marks the request as made by another site's page (a browser too old to say is let through). */
    private static boolean fromAnotherSite(String site) {
        return site != null && !site.equals("same-origin") && !site.equals("none");
    }

    private String cookieName() {
        return ConsoleCookies.name(config, COOKIE);
    }

    private static String cookieToken(RoutingContext routing, String name) {
        Cookie cookie = routing.request().getCookie(name);
        return cookie != null && WELL_FORMED.matcher(cookie.getValue()).matches() ? cookie.getValue() : null;
    }
}
