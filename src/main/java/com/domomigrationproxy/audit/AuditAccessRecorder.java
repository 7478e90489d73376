package com.domomigrationproxy.audit;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.ledger.StorableText;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.ApiKeyAuthenticationMechanism;
import com.domomigrationproxy.security.CurrentRequest;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Requesters;
import com.domomigrationproxy.http.ApiOperations;
import com.domomigrationproxy.http.CallerSecrets;
import com.domomigrationproxy.http.EdgeRefusal;
import com.domomigrationproxy.http.RequestIds;
import com.domomigrationproxy.problem.LogText;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.security.identity.SecurityIdentity;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Auditors' access on the record: every answer of an {@link AuditedAccess} resource, and any
 * other answer that shows records of the trail (a console page that counted them, such as the
 * review queue shown again with a refused resolution), becomes an {@code AUDIT_ACCESS} event in the hash chain (subject: the principal) with who, from where, the
 * operation, method, path and query (values of the operation's own parameters only), the status
 * and the number of rows. Written once the answer is known and before it is sent: an answer
 * whose event cannot be written is replaced by a 503, so that nothing is read off the record. A
 * streamed export leaves two events: {@code export-started} before its first byte, and {@code
 * export-finished} (or {@code export-interrupted}) with the rows written.
 *
 * <p>Refused attempts (401, 403) are logged (WARN) and counted in {@code audit_access_denied_total};
 * they, and requests no resource served (404, 405, 406, and those the request filter refused before
 * Quarkus REST saw them, {@link EdgeRefusal}: logged at INFO, not counted, unless a 401), are on the
 * record through {@link RefusedAccess}: an event each ({@code phase: refused}, with the principal when a 403 identified one, else the kind
 * of credential presented), or counted in a
 * summary event when a source refuses faster than the chain should grow. Lines go to the {@code
 * audit.access} category, never with credentials.
 */
@ApplicationScoped
public class AuditAccessRecorder {

    public static final String EVENT = "AUDIT_ACCESS";
    private static final Logger ACCESS = Logger.getLogger("audit.access");
    /** Query values are caller input: bounded before they go into the chain. */
    private static final int MAX_QUERY_VALUES = 32;
    private static final int MAX_VALUE_LENGTH = 255;
    private static final String NOT_RECORDED = "(not recorded)";
    private static final String AUDIT_PATH = "/api/v1/audit";
    private static final String PUBLIC_KEY_PATH = CheckpointResource.PATH + CheckpointResource.PUBLIC_KEY;
    /** Set on a request once this filter has seen its answer. */
    private static final String RECORDED = AuditAccessRecorder.class.getName() + ".recorded";

    private final Ledger ledger;
    /** The console's pages, for a read of the trail from the console that cannot be recorded. */
    private final Instance<UnrecordedAccessPages> pages;
    private final SecurityIdentity identity;
    private final Requesters requesters;
    private final CurrentRequest request;
    private final Meter.MeterProvider<Counter> denied;
    private final RefusedAccess refused;

    @Inject
    AuditAccessRecorder(Ledger ledger, SecurityIdentity identity, Requesters requesters, CurrentRequest request,
            MeterRegistry registry, RefusedAccess refused, Instance<UnrecordedAccessPages> pages) {
        this.ledger = ledger;
        this.pages = pages;
        this.refused = refused;
        this.identity = identity;
        this.requesters = requesters;
        this.request = request;
        this.denied = Counter.builder("audit.access.denied")
                .description("Audit-API requests refused for missing or bad credentials (401) or a wrong role (403),"
                        + " by operation and status")
                .withRegistry(registry);
    }

    @ServerResponseFilter
    public void record(ContainerRequestContext requestContext, ContainerResponseContext response, ResourceInfo resource,
            RoutingContext routing) {
        if (routing.get(RECORDED) != null) {
            // Once per request: an export whose client went away is answered again, as a 500 that nobody
            // receives, after its export-started event; its end is on the record as export-interrupted.
            return;
        }
        Method method = resource.getResourceMethod();
        int status = response.getStatus();
        if (method == null) {
            // No resource took it (404 for a path the audit API does not have, 405, 406): refused all the same,
            // named as the access log names it, but for the public key (below). A 5xx is the service's failure,
            // not a refusal.
            String path = requestContext.getUriInfo().getPath();
            if (status >= 400 && status < 500 && auditPath(path) && !publicKey(path)) {
                routing.put(RECORDED, Boolean.TRUE);
                recordUnserved(requestContext, ApiOperations.resolve(requestContext.getMethod(), path), status);
            }
            return;
        }
        Object counted = routing.get(AuditAnswer.ROWS_ATTRIBUTE);
        if (!(counted != null || method.isAnnotationPresent(AuditedAccess.class)
                || resource.getResourceClass().isAnnotationPresent(AuditedAccess.class))
                || publicKey(requestContext.getUriInfo().getPath())) {
            return;
        }
        routing.put(RECORDED, Boolean.TRUE);
        String operation = operationId(method);
        if (status == 401 || status == 403) {
            logRefusal(status, operation, requestContext.getMethod(), requestContext.getUriInfo().getPath(),
                    request.clientAddress(), request.requestId());
            recordRefusal(requestContext, method, operation, status);
            return;
        }
        if (Context.isOnEventLoopThread()) {
            // Answered before the resource method ran (406…): nothing was read, and the chain is never written from
            // the event loop.
            if (status < 500) {
                recordUnserved(requestContext, operation, status);
            }
            return;
        }
        if (identity.isAnonymous()) {
            return;
        }
        Requester requester = requesters.current();
        Map<String, Object> members = new LinkedHashMap<>();
        members.put("principal", requester.principal());
        members.put("authMethod", requester.authMethod());
        members.put("requestId", requester.requestId());
        members.put("clientAddress", requester.clientAddress());
        members.put("operation", operation);
        members.put("method", requestContext.getMethod());
        members.put("path", bounded(requestContext.getUriInfo().getPath()));
        members.put("query", query(requestContext.getUriInfo().getQueryParameters(), declaredQueryParameters(method)));
        members.put("status", status);
        MediaType format = response.getMediaType();
        members.put("format", format == null ? null : format.getType() + "/" + format.getSubtype());
        Object entity = response.getEntity();
        if (entity instanceof AuditedExport && HttpMethod.HEAD.equals(requestContext.getMethod())) {
            // A HEAD of an export: its headers only, no row read or sent (Quarkus REST never writes its body).
            members.put("phase", "answered");
            members.put("rows", 0);
            append(requester, members, status, response);
            return;
        }
        if (entity instanceof AuditedExport export) {
            members.put("phase", "export-started");
            if (append(requester, members, status, response)) {
                export.whenEnded((rows, complete) -> {
                    Map<String, Object> ended = new LinkedHashMap<>(members);
                    ended.put("phase", complete ? "export-finished" : "export-interrupted");
                    ended.put("rows", rows);
                    append(requester, ended, status, null);
                });
            }
            return;
        }
        members.put("phase", "answered");
        members.put("rows", rows(entity, status, counted));
        append(requester, members, status, response);
    }

    /**
     * A refused attempt: who (when identified: a 403) or with what kind of credential (a 401: the
     * credential itself is never recorded), from where, and what was asked.
     */
    private void recordRefusal(ContainerRequestContext requestContext, Method method, String operation, int status) {
        // A 401 identified nobody (and its identity may not be asked for on the event loop, where a
        // refused credential is answered); a 403 comes after the caller was identified.
        if (status != 403 || identity.isAnonymous()) {
            boolean session = requestContext.getCookies().keySet().stream().anyMatch(AuditAccessRecorder::sessionCookie);
            recordUnidentified(presentedCredential(requestContext::getHeaderString, session), requestContext.getMethod(),
                    requestContext.getUriInfo().getPath(), operation, status, request.requestId(),
                    request.clientAddress());
            return;
        }
        Requester requester = requesters.current();
        Map<String, Object> members = new LinkedHashMap<>();
        members.put("principal", requester.principal());
        members.put("authMethod", requester.authMethod());
        members.put("requestId", request.requestId());
        members.put("clientAddress", request.clientAddress());
        members.put("operation", operation);
        members.put("method", requestContext.getMethod());
        members.put("path", bounded(requestContext.getUriInfo().getPath()));
        members.put("query", query(requestContext.getUriInfo().getQueryParameters(), declaredQueryParameters(method)));
        members.put("status", status);
        members.put("phase", "refused");
        refused.record(requester.principal(), request.clientAddress(), withoutNulls(members));
    }

    /**
     * A refused attempt by someone nobody identified: the kind of credential presented (never the
     * credential), from where, and the path asked for. A caller nobody identified gets no say in
     * what the chain keeps beyond the path.
     */
    private void recordUnidentified(String credential, String httpMethod, String path, String operation, int status,
            String requestId, String clientAddress) {
        Map<String, Object> members = new LinkedHashMap<>();
        members.put("credential", credential);
        members.put("requestId", requestId);
        members.put("clientAddress", clientAddress);
        members.put("operation", operation);
        members.put("method", httpMethod);
        members.put("path", bounded(path));
        members.put("status", status);
        members.put("phase", "refused");
        refused.record(null, clientAddress, withoutNulls(members));
    }

    /**
     * An audit-API request the request filter answered before Quarkus REST saw it (a body sent
     * without credentials, one too large, a malformed target): refused like any other, although
     * this recorder's response filter never runs for it.
     */
    void refusedAtTheEdge(@Observes EdgeRefusal refusal) {
        RoutingContext routing = refusal.context();
        HttpServerRequest edge = routing.request();
        String path = CallerSecrets.shownPath(routing);
        int status = refusal.status();
        if (status < 400 || status >= 500 || !auditPath(path) || publicKey(path)
                || routing.get(RECORDED) != null) {
            return;
        }
        routing.put(RECORDED, Boolean.TRUE);
        String httpMethod = edge.method().name();
        String operation = ApiOperations.resolve(httpMethod, path);
        String clientAddress = edge.remoteAddress() == null ? null : edge.remoteAddress().host();
        String requestId = RequestIds.of(edge);
        logRefusal(status, operation, httpMethod, path, clientAddress, requestId);
        boolean session = edge.cookies().stream().anyMatch(cookie -> sessionCookie(cookie.getName()));
        recordUnidentified(presentedCredential(edge::getHeader, session), httpMethod, path, operation, status,
                requestId, clientAddress);
    }

    /**
     * 401s and 403s are logged at WARN and counted in {@code audit_access_denied_total}; the other
     * refusals (404, 405, 406, 413…: nothing was served) at INFO.
     */
    private void logRefusal(int status, String operation, String httpMethod, String path, String clientAddress,
            String requestId) {
        if (status == 401 || status == 403) {
            denied.withTags("operation", operation, "status", Integer.toString(status)).increment();
            ACCESS.warnf("Audit access refused (%d): %s %s from %s, request %s", status, httpMethod, path,
                    clientAddress, requestId);
        } else {
            ACCESS.infof("Audit request from %s answered %d before it was served: %s %s, request %s", clientAddress,
                    status, httpMethod, path, requestId);
        }
    }

    /**
     * An audit-API request answered before any resource served it (406 at routing, 404, 405): it
     * read nothing, and is on the record as a refusal by whoever sent it, under the same allowance.
     */
    private void recordUnserved(ContainerRequestContext requestContext, String operation, int status) {
        // A 401 here is a refused credential Quarkus answered before any resource was chosen.
        logRefusal(status, operation, requestContext.getMethod(), requestContext.getUriInfo().getPath(),
                request.clientAddress(), request.requestId());
        recordRefusal(requestContext, null, operation, status); // not a 403: no principal, no query
    }

    /**
     * The public key: nothing of the trail is read, whoever asks and however (a refused credential, a
     * method or type it does not answer), so nothing is recorded; otherwise any caller could lengthen
     * the chain at will. Known by its path, whether a resource served the request or not.
     */
    private static boolean publicKey(String path) {
        return PUBLIC_KEY_PATH.equals(path);
    }

    private static boolean auditPath(String path) {
        return path != null && (path.equals(AUDIT_PATH) || path.startsWith(AUDIT_PATH + "/"));
    }

    /**
     * Which kind of credential a request nobody could identify presented: x-api-key, bearer, other,
     * session (a console session cookie that is no longer accepted) or none.
     */
    private static String presentedCredential(Function<String, String> header, boolean session) {
        if (header.apply(ApiKeyAuthenticationMechanism.HEADER) != null) {
            return "x-api-key";
        }
        String authorization = header.apply("Authorization");
        if (authorization != null) {
            return authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? "bearer" : "other";
        }
        return session ? "session" : "none";
    }

    /** OpenID Connect's session cookie is q_session, with a suffix when split into chunks. */
    private static boolean sessionCookie(String name) {
        return name.startsWith("q_session");
    }

    /**
     * Appends the event, and logs it. When it cannot be written, an answer that would have shown
     * records is replaced by a 503 (the caller reads nothing off the record); an error answer
     * stays as it was, unless it shows records too (a console page shown again with a refused form).
     * Returns whether the event was written.
     */
    private boolean append(Requester requester, Map<String, Object> members, int status,
            ContainerResponseContext response) {
        try {
            ledger.append(EVENT, requester.principal(), withoutNulls(members));
            ACCESS.infof("Audit access by %s from %s: %s %s %s, query %s, status %d, %s%s", requester.principal(),
                    requester.clientAddress(), members.get("operation"), members.get("method"), members.get("path"),
                    members.get("query"), status, members.get("phase"),
                    members.containsKey("rows") ? ", rows " + members.get("rows") : "");
            return true;
        } catch (RuntimeException e) {
            ACCESS.errorf("AUDIT ACCESS NOT RECORDED: %s by %s (%s), request %s: %s", members.get("operation"),
                    requester.principal(), members.get("phase"), requester.requestId(), e.getMessage());
            if (response != null && (status < 400 || members.get("rows") instanceof Integer rows && rows > 0)) {
                ProblemException problem = new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE,
                        "The audit store cannot record this access, so nothing is answered; retry later");
                response.setStatus(problem.status());
                // An export's file name stays off what is no longer the export.
                response.getHeaders().remove(HttpHeaders.CONTENT_DISPOSITION);
                String path = (String) members.get("path");
                if (pages.isResolvable() && pages.get().answers(path)) {
                    response.setEntity(pages.get().page(problem.status(), problem.detail()), null,
                            MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"));
                } else {
                    response.setEntity(new Problem(problem.type().uri(), problem.type().title(), problem.status(),
                            problem.detail(), path, requester.requestId(), null, null, null, null),
                            null, MediaType.valueOf("application/problem+json"));
                }
            }
            return false;
        }
    }

    /** What the answer showed: the rows a page counted (even one answered 400 or 409), else what the entity holds. */
    private static int rows(Object entity, int status, Object counted) {
        if (counted instanceof Integer rows) {
            return rows;
        }
        if (status >= 400 || entity == null) {
            return 0;
        }
        return entity instanceof AuditAnswer answer ? answer.rows() : 1;
    }

    private static String operationId(Method method) {
        Operation operation = method.getAnnotation(Operation.class);
        return operation == null ? method.getName() : operation.operationId();
    }

    /**
     * The query by parameter name (sorted): one value as a string, repeated values as a list,
     * bounded. Only the parameters the operation declares keep their values: the chain is kept
     * forever, and a misguided client puts credentials in the query ({@code ?api_key=}); any other
     * parameter is recorded with {@code "(not recorded)"}.
     */
    private static Map<String, Object> query(MultivaluedMap<String, String> parameters, Set<String> declared) {
        Map<String, Object> query = new TreeMap<>();
        for (Map.Entry<String, List<String>> parameter : parameters.entrySet()) {
            if (query.size() == MAX_QUERY_VALUES) {
                query.put("(more)", Integer.toString(parameters.size() - MAX_QUERY_VALUES));
                break;
            }
            if (!declared.contains(parameter.getKey())) {
                query.put(bounded(parameter.getKey()), NOT_RECORDED);
                continue;
            }
            List<String> values = parameter.getValue().stream().limit(MAX_QUERY_VALUES)
                    .map(AuditAccessRecorder::bounded).toList();
            query.put(parameter.getKey(), values.size() == 1 ? values.get(0) : values);
        }
        return query;
    }

    private static Set<String> declaredQueryParameters(Method method) {
        Set<String> names = new HashSet<>();
        for (Annotation[] annotations : method.getParameterAnnotations()) {
            for (Annotation annotation : annotations) {
                if (annotation instanceof QueryParam parameter) {
                    names.add(parameter.value());
                }
            }
        }
        return names;
    }

    private static String bounded(String value) {
        if (value == null) {
            return null;
        }
        // Characters, as the filters count them: a whole filter of 255 is kept, and no pair is split.
        String text = value.codePointCount(0, value.length()) > MAX_VALUE_LENGTH
                ? value.substring(0, value.offsetByCodePoints(0, MAX_VALUE_LENGTH)) + "…" : value;
        return StorableText.of(LogText.clean(text));
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> members) {
        Map<String, Object> present = new LinkedHashMap<>();
        members.forEach((name, value) -> {
            if (value != null) {
                present.put(name, value);
            }
        });
        return present;
    }
}
