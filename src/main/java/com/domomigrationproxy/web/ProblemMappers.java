package com.domomigrationproxy.web;

import java.io.IOException;
import java.sql.SQLException;
import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.domomigrationproxy.console.ConsoleFailures;
import com.domomigrationproxy.console.ConsoleLinks;
import com.domomigrationproxy.http.ApiOperations;
import com.domomigrationproxy.http.WriteTimeout;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.ApiKeyAuthenticationMechanism;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerRequest;

/**
 * The one place where exceptions become {@code application/problem+json}. Details are written
 * for the caller; exception types, stack traces and upstream bodies never reach a response. On the
 * console's paths the console's own HTML page answers instead ({@link ConsoleFailures}).
 */
public class ProblemMappers {

    /** Both ways to authenticate, so a caller learns what to send. */
    static final String BEARER_CHALLENGE = "Bearer realm=\"domo-migration-proxy\"";
    static final String API_KEY_CHALLENGE = ApiKeyAuthenticationMechanism.CHALLENGE;
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    /** Where Quarkus REST parses urlencoded and multipart forms. */
    private static final String FORM_PARSER = "org.jboss.resteasy.reactive.server.core.multipart.";

    private final ConsoleFailures console;

    @Inject
    ProblemMappers(ConsoleFailures console) {
        this.console = console;
    }

    @ServerExceptionMapper
    public Response problem(ProblemException problem, HttpServerRequest request) {
        if (problem.status() >= 500) {
            LOG.warnf(problem.getCause(), "Answered %d %s: %s", problem.status(), problem.type().uri(), problem.detail());
        }
        return Problems.response(problem, request);
    }

    @ServerExceptionMapper({ AuthenticationFailedException.class, UnauthorizedException.class })
    public Response unauthenticated(RuntimeException failure, HttpServerRequest request) {
        Response problem = Problems.response(unauthenticated(failure), request);
        return Response.fromResponse(problem)
                .header(HttpHeaders.WWW_AUTHENTICATE, BEARER_CHALLENGE)
                .header(HttpHeaders.WWW_AUTHENTICATE, API_KEY_CHALLENGE)
                .build();
    }

    /** The 401 for a failed authentication, or (null, or not an AuthenticationFailedException) for none. */
    static ProblemException unauthenticated(RuntimeException failure) {
        if (failure instanceof AuthenticationFailedException failed && ApiKeyAuthenticationMechanism.expired(failed)) {
            return new ProblemException(401, ProblemType.CREDENTIALS_EXPIRED,
                    "The API key has expired: ask its owner for a new one");
        }
        return new ProblemException(401, ProblemType.UNAUTHENTICATED, failure instanceof AuthenticationFailedException
                ? "The credentials were not accepted: send a valid bearer JWT or X-API-Key"
                : "Send a bearer JWT in Authorization or an API key in X-API-Key");
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException failure, HttpServerRequest request) {
        return Problems.response(new ProblemException(403, ProblemType.FORBIDDEN,
                "Your credentials do not carry a role that may call this operation"), request);
    }

    /** Named explicitly: Quarkus maps MismatchedInputException itself (an empty 400) unless told otherwise. */
    @ServerExceptionMapper({ JsonProcessingException.class, MismatchedInputException.class })
    public Response unreadableJson(JsonProcessingException failure, HttpServerRequest request) {
        return Problems.response(new ProblemException(400, ProblemType.INVALID_REQUEST,
                "The request body is not valid JSON" + location(failure)), request);
    }

    /**
     * Failures before a resource took the request (405, 415, 406…), and any failure no resource
     * mapped: problem JSON on the API, the console's HTML page on the console.
     */
    @ServerExceptionMapper
    public Uni<Response> webApplication(WebApplicationException failure, HttpServerRequest request) {
        return ConsoleLinks.isConsole(request.path()) ? console.answer(failure) : Uni.createFrom().item(problem(failure, request));
    }

