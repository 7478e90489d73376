package com.domomigrationproxy.web;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.vertx.VertxInputStream;

import com.domomigrationproxy.console.ConsoleLinks;
import com.domomigrationproxy.console.ConsoleRefusals;
import com.domomigrationproxy.http.ApiOperations;
import com.domomigrationproxy.http.CallerSecrets;
import com.domomigrationproxy.http.EdgeRefusal;
import com.domomigrationproxy.http.PlanBodyLimit;
import com.domomigrationproxy.http.RequestIds;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.problem.SettingProblems;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * First handler of every request on the public port (after the access log): gives it a request id
 * (header, log MDC) and turns away paths that are not canonical, before routing can normalise them.
 *
 * <p>One rule for every path: percent-encoding, dot segments, empty segments and backslashes are
 * refused (400), because routing would normalise them into another path than the one checked
 * ({@code //api/…}, {@code /x/../api/…}, {@code /%61pi/…}). API paths are stricter still: fixed
 * words and identifiers of {@code [A-Za-z0-9_-]} only, so nothing else can reach Domo.
 *
 * <p>Bodies: an uploaded plan (through the API or the console) may be up to {@code quarkus.http.limits.max-body-size} (8 MiB: 10,000
 * items; one announced larger is refused here through the API, 413, with a problem); every other body is a small JSON object, and one announced longer than
 * {@link #MAX_BODY} is refused here (413) before it is read; one sent in chunks over HTTP/1.1 is
 * refused as soon as it outgrows it. The API's other bodies are read here, on the event loop
 * (HTTP/1.1): the worker that runs the endpoint then parses bytes
 * already in memory, where Quarkus REST would have it wait on a stream that the event loop feeds
 * chunk by chunk, a hand-over under a lock that took a tenth of a migration's CPU
 * (docs/performance.md, fifth round).
 */
@ApplicationScoped
public class RequestFilter {

    private static final Logger LOG = Logger.getLogger(RequestFilter.class);
    private static final String API_PREFIX = "/api/";
    /** The largest body of any request but a plan upload. */
    static final long MAX_BODY = 64 * 1024;
    private static final String API_PLANS = "/api/v1/plans";
    /** Where plans are uploaded: the API, and the console's CSV upload and Domo-browser selection. */
    private static final Pattern PLAN_UPLOAD = Pattern.compile(
            "/api/v1/plans|/console/plans|/console/domo/accounts/[A-Za-z0-9_-]+/plan");
    /** Routing drops a ';' and what follows it in a segment (matrix parameters), so ';' is never canonical. */
    private static final Pattern NOT_CANONICAL = Pattern.compile("//|%|;|\\\\|(^|/)\\.{1,2}(/|$)");

    /** A request whose body {@link #readBody} reads once its caller is known. */
    private static final String READ_BODY = RequestFilter.class.getName() + ".readBody";
    /** The one API operation anyone may call: its answer is the same for every caller. */
    private static final String PUBLIC_OPERATION = "getCheckpointPublicKey";
    /** Right after Quarkus's authentication (order -200) and path permissions (-100) are set up. */
    private static final int ORDER_READ_BODY = -99;
    /** How long the rest of a body answered early may still take to arrive. */
    private static final long LINGER_MILLIS = 500;

    private final BodyHandler smallBody = BodyHandler.create(false).setBodyLimit(MAX_BODY);
    private final PlanBodyLimit planLimit;
    private final BodiesInMemory inMemory;
    private final ConsoleRefusals console;
    private final Event<EdgeRefusal> refusals;
    private final CallerSecrets secrets;
    private volatile boolean shuttingDown;
    private final boolean cors;
    /** How long a body may take to arrive once its headers have ({@link BodyConfig#deadline()}). */
    private final Duration bodyDeadline;
    private final Duration readTimeout;

    @Inject
    RequestFilter(PlanBodyLimit planLimit, ConsoleRefusals console, Event<EdgeRefusal> refusals, CallerSecrets secrets,
            @ConfigProperty(name = "quarkus.http.cors.enabled", defaultValue = "false") boolean cors,
            @ConfigProperty(name = "quarkus.http.read-timeout", defaultValue = "60s") Duration readTimeout,
            BodyConfig bodies) {
        this.bodyDeadline = bodies.deadline();
        this.readTimeout = readTimeout;
        this.secrets = secrets;
        this.planLimit = planLimit;
        this.console = console;
        this.refusals = refusals;
        this.cors = cors;
        this.inMemory = new BodiesInMemory(Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 16));
    }

    /** Refuses to start with a body deadline that could not keep its word (see {@link #problems}). */
    void onStart(@Observes StartupEvent event) {
        SettingProblems.refuseStart(problems(bodyDeadline, readTimeout));
    }

    /**
     * A body deadline under 1 s is no time for a body to arrive (and under 1 ms Vert.x refuses its
     * timer at every body); one that is not shorter than the read timeout lets a stalled HTTP/2 body
     * end the client's whole connection at that timeout instead of its stream at the deadline.
     */
    static List<String> problems(Duration bodyDeadline, Duration readTimeout) {
        SettingProblems problems = new SettingProblems();
        if (bodyDeadline.compareTo(Duration.ofSeconds(1)) < 0 || bodyDeadline.compareTo(readTimeout) >= 0) {
            problems.add("PROXY_BODY_DEADLINE must be at least 1s and shorter than QUARKUS_HTTP_READ_TIMEOUT ("
                    + readTimeout + "), not " + bodyDeadline);
        }
        return problems.list();
    }

    void register(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(this::filter) // right after AccessLog
                .failureHandler(this::failed);
        router.route().order(ORDER_READ_BODY).handler(this::readBody);
        // After Quarkus's own limit (order -2), which would hold an API body sent over HTTP/2 without a
        // length to the 8 MiB of a plan: Quarkus REST reads those, under the API's 64 KiB.
        router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT + 1).handler(context -> {
            if (context.get(READ_BODY) != null && context.request().version() == HttpVersion.HTTP_2) {
                context.put(VertxInputStream.MAX_REQUEST_SIZE_KEY, MAX_BODY);
            }
            context.next();
        });
        // After Quarkus's own limit (order -2), which would end a plan sent in chunks with an empty 413.
        router.route(HttpMethod.POST, API_PLANS).order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT + 1)
                .handler(RequestFilter::chunkedPlan);
    }

    /** Whether every member of every Expect header is 100-continue (RFC 9110 10.1.1), or there is none. */
    static boolean onlyContinueExpected(HttpServerRequest request) {
        if (request.getHeader("Expect") == null) {
            return true; // the usual request: nothing allocated on the GET path
        }
        for (String value : request.headers().getAll("Expect")) {
            for (String member : value.split(",")) {
                String expectation = member.strip();
                if (!expectation.isEmpty() && !expectation.equalsIgnoreCase("100-continue")) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * A body that outgrew its limit while it arrived (sent in chunks): the same problem as an
     * announced one. A client that went away before its body arrived gets nothing, and is no error
     * of the service's: Quarkus's failure handler would log it as one. A request Vert.x refused
     * before any handler ran gets the problem any other refusal gets.
     */
    private void failed(RoutingContext context) {
        String path = context.request().path();
        if (context.failure() instanceof HttpClosedException) {
            LOG.debugf("The client closed the connection before its request to %s was read", path);
            return;
        }
        if (!RequestIds.assigned(context.request()) && !context.response().headWritten()) {
            refusedBeforeRouting(context);
            return;
        }
        if (context.statusCode() == 417 && !context.response().headWritten()) {
            // Vert.x's body reader refuses any Expect but 100-continue, with an empty answer.
            refuse(context, new ProblemException(417, ProblemType.INVALID_REQUEST,
                    "The only expectation understood is Expect: 100-continue"));
        } else if (context.get(READ_BODY) != null && decodingFailure(context.failure())
                && !context.response().headWritten()) {
            // Netty could not decode the body's framing (a chunk size that is no number): the caller's
            // fault, not the service's, which Quarkus logged as an error with an id. Vert.x closes the
            // connection, since what follows cannot be told apart from the body any more; the problem
            // goes out if it still can.
            LOG.debugf("The body of a request to %s could not be read: %s", path, context.failure());
            if (context.request().version() != HttpVersion.HTTP_2) {
                context.response().putHeader("Connection", "close");
            }
            refuse(context, new ProblemException(400, ProblemType.INVALID_REQUEST,
                    "The request's body could not be read: its framing is malformed (a chunk size that is no"
                            + " number, say)"));
        } else if (context.statusCode() != 413 || context.response().headWritten()) {
            context.next();
        } else if (!planUpload(context, path)) {
            refuse(context, tooLarge());
        } else if (path.startsWith(API_PREFIX)) {
            refuse(context, planLimit.tooLarge());
        } else {
            context.next(); // the console's plan uploads keep its own pages
        }
    }

    /** A failure of Netty's HTTP decoder, thrown where it read the request's own bytes. */
    private static boolean decodingFailure(Throwable failure) {
        StackTraceElement[] frames = failure == null ? new StackTraceElement[0] : failure.getStackTrace();
        return frames.length > 0 && frames[0].getClassName().startsWith("io.netty.handler.codec.http.");
    }

    /**
     * A plan sent to the API in chunks announces no length: the plan resource reads it under the
     * limit ({@link PlanBodyLimit#read}) and answers the 413 problem past it, so Quarkus REST must
     * not hold the limit too.
     */
    private static void chunkedPlan(RoutingContext context) {
        if (announcedLength(context.request().getHeader("Content-Length")) < 0) {
            context.remove(VertxInputStream.MAX_REQUEST_SIZE_KEY);
        }
        context.next();
    }

    /**
     * Vert.x fails a request before the first handler when it names no host (HTTP/1.1 without
     * {@code Host}, HTTP/2 without {@code :authority}: 400) or its target is no path ({@code ?x}:
     * 400; {@code *}: 404). Quarkus's failure handler answered those with a JSON body of its own,
     * without a request id, and logged each at ERROR: anyone could fill the log with them.
     */
    private void refusedBeforeRouting(RoutingContext context) {
        assignRequestId(context);
        secrets.inRequest(context); // refused anyway: only so that the path is shown without a credential
        if (context.statusCode() == 404) {
            refuse(context, new ProblemException(404, ProblemType.NOT_FOUND, "No such resource in this API"));
        } else if (context.request().authority() == null) {
            refuse(context, "The request must name its host (the Host header; :authority over HTTP/2)");
        } else {
            refuse(context, "The request target must be a path that starts with '/'");
        }
    }

    private static ProblemException tooLarge() {
        return new ProblemException(413, ProblemType.PAYLOAD_TOO_LARGE, "The request body is too large"
                + " (at most " + MAX_BODY / 1024 + " KiB; only a plan upload may be larger)");
    }

    /**
     * The caller's request id, or a new one: on the response and in the log's MDC. And no API
     * answer is kept by a cache on the way: it was given to one caller (whose API key in
     * {@code X-API-Key} shared caches do not know to respect, as they do {@code Authorization}).
     */
    private void assignRequestId(RoutingContext context) {
        String requestId = RequestIds.accept(context.request().getHeader(RequestIds.HEADER), secrets);
        context.response().putHeader(RequestIds.HEADER, requestId);
        if (context.request().path() != null && context.request().path().startsWith(API_PREFIX)) {
            context.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        }
        MDC.put(RequestIds.MDC_KEY, requestId);
    }

    /**
     * From SIGTERM on, requests already taken finish (QUARKUS_SHUTDOWN_TIMEOUT) but new ones are
     * refused: Quarkus keeps serving them while it waits, and cut off those still running when the
     * wait ran out (a migration already sent to Domo lost its answer). 503 busy, Retry-After 1,
     * Connection: close, so the client's retry goes to another replica.
     */
    void onShutdownStarting(@Observes ShutdownDelayInitiatedEvent event) {
        shuttingDown = true;
    }

    private void filter(RoutingContext context) {
        assignRequestId(context);
        // Looked at first, so that every refusal below shows the path without a credential in it.
        ProblemException credential = secrets.inRequest(context);
        if (context.request().getHeader("Transfer-Encoding") != null
                && !lastCodingIsChunked(context.request().headers().getAll("Transfer-Encoding"))) {
            // RFC 9112 6.3: such a body has no length the service can tell, so its end cannot be found
            // either; it held a worker thread until the read timed out (60 s), then got a 500. First, so
            // that no other refusal leaves the connection reading a body of unknown length.
            context.response().putHeader("Connection", "close");
            context.addEndHandler(ended -> context.request().connection().close());
            refuse(context, "A request's Transfer-Encoding must end in chunked; send the body with a"
                    + " Content-Length or in chunks");
            return;
        }
        if (shuttingDown) {
            refuse(context, ProblemException.busy("This replica is shutting down; send the request again, another"
                    + " replica answers it", 1));
            return;
        }
        if (!oneHost(context.request())) {
            // RFC 9112 3.2: a request with an empty Host, or more than one, is a 400. An empty one made
            // Location headers without a host ("http:/api/v1/plans/…").
            refuse(context, "The request must name its host once (one Host header, not empty)");
            return;
        }
        if (!buildsAUri(context.request().host())) {
            // Vert.x takes anything in brackets for an IPv6 address: "Host: [x]" made every answer with
            // a Location (a plan's 201, the console's redirects) a 500, after the action was done.
            refuse(context, "The request's host must be a host name or address, with an optional port");
            return;
        }
        if (!onlyContinueExpected(context.request())) {
            // Vert.x's body reader refuses it only for a body it reads: a POST without one (a reversal,
            // a plan's start), a plan upload and any HTTP/2 body went on to be carried out (review).
            refuse(context, new ProblemException(417, ProblemType.INVALID_REQUEST,
                    "The only expectation understood is Expect: 100-continue"));
            return;
        }
        MediaTypeSpaces.remove(context.request());
        String path = context.request().path();
        boolean api = path != null && path.startsWith(API_PREFIX);
        // An API path of plain segments is canonical too, so the usual request needs no regex.
        boolean plain = api && plainSegments(path);
        if (!plain && (path == null || !path.startsWith("/") || NOT_CANONICAL.matcher(path).find())) {
            refuse(context, "The path must be canonical: percent-encoding, dot segments, empty segments,"
                    + " semicolons and backslashes are never valid here");
            return;
        }
        if (api && !plain) {
            refuse(context, "The path may contain only letters, digits, '_' and '-' between single slashes");
            return;
        }
        if (credential != null) {
            refuse(context, credential);
            return;
        }
        // A browser's CORS preflight goes on to Quarkus's CORS handler when QUARKUS_HTTP_CORS_ENABLED is
        // set; without it, Quarkus REST would answer it 200 with every method, on any path.
        if (api && context.request().method() == HttpMethod.OPTIONS
                && (!cors || context.request().getHeader("Access-Control-Request-Method") == null)) {
            options(context, path);
            return;
        }
        long announced = announcedLength(context.request().getHeader("Content-Length"));
        if (announced > planLimit.limit() && api && planUpload(context, path)) {
            refuse(context, planLimit.tooLarge());
            return;
        }
        // A body sent in chunks announces no length: it is read under the same limit as it arrives.
        // Any Transfer-Encoding (gzip, chunked too): Netty reads the body as chunked whatever comes first.
        // (A GET too outside the API, where Quarkus REST reads a console form whatever the method.)
        boolean chunked = announced < 0 && (!api || context.request().method() != HttpMethod.GET)
                && context.request().headers().contains("Transfer-Encoding");
        // Over HTTP/2 a body need not announce its length, and has no Transfer-Encoding. A request
        // without one is not yet ended here either (Vert.x ends it after this handler has run), so a
        // GET is taken to have none, as above: every GET over HTTP/2 was held as a body until its
        // deadline closed the connection, 10 s into a slow answer (an export, an event stream).
        // A HEAD, which has no body either: held, an anonymous one to the public key was answered 401.
        boolean unannouncedHttp2 = announced < 0 && context.request().version() == HttpVersion.HTTP_2
                && context.request().method() != HttpMethod.GET && context.request().method() != HttpMethod.HEAD
                && !context.request().isEnded();
        boolean hasBody = announced > 0 || chunked || unannouncedHttp2;
        if (hasBody) {
            // Answered before its body has all arrived (401, 302, 403, 413…): the rest is dropped as it
            // comes, and a body still unfinished a moment later ends its connection (HTTP/1.1) or stream
            // (HTTP/2), instead of holding the request open for as long as the client trickles (security
            // review). The moment lets a client that is still sending read the answer.
            context.addEndHandler(ignored -> {
                if (!context.request().isEnded()) {
                    context.request().resume();
                    context.vertx().setTimer(LINGER_MILLIS, linger -> {
                        if (!context.request().isEnded()) {
                            // The connection itself: closing the response did nothing once an answer
                            // with Connection: close (asked for, or HTTP/1.0's) had ended it.
                            context.request().connection().close();
                        }
                    });
                }
            });
        }
        if (!api && !planUpload(context, path) && (chunked || unannouncedHttp2 || announced < 0
                && context.request().version() == HttpVersion.HTTP_2
                && form(context.request().getHeader(HttpHeaders.CONTENT_TYPE)))) {
            // A console form: browsers announce its length. Without one, Quarkus REST would read it to
            // 8 MiB, also before an anonymous sign-out's CSRF check (security review). A plan's upload is
            // read to 8 MiB anyway, only once the person is known; scripts send it in chunks.
            // (An HTTP/2 GET is not ended here even without a body: one that says it carries a form is
            // refused too.)
            refuse(context, new ProblemException(411, ProblemType.INVALID_REQUEST,
                    "Send the form with a Content-Length"));
            return;
        }
        if (hasBody && !planUpload(context, path)) {
            if (announced > MAX_BODY) {
                refuse(context, tooLarge());
                return;
            }
            if (api && publicRead(context)) {
                // The public key's GET reads no body and needs no credentials: nothing is held for it
                // (held before the caller is known, it would let anyone fill the bodies' budget). Its
                // body is dropped as it comes, as for an early answer (above).
                context.next();
                return;
            }
            if (api) {
                holdBody(context, announced > 0 ? announced : MAX_BODY);
                return;
            }
            // A console form, read by Quarkus REST (before the CSRF check of a sign-out, which anyone may
            // post): under the same deadline as an API body, or a client that trickles it holds a worker
            // thread for as long as it likes.
            long deadline = context.vertx().setTimer(bodyDeadline.toMillis(), ignored -> endUnlessArrived(context));
            context.addEndHandler(ignored -> context.vertx().cancelTimer(deadline));
        }
        context.next();
    }

    /**
     * Keeps an API body until its caller is known ({@link #readBody}): paused, what arrives waits in
     * memory, so it is counted against {@link BodiesInMemory} from here on (503 past it, nothing
     * read) until the answer is sent or the connection closes, and it must arrive within
     * the body deadline ({@code PROXY_BODY_DEADLINE}) or the connection is closed.
     */
    private void holdBody(RoutingContext context, long size) {
        if (!inMemory.reserve(size)) {
            LOG.debugf("Refused a body of %d bytes: bodies being read already hold %d bytes", size, inMemory.held());
            refuse(context, ProblemException.busy("The service is reading too many request bodies at once", 1));
            return;
        }
        context.request().pause();
        long deadline = context.vertx().setTimer(bodyDeadline.toMillis(), ignored -> endUnlessArrived(context));
        context.addEndHandler(ignored -> {
            inMemory.release(size);
            context.vertx().cancelTimer(deadline);
        });
        context.put(READ_BODY, Boolean.TRUE);
        context.next();
    }

    /**
     * At the body's deadline: a body still unfinished ends its connection (HTTP/1.1) or its stream
     * (HTTP/2, leaving the client's other streams alone). Vert.x ends an HTTP/2 request only as it
     * delivers its END_STREAM, which a paused request keeps back: a POST without a body whose
     * resource reads none (a preflight, a reversal) still looked unfinished here, and closing then
     * cut off every such POST over HTTP/2 whose answer took more than 10 s. So an HTTP/2 request is
     * let through once and looked at again.
     */
    private void endUnlessArrived(RoutingContext context) {
        // A body the body handler has read whole has arrived, although Vert.x may still call its request
        // unended (HTTP/1.1: every migration whose Domo call outlasted the deadline lost its connection,
        // unanswered). The handler sets the buffer only at the body's end; body().available() says only
        // that the handler has started, which let a body cut short or dripping hold its connection for ever.
        if (context.request().isEnded() || context.body().buffer() != null) {
            return;
        }
        if (context.request().version() != HttpVersion.HTTP_2) {
            LOG.debugf("Closed a connection whose %s body did not arrive within %d ms", context.request().path(),
                    bodyDeadline.toMillis());
            context.request().connection().close();
            return;
        }
        context.request().resume();
        context.vertx().getOrCreateContext().runOnContext(delivered -> { // after what resume() let through
            if (!context.request().isEnded() && !context.response().ended()) {
                LOG.debugf("Reset a stream whose %s body did not arrive within %d ms", context.request().path(),
                        bodyDeadline.toMillis());
                context.response().reset();
            }
        });
    }

    /**
     * Reads an API body into memory once its caller is known, so that no one without credentials
     * can make the service read bodies: every API operation that takes a body needs a role, so a
     * request without accepted credentials is answered 401 here, its body dropped as it arrives
     * (Quarkus REST would read it before its role check). Bodies read before authentication let
     * anyone fill the heap with half-sent bodies until the process died (security review).
     */
    private void readBody(RoutingContext context) {
        if (context.get(READ_BODY) == null) {
            context.next();
            return;
        }
        Thread caller = Thread.currentThread();
        io.vertx.core.Context eventLoop = io.vertx.core.Vertx.currentContext();
        QuarkusHttpUser.getSecurityIdentity(context, null).subscribe().with(
                identity -> onEventLoop(caller, eventLoop, () -> {
                    if (identity == null || identity.isAnonymous()) {
                        unauthenticated(context, null);
                    } else if (form(context.request().getHeader(HttpHeaders.CONTENT_TYPE))) {
                        // The API takes no form, and Vert.x would decode one before Quarkus REST refused it:
                        // past 256 fields its decoder failed, and Quarkus answered with its error page.
                        refuse(context, new ProblemException(415, ProblemType.UNSUPPORTED_MEDIA_TYPE,
                                "The API takes JSON bodies (and a plan also as text/csv), not forms"));
                    } else if (context.request().version() == HttpVersion.HTTP_2) {
                        // Quarkus REST reads it: it pauses the request it is given, which Vert.x refuses for
                        // an HTTP/2 request whose body has been read (a 500).
                        context.request().resume();
                        context.next();
                    } else {
                        smallBody.handle(context); // resumes the request, reads the body, then context.next()
                    }
                }),
                failure -> onEventLoop(caller, eventLoop, () -> unauthenticated(context,
                        failure instanceof RuntimeException runtime ? runtime : null)));
    }

    /**
     * The public key, asked for with a body its GET does not read: public all the same (it was a
     * 401), whatever credentials come with it, and its body neither held nor read.
     */
    private static boolean publicRead(RoutingContext context) {
        return PUBLIC_OPERATION.equals(ApiOperations.resolve(context.request().method().name(), context.request().path()));
    }

    private static boolean form(String contentType) {
        String type = contentType == null ? "" : contentType.stripLeading().toLowerCase(Locale.ROOT);
        return type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/");
    }

    /** At once when the identity was known at once (an API key, or none), else back on the request's event loop. */
    private static void onEventLoop(Thread caller, io.vertx.core.Context eventLoop, Runnable action) {
        if (Thread.currentThread() == caller) {
            action.run();
        } else {
            eventLoop.runOnContext(ignored -> action.run());
        }
    }

    /**
     * The 401 Quarkus REST's mapper gives, with both challenges; the filter's end handler then drops
     * the body as it arrives.
     */
    private void unauthenticated(RoutingContext context, RuntimeException failure) {
        if (context.response().headWritten()) {
            return; // Quarkus's own failure handler answered the failed authentication (the same 401)
        }
        context.response().headers().add(HttpHeaders.WWW_AUTHENTICATE, ProblemMappers.BEARER_CHALLENGE)
                .add(HttpHeaders.WWW_AUTHENTICATE, ProblemMappers.API_KEY_CHALLENGE);
        refuse(context, ProblemMappers.unauthenticated(failure));
    }

    /**
     * Whether the path is {@code (/[A-Za-z0-9_-]+)+}: one or more slashes each followed by letters,
     * digits, '_' or '-'. A loop, not a regex: it runs on every API request, where the regex took 3%
     * of a GET's CPU (docs/performance.md, tenth round).
     */
    static boolean plainSegments(String path) {
        int length = path.length();
        if (length < 2 || path.charAt(0) != '/' || path.charAt(length - 1) == '/') {
            return false;
        }
        for (int i = 1; i < length; i++) {
            char c = path.charAt(i);
            boolean segmentChar = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
                    || c == '-';
            if (!segmentChar && (c != '/' || path.charAt(i - 1) == '/')) {
                return false;
            }
        }
        return true;
    }

    private static boolean planUpload(RoutingContext context, String path) {
        return context.request().method() == HttpMethod.POST && PLAN_UPLOAD.matcher(path).matches();
    }

    /** The body's announced length; -1 when none, or not a number. */
    private static long announcedLength(String contentLength) {
        if (contentLength == null) {
            return -1;
        }
        try {
            return Long.parseLong(contentLength.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * OPTIONS on the API: the methods of the path, as a 405 names them, or 404 for a path the API
     * does not have. Answered here: Quarkus REST's own answer is a 200 that lists methods a path
     * does not take, even for paths that do not exist.
     */
    private void options(RoutingContext context, String path) {
        List<String> allowed = ApiOperations.allowed(path);
        if (allowed.isEmpty()) {
            refuse(context, new ProblemException(404, ProblemType.NOT_FOUND, "No such resource in this API"));
            return;
        }
        context.response().setStatusCode(204).putHeader(HttpHeaders.ALLOW, String.join(", ", allowed)).end();
    }

    /**
     * HTTP/1.1: one Host header, not empty (Vert.x turned away a request without one before this
     * filter). HTTP/1.0 need not send one when it reads (a GET or HEAD outside the console, whose
     * answers build no Location on the host: without one, a plan's read "http:/api/v1/plans/…"), but
     * not an empty one or two either.
     */
    private static boolean oneHost(HttpServerRequest request) {
        if (request.version() == HttpVersion.HTTP_2) {
            return true;
        }
        List<String> hosts = request.headers().getAll("Host");
        if (hosts.isEmpty()) {
            return request.version() == HttpVersion.HTTP_1_0
                    && (request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD)
                    && request.path() != null && !request.path().startsWith(ConsoleLinks.ROOT);
        }
        return hosts.size() == 1 && !hosts.get(0).isBlank();
    }

    /**
     * Whether Quarkus REST can build a URI on the request's host, as it does for a Location header
     * ({@code new URI(scheme, authority, path, …)}): only brackets (an IPv6 address) can fail there,
     * so the usual host needs no parse.
     */
    static boolean buildsAUri(String host) {
        if (host == null || host.indexOf('[') < 0 && host.indexOf(']') < 0) {
            return true;
        }
        try {
            new URI("http", host, "/", null, null);
            return true;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** Whether the last coding the Transfer-Encoding headers name is chunked (gzip, chunked is read as chunked). */
    private static boolean lastCodingIsChunked(List<String> transferEncodings) {
        String last = transferEncodings.get(transferEncodings.size() - 1);
        return last.substring(last.lastIndexOf(',') + 1).strip().equalsIgnoreCase("chunked");
    }

    private void refuse(RoutingContext context, String detail) {
        refuse(context, new ProblemException(400, ProblemType.INVALID_REQUEST, detail));
    }

    /** The problem, or for a console address the console's page that says the same to a person. */
    private void refuse(RoutingContext context, ProblemException problem) {
        problem.headers().forEach(context.response()::putHeader);
        if (Problems.closesConnection(problem, context.request())) {
            context.response().putHeader("Connection", "close");
        }
        if (ConsoleLinks.isConsole(context.request().path())) {
            console.refuse(context.response(), problem.status(), problem.detail());
            return;
        }
        refusals.fire(new EdgeRefusal(context, problem.status()));
        context.response()
                .setStatusCode(problem.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, Problems.MEDIA_TYPE)
                .end(Json.encode(Problems.body(problem, context.request(), CallerSecrets.shownPath(context))));
    }
}
