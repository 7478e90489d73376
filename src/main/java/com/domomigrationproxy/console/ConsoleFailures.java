package com.domomigrationproxy.console;

import java.io.EOFException;
import java.nio.charset.CharacterCodingException;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;

import com.domomigrationproxy.audit.UnrecordedAccessPages;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticator;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * What a person sees when a console request fails: an HTML page, never the API's problem JSON. A
 * person who is not signed in is sent to the OpenID Connect provider (the page asked for is
 * remembered for afterwards); a missing role, an invalid form or an unavailable Domo get a page
 * that says so and what to do.
 */
@ApplicationScoped
public class ConsoleFailures implements UnrecordedAccessPages {

    private static final Logger LOG = Logger.getLogger(ConsoleFailures.class);
    /** Quarkus REST's handler that reads form bodies (url-encoded and multipart). */
    private static final String FORM_READER = "org.jboss.resteasy.reactive.server.handlers.FormBodyHandler";

    private final ConsoleConfig config;
    private final Frames frames;
    private final CurrentVertxRequest request;
    private final ConsoleNotices notices;

    @Inject
    ConsoleFailures(ConsoleConfig config, Frames frames, CurrentVertxRequest request, ConsoleNotices notices) {
        this.config = config;
        this.frames = frames;
        this.request = request;
        this.notices = notices;
    }

    /** The answer to a failed console request; resources hand their failures over here. */
    public Uni<Response> answer(RuntimeException failure) {
        RoutingContext routing = request.getCurrent();
        boolean signingIn = ConsoleLinks.SIGN_IN.equals(routing.request().path());
        if (failure instanceof UnauthorizedException
                || (failure instanceof AuthenticationFailedException && !signingIn)) {
            // Not signed in, or a session that expired or does not verify: sign in (again).
            return signIn(routing);
        }
        if (failure instanceof AuthenticationCompletionException || failure instanceof AuthenticationFailedException) {
            // On the way back from the provider: asking it again could go round in circles.
            LOG.debugf("Console sign-in did not complete: %s", failure.getMessage());
            return page(page(401, "Sign-in did not complete", "The provider's answer could not be verified, or it"
                    + " names a principal this service cannot record. Try again, or ask an administrator.",
                    List.of(), false));
        }
        if (failure instanceof ForbiddenException) {
            return page(page(403, "Not for your role", "Your roles do not allow this page or action. Ask for the"
                    + " role it needs (docs/console.md lists them).", List.of(), true));
        }
        if (failure instanceof ProblemException problem) {
            String detail = problem.detail();
            List<Problem.FieldError> errors = problem.extensions().errors() == null ? List.of()
                    : problem.extensions().errors();
            // With the problem's own headers: Retry-After of a busy 503 or a 429, which its text points to.
            return page(page(problem.status(), heading(problem.status()), detail, errors, true, problem.headers()));
        }
        if (failure instanceof NotFoundException || failure instanceof NotAllowedException) {
            return page(noPage());
        }
        int status = failure instanceof WebApplicationException web ? web.getResponse().getStatus() : 500;
        if (status == 500 && whileReadingTheForm(failure)) {
            return page(page(400, heading(400), "The form could not be read (an invalid escape, an unknown"
                    + " character set or a body cut short). Reload the page and submit it again.", List.of(), true));
        }
        if (status < 500) {
            return page(page(status, heading(status), "The request could not be processed.", List.of(), true));
        }
        LOG.error("Console request failed", failure);
        return page(page(500, heading(500), "The console failed unexpectedly; quote the request id when reporting"
                + " it.", List.of(), true));
    }

