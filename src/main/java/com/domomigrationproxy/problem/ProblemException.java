package com.domomigrationproxy.problem;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.ws.rs.core.HttpHeaders;

/**
 * The one exception that becomes an {@code application/problem+json} answer. Whoever knows why a
 * request failed throws it with the status, a stable type and a detail a caller can act on; the
 * mapper adds the request id and the instance.
 */
public class ProblemException extends RuntimeException {

    private final int status;
    private final ProblemType type;
    private final Extensions extensions;
    private final Map<String, String> headers;

    public ProblemException(int status, ProblemType type, String detail) {
        this(status, type, detail, null);
    }

    public ProblemException(int status, ProblemType type, String detail, Throwable cause) {
        this(status, type, detail, cause, Extensions.NONE, Map.of());
    }

    protected ProblemException(int status, ProblemType type, String detail, Throwable cause, Extensions extensions,
            Map<String, String> headers) {
        // No stack trace of its own: the problem is the message; a cause keeps its trace for the log.
        super(detail, cause, false, false);
        this.status = status;
        this.type = type;
        this.extensions = extensions;
        this.headers = Map.copyOf(headers);
    }

    /** A 400 naming each invalid field. */
    public static ProblemException invalid(String detail, List<Problem.FieldError> errors) {
        return new ProblemException(400, ProblemType.INVALID_REQUEST, detail, null,
                new Extensions(null, null, null, List.copyOf(errors)), Map.of());
    }

    /** 503 {@code busy}: the service cannot take this now; retry after {@code retryAfterSeconds}. */
    public static ProblemException busy(String detail, long retryAfterSeconds) {
        return new ProblemException(503, ProblemType.BUSY, detail + "; retry after the delay in Retry-After")
                .withRetryAfter(retryAfterSeconds);
    }

    /** The same problem, naming each field (or item) it is about. */
    public ProblemException withErrors(List<Problem.FieldError> errors) {
        return new ProblemException(status, type, getMessage(), getCause(),
                new Extensions(extensions.operationId(), extensions.domoToe(), extensions.runningOperationId(),
                        List.copyOf(errors)), headers);
    }

    /** The same problem, about the Operation recorded for this request. */
    public ProblemException withOperationId(UUID operationId) {
        return new ProblemException(status, type, getMessage(), getCause(),
                new Extensions(operationId, extensions.domoToe(), extensions.runningOperationId(), extensions.errors()),
                headers);
    }

    /** The same problem, naming the operation that holds the datasource. */
    public ProblemException withRunningOperationId(UUID runningOperationId) {
        return new ProblemException(status, type, getMessage(), getCause(),
                new Extensions(extensions.operationId(), extensions.domoToe(), runningOperationId, extensions.errors()),
                headers);
    }

    /** The same problem, quoting Domo's request id. */
    public ProblemException withDomoToe(String domoToe) {
        return new ProblemException(status, type, getMessage(), getCause(),
                new Extensions(extensions.operationId(), domoToe, extensions.runningOperationId(), extensions.errors()),
                headers);
    }

    /** The same problem, telling the caller how many seconds to wait before trying again. */
    public ProblemException withRetryAfter(long seconds) {
        return withHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
    }

    /** The Retry-After seconds this problem carries, if any. */
    public String retryAfter() {
        return headers.get(HttpHeaders.RETRY_AFTER);
    }

    /** The same problem with one more response header. */
    public ProblemException withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ProblemException(status, type, getMessage(), getCause(), extensions, more);
    }

    public int status() {
        return status;
    }

    public ProblemType type() {
        return type;
    }

    public String detail() {
        return getMessage();
    }

    public Extensions extensions() {
        return extensions;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The members beyond RFC 9457's that a problem may carry. */
    public record Extensions(UUID operationId, String domoToe, UUID runningOperationId,
            List<Problem.FieldError> errors) {

        static final Extensions NONE = new Extensions(null, null, null, null);

        public static Extensions domoToe(String toe) {
            return new Extensions(null, toe, null, null);
        }
    }
}
