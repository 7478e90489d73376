package com.domomigrationproxy.console;

import java.net.URI;
import java.util.Optional;

import jakarta.annotation.security.PermitAll;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.quarkus.oidc.OidcConfigurationMetadata;
import io.quarkus.oidc.OidcSession;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * The console's front door: the home page, signing in and out, and the answer for pages that do not
 * exist. Signing in is OpenID Connect's (quarkus-oidc): /console/sign-in is where the provider
 * sends people back; /console/sign-out ends the session here and at the provider.
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@ConsolePage
@Blocking
public class ConsoleHome {

    private final Frames frames;
    private final ConsoleFailures failures;
    private final ConsoleConfig config;
    private final OidcSession session;
    private final Instance<OidcConfigurationMetadata> provider;
    private final CurrentVertxRequest request;
    private final String clientId;
    private final boolean forceHttps;
    private final ConsoleCsrf csrf;

    @Inject
    ConsoleHome(Frames frames, ConsoleFailures failures, ConsoleConfig config, OidcSession session,
            Instance<OidcConfigurationMetadata> provider, CurrentVertxRequest request,
            @ConfigProperty(name = "quarkus.oidc.client-id") Optional<String> clientId,
            @ConfigProperty(name = "quarkus.oidc.authentication.force-redirect-https-scheme", defaultValue = "false")
            boolean forceHttps, ConsoleCsrf csrf) {
        this.frames = frames;
        this.failures = failures;
        this.config = config;
        this.session = session;
        this.provider = provider;
        this.request = request;
        this.clientId = clientId.orElse(null);
        this.forceHttps = forceHttps;
        this.csrf = csrf;
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
        Response.ResponseBuilder page = Response.ok(Pages.signedIn(frames.passing("Signed in"),
                ConsoleLinks.next(next)));
        if (next != null) {
            page.cookie(new NewCookie.Builder(ConsoleLinks.NEXT_COOKIE).value("").path(ConsoleLinks.ROOT).maxAge(0)
                    .httpOnly(true).secure(config.secureCookies()).build());
        }
        return page.build();
    }

    /**
     * Ends the session here (the cookie is removed) and, when the provider offers RP-initiated
     * logout, there too; it then comes back to /console/signed-out. A form post, so its CSRF token
     * is checked like any other. That link back is https whenever the sign-in's redirect URI is
     * (QUARKUS_OIDC_AUTHENTICATION_FORCE_REDIRECT_HTTPS_SCHEME, behind a proxy that ends TLS).
     * Someone whose session here has already ended (it expired, or another tab signed out) is never
     * asked to sign in again: that sent them to the provider, which signed them straight back in.
     * The provider's own session may still live, though, and would sign the next person at this
     * browser in as them: it is ended all the same, without an ID token to hint with.
     */
    @POST
    @Path("/sign-out")
    @PermitAll
    public Uni<Response> signOut() {
        String endSession = provider.isResolvable() ? provider.get().getEndSessionUri() : null;
        if (frames.viewer() == null) {
            return Uni.createFrom().item(toSignedOut(endSession, null));
        }
        String idToken = session.getIdToken() == null ? null : session.getIdToken().getRawToken();
        return session.logout().map(done -> toSignedOut(endSession, idToken));
    }

    /** To /console/signed-out, through the provider's logout when it offers one. */
    private Response toSignedOut(String endSession, String idToken) {
        csrf.forget(request.getCurrent());
        HttpServerRequest request = this.request.getCurrent().request();
        String signedOut = (forceHttps ? "https" : request.scheme()) + "://" + request.authority() + ConsoleLinks.ROOT
                + "/signed-out";
        if (endSession == null) {
            return signedOutHere();
        }
        QueryString query = new QueryString().with("post_logout_redirect_uri", signedOut).with("client_id", clientId)
                .with("id_token_hint", idToken);
        return Response.seeOther(URI.create(endSession + (endSession.contains("?")
                ? "&" + query.text().substring(1) : query.text()))).build();
    }

    /** To /console/signed-out as a path, not built from the Host header: a proxy that passes any Host on makes no open redirect. */
    private static Response signedOutHere() {
        return Response.status(Response.Status.SEE_OTHER).header(HttpHeaders.LOCATION, ConsoleLinks.ROOT + "/signed-out")
                .build();
    }

    /**
     * The address typed or bookmarked: signing out is a form post (its CSRF token is checked), so
     * a signed-in person is asked, with the form the header's button posts; anyone else is already
     * signed out. Followed from another site, the browser withholds the SameSite=Strict session
     * cookie, so whether someone is signed in cannot be told: the page carries on with a navigation
     * of its own, on which the cookies come, and that one asks or says signed out.
     */
    @GET
    @Path("/sign-out")
    @PermitAll
    public Response signOutPage(@HeaderParam("Sec-Fetch-Site") String fetchSite) {
        Frame frame = frames.of("Sign out", Frame.Section.NONE);
        if (frame.viewer() == null && !"cross-site".equals(fetchSite)) {
            return signedOutHere();
        }
        // From another site neither the session nor the CSRF cookie came: the page carries on with a
        // navigation of its own, on which both come, instead of asking with a token of its own (its cookie
        // would have broken the forms of every tab the person keeps open).
        return Response.ok(Pages.signOut(frame, "cross-site".equals(fetchSite))).build();
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
        return failures.noPage();
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