    /**
     * Whether Quarkus REST failed while reading the request's form, before any console code ran:
     * the body the browser (or whoever posed as one) sent is at fault, not the service. Told by the
     * reader's frames (it and its inner classes) and by the kind of failure, since the reader throws
     * plain IllegalArgumentException and the like.
     */
    private static boolean whileReadingTheForm(Throwable failure) {
        boolean malformed = false;
        boolean inTheReader = false;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            // What bad bytes raise (an invalid escape, an unknown charset, a body cut short); a full
            // disk or the like stays a 500, and is logged.
            malformed |= cause instanceof IllegalArgumentException || cause instanceof CharacterCodingException
                    || cause instanceof EOFException;
            for (StackTraceElement frame : cause.getStackTrace()) {
                inTheReader |= frame.getClassName().startsWith(FORM_READER);
            }
        }
        return malformed && inTheReader;
    }

    /**
     * 405 with the methods the address answers (a GET on a form's address, a PUT on a page), or 404
     * where the console has nothing.
     */
    Response noPage() {
        HttpServerRequest current = request.getCurrent().request();
        List<String> allowed = ConsoleRoutes.allowed(current.path());
        if (allowed.isEmpty()) {
            return page(404, heading(404), "There is no such page in the console.", List.of(), true);
        }
        String detail = allowed.contains("GET") ? "This page does not take a " + current.method().name() + " request."
                : "This address takes a submitted form only: go back to the page that has the form and submit it"
                        + " there.";
        return page(405, heading(405), detail, List.of(), true, Map.of(HttpHeaders.ALLOW, String.join(", ", allowed)));
    }

    /** A download, a stream or a page fetched by another site's page, not opened from the console. */
    Response otherSiteRefused() {
        return page(403, "Open it from the console", "Another site's page asked for this address. Downloads and live"
                + " updates open only from the console's own pages; a page, only when followed as a link.", List.of(), true);
    }

    /** The answer to a state-changing request without the page's CSRF token. */
    Response csrfRefused() {
        return page(403, "Form not accepted", "This form did not come from a console page you have open, or the"
                + " page is too old. Reload the page and submit it again.", List.of(), true);
    }

    /** A form that carried a credential: its fields named, none shown again. */
    Response credentialRefused(ProblemException problem) {
        return page(400, heading(400), problem.detail(), problem.extensions().errors(), true);
    }

    /** 503 when sign-in is off; otherwise the provider's challenge (a redirect), remembering the page asked for. */
    private Uni<Response> signIn(RoutingContext routing) {
        if (!config.enabled()) {
            return page(page(503, "Sign-in is not configured", "This service runs without its console: sign-in"
                    + " through OpenID Connect is off (PROXY_CONSOLE_ENABLED). The API is not affected.", List.of(),
                    false));
        }
        // A form of the console's own, sent after its session ended, is not acted on: sign-in leads back to
        // the page it was on, which says so, instead of leaving the person at the home page to wonder whether
        // it was done. Only a form sent from this site with its token cookie: another site's page may not
        // plant the notice, nor choose the page sign-in leads to.
        // The notice waits for the person the form's token was made for (its tag).
        String site = routing.request().getHeader("Sec-Fetch-Site");
        String madeFor = ConsoleCsrf.cookieTag(routing, config);
        boolean form = !HttpMethod.GET.equals(routing.request().method().name())
                && !HttpMethod.HEAD.equals(routing.request().method().name())
                && (site == null || "same-origin".equals(site))
                && routing.request().getCookie(ConsoleCookies.name(config, ConsoleCsrf.COOKIE)) != null
                && !routing.request().path().equals(ConsoleLinks.SIGN_OUT);
        if (form && madeFor != null) {
            notices.leaveFormUnsent(madeFor);
        }
        if (routing.request().getHeader("HX-Request") != null) {
            // A request from a page whose session ended: htmx navigates the whole page to sign in again.
            return Uni.createFrom().item(Response.status(401).header("HX-Redirect", form
                    ? ConsoleLinks.formPage(routing.request().path()) : ConsoleLinks.HOME).build());
        }
        HttpAuthenticator authenticator = routing.get(HttpAuthenticator.class.getName());
        String asked = form ? ConsoleLinks.formPage(routing.request().path()) : routing.request().uri();
        boolean remember = (form || HttpMethod.GET.equals(routing.request().method().name()))
                && ConsoleLinks.returnablePage(asked) && !asked.startsWith(ConsoleLinks.SIGN_IN);
        return authenticator.getChallenge(routing).map(challenge -> {
            if (challenge == null) {
                return page(401, "Sign in", "Sign-in is not available right now.", List.of(), false);
            }
            Response.ResponseBuilder response = Response.status(challenge.status);
            challenge.getHeaders().forEach((name, value) -> response.header(name.toString(), value));
            if (remember) {
                routing.response().addCookie(ConsoleLinks.nextCookie(asked, config.secureCookies()));
            }
            return response.build();
        });
    }

    private Response page(int status, String heading, String detail, List<Problem.FieldError> errors,
            boolean withViewer) {
        return page(status, heading, detail, errors, withViewer, Map.of());
    }

    private Response page(int status, String heading, String detail, List<Problem.FieldError> errors,
            boolean withViewer, Map<String, String> headers) {
        Frame frame = withViewer ? frames.of(heading, Frame.Section.NONE) : frames.anonymous(heading);
        String retryAfter = headers.get("Retry-After");
        TemplateInstance page = Pages.failure(frame, status, heading, detail, errors,
                retryAfter != null && retryAfter.matches("[0-9]{1,9}") ? retryAfter : null);
        Response.ResponseBuilder response = Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"))
                .entity(page);
        headers.forEach(response::header);
        return response.build();
    }

    /** Console paths: a read of the trail that cannot be recorded is a page there too, not problem JSON. */
    @Override
    public boolean answers(String path) {
        return ConsoleLinks.isConsole(path);
    }

    @Override
    public String page(int status, String detail) {
        return Pages.failure(frames.of(heading(status), Frame.Section.NONE), status, heading(status), detail, List.of(),
                null).render();
    }

    private static Uni<Response> page(Response response) {
        return Uni.createFrom().item(response);
    }

    static String heading(int status) {
        return switch (status) {
            case 400 -> "Not valid";
            case 404 -> "Not found";
            case 405 -> "Not for this address";
            case 409 -> "Conflict";
            case 429 -> "Too many requests";
            case 502 -> "Domo answered with an error";
            case 503 -> "Unavailable";
            case 504 -> "Domo did not answer in time";
            default -> status >= 500 ? "Something went wrong" : "Request not processed";
        };
    }
}
