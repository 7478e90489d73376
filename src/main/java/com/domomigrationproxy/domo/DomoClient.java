package com.domomigrationproxy.domo;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.problem.ProblemType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * The only way the rest of the service talks to Domo. Applies the deadlines, reads Domo's answers
 * defensively (JSON, HTML, empty, redirects) and turns every unusable answer into a
 * {@link DomoCallException} whose problem never echoes an upstream body.
 */
@ApplicationScoped
public class DomoClient {

    private static final Set<String> RESULT_STATES = Set.of("COMPLETE", "INCOMPLETE", "ABORTED");
    private static final int MAX_MESSAGE_LENGTH = 500;
    private static final String DEFAULT_RETRY_AFTER = "30";
    /** Below this, another attempt could not get an answer before the deadline anyway. */
    private static final long MIN_ATTEMPT_NANOS = 50_000_000L;
    private static final Logger LOG = Logger.getLogger(DomoClient.class);

    private final Instance<DomoUpstream> upstream;
    private final DomoConfig config;
    private final DomoTokenProvider tokens;
    private final ObjectMapper json;
    private final DomoCircuitBreaker breaker;

    @Inject
    DomoClient(Instance<DomoUpstream> upstream, DomoConfig config, DomoTokenProvider tokens, ObjectMapper json,
            DomoCircuitBreaker breaker) {
        this.upstream = upstream;
        this.breaker = breaker;
        this.config = config;
        this.tokens = tokens;
        this.json = json;
    }

    /** Domo's integration types, e.g. {@code ["mysql-federated"]}. */
    public ArrayNode listTypes() {
        return array(call("types", config.readTimeout(), true, (domo, deadline) -> domo.types(deadline)));
    }

    /** The V2 accounts of an integration type, with Domo's field names. */
    public ArrayNode listAccounts(String integrationType) {
        return array(call("accounts", config.readTimeout(), true,
                (domo, deadline) -> domo.accounts(integrationType, deadline)));
    }

    /** The V1 data sources of an account that could be migrated, with Domo's field names. */
    public ArrayNode listCandidates(String accountId) {
        return array(call("candidates", config.readTimeout(), true,
                (domo, deadline) -> domo.candidates(accountId, deadline)));
    }

    public DomoOperationResult migrate(String datasourceId, String accountId, DomoMigrationRequest body) {
        return operationResult(call("migrate", config.migrationTimeout(), false,
                (domo, deadline) -> domo.migrate(datasourceId, accountId, body, deadline)));
    }

    public DomoOperationResult reverse(String datasourceId) {
        return operationResult(call("reverse", config.migrationTimeout(), false,
                (domo, deadline) -> domo.reverse(datasourceId, deadline)));
    }

    private interface Call {
        DomoAnswer send(DomoUpstream domo, Duration deadline);
    }

    private record Answered(int status, JsonNode body) {
    }

    /**
     * One Domo call within {@code deadline}. GETs are retried on connection failures and
     * 502/503/504 with jittered exponential backoff, as long as the deadline leaves room; migrate and
     * reverse are never retried, because the first attempt may have reached Domo.
     */
    private Answered call(String operation, Duration deadline, boolean retryable, Call call) {
        breaker.acquire();
        long deadlineNanos = System.nanoTime() + deadline.toNanos();
        int maxAttempts = retryable ? config.retry().maxAttempts() : 1;
        for (int attempt = 1;; attempt++) {
            try {
                Answered answered = attempt(operation, deadline, Duration.ofNanos(deadlineNanos - System.nanoTime()), call);
                breaker.onSuccess();
                return answered;
            } catch (DomoCallException e) {
                if (domoFailed(e)) {
                    breaker.onFailure();
                } else if (e.mayHaveReachedDomo()) {
                    breaker.onSuccess();
                }
                long backoffNanos = backoffNanos(attempt);
                if (attempt >= maxAttempts || !transientFailure(e)
                        || System.nanoTime() + backoffNanos >= deadlineNanos - MIN_ATTEMPT_NANOS) {
                    throw e;
                }
                LOG.debugf("Domo %s: attempt %d failed (%s), retrying in %d ms", operation, attempt, e.type(),
                        backoffNanos / 1_000_000);
                sleep(backoffNanos);
                breaker.acquire();
            }
        }
    }

    private Answered attempt(String operation, Duration deadline, Duration remaining, Call call) {
        long started = System.nanoTime();
        DomoAnswer answer;
        try {
            answer = call.send(upstream.get(), remaining);
        } catch (DomoTokenUnavailableException e) {
            throw failure(502, ProblemType.DOMO_TOKEN_UNAVAILABLE,
                    "The service has no usable Domo developer token; operators: check DOMO_DEVELOPER_TOKEN(_FILE)",
                    e, false, null, null);
        } catch (DomoTransportException e) {
            LOG.warnf("Domo %s: no answer (%s) after %d ms", operation, e.kind(), elapsedMillis(started));
            throw switch (e.kind()) {
                case DEADLINE -> failure(504, ProblemType.DOMO_TIMEOUT,
                        "Domo did not answer within " + deadline.toMillis() / 1000.0 + " s", e, true, null, null);
                case CONNECT_FAILED -> failure(502, ProblemType.DOMO_UNAVAILABLE,
                        "Could not connect to Domo", e, false, null, null);
                case BROKEN -> failure(502, ProblemType.DOMO_UNAVAILABLE,
                        "The connection to Domo broke before a complete answer arrived", e, true, null, null);
            };
        }
        LOG.debugf("Domo %s: %d after %d ms", operation, answer.status(), elapsedMillis(started));
        if (answer.status() >= 200 && answer.status() < 300) {
            JsonNode body = parse(answer.body());
            if (body == null) {
                throw unreadable(answer.status(), "Domo answered " + answer.status() + " with a body that is not JSON");
            }
            return new Answered(answer.status(), body);
        }
        throw translate(answer);
    }