    @ServerExceptionMapper
    public Uni<Response> unexpected(Throwable failure, HttpServerRequest request) {
        if (failure instanceof IOException && request.response().headWritten()) {
            // A streamed answer (an export) whose client went away, or was ended by WriteTimeout:
            // nothing unexpected on the service's side, and nothing more can be sent.
            LOG.debugf("%s %s ended before its answer did: %s", request.method(), request.path(), failure.getMessage());
            return Uni.createFrom().item(Response.serverError().build());
        }
        if (closedConnection(failure) || failure instanceof IOException && request.response().closed()) {
            // The connection closed before the request was read (a console form's reader, on a worker:
            // the client left, or RequestFilter closed it at the body deadline): no error of the
            // service's, as RequestFilter.failed says of the same close, and nothing can be sent. Only
            // a failure of the connection itself: any other failure of a request whose client left is
            // still logged below as what it is.
            LOG.debugf("%s %s: the connection closed before the request was read: %s", request.method(),
                    request.path(), failure);
            return Uni.createFrom().item(Response.serverError().build());
        }
        if (unreadableForm(failure)) {
            ProblemException problem = new ProblemException(400, ProblemType.INVALID_REQUEST, "The form could not be"
                    + " read: it was cut short or malformed, or it had more fields than the service reads");
            LOG.debugf("%s %s: form not read: %s", request.method(), request.path(), failure);
            return ConsoleLinks.isConsole(request.path()) ? console.answer(problem)
                    : Uni.createFrom().item(Problems.response(problem, request));
        }
        SQLException database = unavailable(failure);
        if (database != null) {
            // A read through the ORM (Hibernate wraps the pool's failure), with the database away:
            // 503, as every store's own SQL answers, rather than an unexpected failure.
            LOG.warnf("%s %s: the database failed (SQLState %s): %s", request.method(), request.path(),
                    database.getSQLState(), database.getMessage());
            ProblemException problem = new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE,
                    "The service's database is unavailable; retry later", failure);
            return ConsoleLinks.isConsole(request.path()) ? console.answer(problem)
                    : Uni.createFrom().item(Problems.response(problem, request));
        }
        if (ConsoleLinks.isConsole(request.path())) {
            return console.answer(failure instanceof RuntimeException runtime ? runtime : new RuntimeException(failure));
        }
        return Uni.createFrom().item(Problems.response(internal(failure), request));
    }

    private static boolean closedConnection(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpClosedException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The SQLException behind a failure that a retry may get past: no connection (the pool's own
     * timeout has no SQLState; 08 connection, 28 a refused login, 53 too many connections, 57P
     * shutting down, 55000 a database not taking connections) or a deadlock or serialization
     * failure (40001, 40P01). Any other SQL failure is a defect, and stays a 500 with its trace.
     */
    private static SQLException unavailable(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql) {
                String state = sql.getSQLState();
                return state == null || state.startsWith("08") || state.startsWith("28") || state.startsWith("53")
                        || state.startsWith("57P") || state.equals("55000") || state.equals("40001")
                        || state.equals("40P01") ? sql : null;
            }
        }
        return null;
    }

    private Response problem(WebApplicationException failure, HttpServerRequest request) {
        int status = failure.getResponse().getStatus();
        JsonProcessingException unreadable = status == 400 ? jsonCause(failure) : null;
        ProblemException problem;
        if (failure instanceof NotFoundException) {
            problem = new ProblemException(404, ProblemType.NOT_FOUND, "No such resource in this API");
        } else if (failure instanceof NotAllowedException) {
            problem = new ProblemException(405, ProblemType.METHOD_NOT_ALLOWED,
                    "This resource does not support " + request.method().name());
        } else if (failure instanceof NotSupportedException) {
            problem = new ProblemException(415, ProblemType.UNSUPPORTED_MEDIA_TYPE, "Send the body as application/json");
        } else if (failure instanceof NotAcceptableException) {
            problem = new ProblemException(406, ProblemType.NOT_ACCEPTABLE,
                    "This resource cannot answer in any media type the Accept header allows");
        } else if (unreadable != null) {
            // Quarkus REST's JSON reader wraps the parser's failure: say what it was, and where.
            problem = new ProblemException(400, ProblemType.INVALID_REQUEST,
                    "The request body is not valid JSON" + location(unreadable));
        } else if (status == 413) {
            problem = new ProblemException(413, ProblemType.PAYLOAD_TOO_LARGE, "The request body is too large");
        } else if (status < 500) {
            problem = new ProblemException(status, ProblemType.INVALID_REQUEST, "The request could not be processed");
        } else {
            problem = internal(failure);
        }
        Response response = Problems.response(problem, request);
        if (!(failure instanceof NotAllowedException)) {
            return response;
        }
        List<String> allowed = ApiOperations.allowed(request.path());
        return allowed.isEmpty() ? response
                : Response.fromResponse(response).header(HttpHeaders.ALLOW, String.join(", ", allowed)).build();
    }

    /**
     * Quarkus REST's form parser failed on the request's body (a multipart body cut short or without
     * its boundary, more fields than it reads): the caller's doing, which it throws as a plain
     * RuntimeException or IOException; only where it was thrown tells it apart.
     */
    private static boolean unreadableForm(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            StackTraceElement[] frames = cause.getStackTrace();
            if (frames.length > 0 && frames[0].getClassName().startsWith(FORM_PARSER)) {
                return true;
            }
        }
        return false;
    }

    private static ProblemException internal(Throwable failure) {
        LOG.error("Unexpected failure", failure);
        return new ProblemException(500, ProblemType.INTERNAL,
                "The service failed unexpectedly; quote the requestId when reporting it");
    }

    private static JsonProcessingException jsonCause(Throwable failure) {
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof JsonProcessingException json) {
                return json;
            }
        }
        return null;
    }

    private static String location(JsonProcessingException failure) {
        var location = failure.getLocation();
        return location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }
}
