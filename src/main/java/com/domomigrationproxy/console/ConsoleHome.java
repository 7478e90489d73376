package com.domomigrationproxy.console;

import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.Authenticated;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * The console's front door: the home page, signing in and out, and the answer for pages that do not
 * exist. Signing in and out is OpenID Connect's (quarkus-oidc): /console/sign-in is where the
 * provider sends people back, /console/sign-out ends the session there too.
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@ConsolePage
@Blocking
public class ConsoleHome {

    private final Frames frames;
    private final ConsoleFailures failures;
    private final ConsoleConfig config;

    @Inject
    ConsoleHome(Frames frames, ConsoleFailures failures, ConsoleConfig config) {
        this.frames = frames;
        this.failures = failures;
        this.config = config;
    }

    @GET
    @Authenticated
    public TemplateInstance home() {
        return Pages.home(frames.of("Console", Frame.Section.HOME));
    }

    /**
     * Where the provider sends a person back. The session cookie is SameSite=Strict, so a browser
     * withholds it on this cross-site redirect chain; the page carries on with a navigation of its
     * own, on which the browser sends it.
     */
    @GET
    @Path("/sign-in")
    @Authenticated
    public Response signedIn(@CookieParam(ConsoleLinks.NEXT_COOKIE) String next) {
        Response.ResponseBuilder page = Response.ok(Pages.signedIn(frames.of("Signed in", Frame.Section.NONE),
                ConsoleLinks.next(next)));
        if (next != null) {
            page.cookie(new NewCookie.Builder(ConsoleLinks.NEXT_COOKIE).value("").path(ConsoleLinks.ROOT).maxAge(0)
                    .httpOnly(true).secure(config.secureCookies()).build());
        }
        return page.build();
    }

    /** Reached only when the provider offers no sign-out of its own; quarkus-oidc answers otherwise. */
    @POST
    @Path("/sign-out")
    @Authenticated
    public Response signOut() {
        return Response.seeOther(java.net.URI.create(ConsoleLinks.ROOT + "/signed-out")).build();
    }

    @GET
    @Path("/signed-out")
    @PermitAll
    public TemplateInstance signedOut() {
        return Pages.signedOut(frames.anonymous("Signed out"));
    }

    @GET
    @Path("/{unknown: .+}")
    @PermitAll
    public Response unknown() {
        return failures.notFound();
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