    /** Connection failures and gateway errors: worth another GET. */
    private static boolean transientFailure(DomoCallException e) {
        Integer status = e.upstreamStatus();
        return e.type() == ProblemType.DOMO_UNAVAILABLE
                && (status == null || status == 502 || status == 503 || status == 504);
    }

    /** Domo itself is failing (as opposed to refusing a request): counts towards the circuit breaker. */
    private static boolean domoFailed(DomoCallException e) {
        Integer status = e.upstreamStatus();
        return e.type() == ProblemType.DOMO_TIMEOUT
                || (e.type() == ProblemType.DOMO_UNAVAILABLE && (status == null || status >= 500));
    }

    /** Full jitter: uniformly random up to initialBackoff * 2^(attempt - 1). */
    private long backoffNanos(int attempt) {
        long ceiling = config.retry().initialBackoff().toNanos() << Math.min(attempt - 1, 10);
        return ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
    }

    private static void sleep(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting to retry Domo", e);
        }
    }

    private DomoCallException translate(DomoAnswer answer) {
        int status = answer.status();
        JsonNode error = parse(answer.body());
        String toe = text(error, "toe");
        String message = sanitize(text(error, "message"));
        if (status == 401 || status == 403) {
            return failure(502, ProblemType.DOMO_REJECTED_CREDENTIALS,
                    "Domo rejected the service credentials (HTTP " + status
                            + "); operators: check the Domo developer token and its owner's rights",
                    null, true, status, toe);
        }
        if (status == 429) {
            return new DomoCallException(503, ProblemType.DOMO_RATE_LIMITED,
                    "Domo is rate limiting the service; retry after the delay in Retry-After", null, true, status, toe,
                    Map.of("Retry-After", retryAfter(answer.retryAfter())));
        }
        if (status >= 400 && status < 500) {
            return failure(status, ProblemType.DOMO_REJECTED_REQUEST,
                    message != null ? message : "Domo answered " + status + " without a readable message",
                    null, true, status, toe);
        }
        if (status >= 300 && status < 400) {
            return failure(502, ProblemType.DOMO_UNAVAILABLE, "Domo answered with a redirect (" + status
                    + "), which usually means its IP allow-list blocked this service", null, true, status, toe);
        }
        return failure(502, ProblemType.DOMO_UNAVAILABLE, "Domo answered " + status, null, true, status, toe);
    }

    private ArrayNode array(Answered answered) {
        if (answered.body() instanceof ArrayNode array) {
            return array;
        }
        throw unreadable(answered.status(), "Domo answered with JSON that is not the expected list");
    }

    private DomoOperationResult operationResult(Answered answered) {
        JsonNode body = answered.body();
        String state = text(body, "state");
        if (!body.isObject() || state == null || !RESULT_STATES.contains(state)) {
            throw unreadable(answered.status(), "Domo answered without a recognisable operation state");
        }
        return new DomoOperationResult(text(body, "toe"), text(body, "datasourceId"), text(body, "direction"),
                text(body, "startTime"), state, sanitize(text(body, "errorMessage")), text(body, "endTime"),
                answered.status());
    }

    private DomoCallException unreadable(int status, String detail) {
        return failure(502, ProblemType.DOMO_UNAVAILABLE, detail, null, true, status, null);
    }

    private static DomoCallException failure(int status, ProblemType type, String detail, Throwable cause,
            boolean mayHaveReachedDomo, Integer upstreamStatus, String toe) {
        return new DomoCallException(status, type, detail, cause, mayHaveReachedDomo, upstreamStatus, toe, Map.of());
    }

    private JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** A field of Domo's JSON as text; whatever Domo echoes, the token never comes out of here. */
    private String text(JsonNode node, String field) {
        if (node == null || !node.isObject()) {
            return null;
        }
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        return tokens.redact(value.isValueNode() ? value.asText() : value.toString());
    }

    /** Domo's own words, made safe to show: no control characters, bounded (already without the token). */
    private String sanitize(String message) {
        if (message == null) {
            return null;
        }
        String clean = message.replaceAll("\\p{Cntrl}", " ").strip();
        if (clean.isEmpty()) {
            return null;
        }
        return clean.length() > MAX_MESSAGE_LENGTH ? clean.substring(0, MAX_MESSAGE_LENGTH) + "…" : clean;
    }

    private static String retryAfter(String fromDomo) {
        return fromDomo != null && fromDomo.strip().matches("\\d{1,6}") ? fromDomo.strip() : DEFAULT_RETRY_AFTER;
    }

    private static long elapsedMillis(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
