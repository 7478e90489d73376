package com.domomigrationproxy.domo;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.util.TypeLiteral;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;

import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.jboss.logging.Logger;

import com.domomigrationproxy.ledger.StorableText;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.problem.LogText;
import com.domomigrationproxy.security.DatasourceIds;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.mutiny.Uni;

/**
 * The only way the rest of the service talks to Domo. SmallRye Fault Tolerance guards every call:
 * one circuit breaker for all five, a deadline per call, and retries with exponential backoff and
 * jitter for the three GETs only (migrate and reverse may have reached Domo). It reads Domo's
 * answers defensively (JSON, HTML, empty, redirects, too long) and turns every unusable answer
 * into a {@link DomoCallException} whose problem never echoes an upstream body; no form of the
 * token leaves through it.
 *
 * <p>Programmatic guards rather than annotations: deadlines, attempts and thresholds come from
 * {@link DomoConfig} (DOMO_READ_TIMEOUT…), which annotation values cannot read.
 */
@ApplicationScoped
public class DomoClient {

    /** The circuit breaker's name, for {@link CircuitBreakerMaintenance} and the metrics. */
    public static final String CIRCUIT_BREAKER = "domo";
    private static final Set<String> RESULT_STATES = Set.of("COMPLETE", "INCOMPLETE", "ABORTED");
    /** The operations that change Domo (the others are the three GETs). */
    private static final Set<String> WRITES = Set.of("migrate", "reverse");
    private static final int MAX_MESSAGE_LENGTH = 500;
    /**
     * Domo's request id and times, and the data source and direction it names, are short: anything
     * longer is cut here, not written to every log line and audit row.
     */
    private static final int MAX_FIELD_LENGTH = 128;
    /** Characters that could start a new log line or steer a terminal: C0, DEL, C1, and Unicode's line and paragraph separators. */
    private static final Pattern CONTROL = LogText.UNSAFE;
    private static final String DEFAULT_RETRY_AFTER = "30";
    private static final Logger LOG = Logger.getLogger(DomoClient.class);
    /** What the guards are told a read returns: an asynchronous answer, guarded without a blocked thread. */
    private static final TypeLiteral<Uni<Answered>> ANSWERED_LATER = new TypeLiteral<>() {
    };

    private final Instance<DomoUpstream> upstream;
    private final DomoConfig config;
    private final DomoTokenProvider tokens;
    private final ObjectMapper json;
    private final CircuitBreakerMaintenance breakers;
    private final Event<DomoRateLimited> rateLimits;
    private final Guard readRetries;
    private final Guard breaker;
    private final Guard readDeadline;
    private final Guard migrationDeadline;
    private volatile long openedAt;
    /** Calls the half-open breaker let through as its trial, under way. */
    private final AtomicInteger trialsInFlight = new AtomicInteger();

    @Inject
    DomoClient(Instance<DomoUpstream> upstream, DomoConfig config, DomoTokenProvider tokens, ObjectMapper json,
            CircuitBreakerMaintenance breakers, Event<DomoRateLimited> rateLimits) {
        this.upstream = upstream;
        this.config = config;
        this.tokens = tokens;
        this.json = json;
        this.breakers = breakers;
        this.rateLimits = rateLimits;
        Duration backoff = config.retry().initialBackoff();
        this.readRetries = Guard.create().withDescription("domo-read-retries")
                .withRetry()
                .maxRetries(Math.max(0, config.retry().maxAttempts() - 1))
                .delay(backoff.toMillis(), ChronoUnit.MILLIS)
                .jitter(backoff.toMillis() / 2, ChronoUnit.MILLIS)
                .maxDuration(config.readTimeout().toMillis(), ChronoUnit.MILLIS)
                .whenException(DomoClient::worthAnotherGet)
                .withExponentialBackoff().factor(2).maxDelay(config.readTimeout().toMillis() / 2, ChronoUnit.MILLIS).done()
                .done()
                .build();
        this.breaker = Guard.create().withDescription("domo")
                .withCircuitBreaker()
                .name(CIRCUIT_BREAKER)
                .requestVolumeThreshold(config.circuitBreaker().failureThreshold())
                .failureRatio(1.0)
                .successThreshold(1)
                .delay(config.circuitBreaker().openDuration().toMillis(), ChronoUnit.MILLIS)
                .when(DomoClient::domoFailed)
                .onStateChange(this::breakerChanged)
                .done()
                .build();
        this.readDeadline = deadline("domo-read-deadline", config.readTimeout());
        this.migrationDeadline = deadline("domo-migration-deadline", config.migrationTimeout());
    }

    /** Domo's integration types, e.g. {@code ["mysql-federated"]}; blocks, so never on an event loop. */
    public ArrayNode listTypes() {
        return types().await().indefinitely().tree();
    }

    /** The V2 accounts of an integration type, with Domo's field names; blocks. */
    public ArrayNode listAccounts(String integrationType) {
        return accounts(integrationType).await().indefinitely().tree();
    }

    /** The V1 data sources of an account that could be migrated, with Domo's field names; blocks. */
    public ArrayNode listCandidates(String accountId) {
        return candidates(accountId).await().indefinitely().tree();
    }

    /** {@link #listTypes()} without blocking, as Domo's bytes when nothing in them had to change. */
    public Uni<DomoList> types() {
        return readList("types", DomoUpstream::types);
    }

    /** {@link #listAccounts(String)} without blocking, as Domo's bytes when nothing in them had to change. */
    public Uni<DomoList> accounts(String integrationType) {
        return readList("accounts", domo -> domo.accounts(integrationType));
    }

    /** {@link #listCandidates(String)} without blocking, as Domo's bytes when nothing in them had to change. */
    public Uni<DomoList> candidates(String accountId) {
        return readList("candidates", domo -> domo.candidates(accountId));
    }

    public DomoOperationResult migrate(String datasourceId, String accountId, DomoMigrationRequest body) {
        return operationResult(write("migrate", domo -> domo.migrate(datasourceId, accountId, body)), datasourceId,
                "V1_TO_V2");
    }

    public DomoOperationResult reverse(String datasourceId) {
        return operationResult(write("reverse", domo -> domo.reverse(datasourceId)), datasourceId, "V2_TO_V1");
    }

    /**
     * Refuses with 503 while the circuit breaker is open or its one trial call is under way, before
     * anything is recorded; unlike a call, it never takes the half-open trial.
     */
    public void refuseWhileCircuitOpen() {
        CircuitBreakerState state = breakers.currentState(CIRCUIT_BREAKER);
        // Past its delay the breaker is half-open (or about to be): the next call is its trial, a
        // migration as well as a GET, or nothing would ever close it without a GET. While that
        // trial runs (one success closes it, a failure opens it again), the breaker refuses every
        // other call: a migration let through would be recorded, refused by the breaker and recorded
        // FAILED, although it never left the service.
        boolean trialUnderWay = state == CircuitBreakerState.HALF_OPEN && trialsInFlight.get() > 0;
        boolean withinDelay = state == CircuitBreakerState.OPEN
                && System.nanoTime() - openedAt < config.circuitBreaker().openDuration().toNanos();
        if (trialUnderWay || withinDelay) {
            throw circuitOpen();
        }
    }

    private void breakerChanged(CircuitBreakerState state) {
        if (state == CircuitBreakerState.OPEN) {
            openedAt = System.nanoTime();
        }
        LOG.infof("Domo circuit breaker %s", state.name().toLowerCase());
    }

    /** The circuit breaker's state, for health output. */
    public CircuitBreakerState circuitState() {
        return breakers.currentState(CIRCUIT_BREAKER);
    }

    private interface Call {
        DomoAnswer send(DomoUpstream domo);
    }

    private interface Read {
        Uni<DomoAnswer> send(DomoUpstream domo);
    }

    /** A 2xx answer that is exactly one JSON value, {@code first} its first token; the tree is built on demand. */
    private record Answered(int status, byte[] raw, JsonToken first) {
    }

    /**
     * A read, guarded, and the list it answered. DOMO_READ_TIMEOUT bounds the caller's wait, retries
     * included: a retry starts only within it, and the caller gets 504 where it ends, or a gateway
     * answering 503 just before the deadline would double the wait. (An attempt under way then ends
     * in the background by its own deadline, and counts for the breaker as any other.)
     */
    private Uni<DomoList> readList(String operation, Read call) {
        return Uni.createFrom().deferred(() -> readRetries.get(
                () -> breaker.get(() -> trialLater(() -> readDeadline.get(() -> attempt(operation, call), ANSWERED_LATER)),
                        ANSWERED_LATER),
                ANSWERED_LATER))
                .ifNoItem().after(config.readTimeout())
                .failWith(() -> new TimeoutException("the read's deadline, retries included"))
                .onFailure().transform(failure -> refusal(operation, config.readTimeout(), failure))
                .onItem().transform(this::list);
    }

    private Answered write(String operation, Call call) {
        return guarded(operation, config.migrationTimeout(), () -> breaker.get(
                () -> trial(() -> migrationDeadline.get(() -> attempt(operation, call), Answered.class)), Answered.class));
    }

    /**
     * A call the breaker let through, counted while it runs when the breaker is half-open: then it
     * is the breaker's one trial, and every other call is refused until it ends.
     */
    private <T> T trial(Supplier<T> call) {
        if (!countedAsTrial()) {
            return call.get();
        }
        try {
            return call.get();
        } finally {
            trialsInFlight.decrementAndGet();
        }
    }

    /** {@link #trial(Supplier)} for a read, counted until it ends (answered, failed or cancelled). */
    private Uni<Answered> trialLater(Supplier<Uni<Answered>> call) {
        if (!countedAsTrial()) {
            return call.get();
        }
        AtomicBoolean ended = new AtomicBoolean();
        return call.get().onTermination().invoke(() -> {
            if (ended.compareAndSet(false, true)) {
                trialsInFlight.decrementAndGet();
            }
        });
    }

    /** Inside the breaker: whether it let this call through as its half-open trial (then counted). */
    private boolean countedAsTrial() {
        if (breakers.currentState(CIRCUIT_BREAKER) != CircuitBreakerState.HALF_OPEN) {
            return false;
        }
        trialsInFlight.incrementAndGet();
        return true;
    }

    /**
     * A write under its guards. The deadline interrupts the thread it guards; when the call ends on
     * its own in the instant between the deadline firing and that interrupt landing, the guard throws
     * the InterruptedException (undeclared) instead of its TimeoutException. Either way Domo may have
     * the request and its outcome is unknown; and no interrupt meant for the call may stay behind to
     * fail the write of that outcome.
     */
    private Answered guarded(String operation, Duration deadline, Supplier<Answered> call) {
        long started = System.nanoTime();
        try {
            return call.get();
        } catch (TimeoutException | CircuitBreakerOpenException e) {
            throw refusal(operation, deadline, e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            if (!(e instanceof InterruptedException)) {
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() - started >= deadline.toNanos()) {
                throw refusal(operation, deadline, new TimeoutException(e));
            }
            // Left interrupted by something else: the guard sets aside whatever came back.
            LOG.warnf("Domo %s: interrupted after %d ms", operation, elapsedMillis(started));
            throw failure(502, ProblemType.DOMO_UNAVAILABLE, "The call to Domo was interrupted and any answer of"
                    + " Domo's was not read: whether Domo carried the request out is not known", e, true, null, null);
        } finally {
            Thread.interrupted(); // defensive: the guard's own paths end with the flag clear
        }
    }

    /** Turns the guards' own refusals into problems: a deadline is an unknown outcome, an open breaker a 503. */
    private RuntimeException refusal(String operation, Duration deadline, Throwable e) {
        if (e instanceof TimeoutException) {
            LOG.warnf("Domo %s: no answer within %d ms", operation, deadline.toMillis());
            return failure(504, ProblemType.DOMO_TIMEOUT, "Domo did not answer within " + deadline.toMillis() / 1000.0
                    + " s", e, true, null, null);
        }
        if (e instanceof CircuitBreakerOpenException) {
            return circuitOpen();
        }
        return e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
    }

    /**
     * 503 with the time the breaker has left open (a whole second at least), not its whole delay;
     * one second while its trial call runs, which may close it any moment.
     */
    private ProblemException circuitOpen() {
        long leftNanos = config.circuitBreaker().openDuration().toNanos() - (System.nanoTime() - openedAt);
        long seconds = Math.max(1, Math.min(config.circuitBreaker().openDuration().toSeconds(),
                (leftNanos + 999_999_999L) / 1_000_000_000L));
        return new ProblemException(503, ProblemType.DOMO_CIRCUIT_OPEN,
                "Domo failed repeatedly; calls are paused, retry after the delay in Retry-After")
                .withRetryAfter(seconds);
    }

    private static Guard deadline(String description, Duration deadline) {
        return Guard.create().withDescription(description)
                .withTimeout().duration(deadline.toMillis(), ChronoUnit.MILLIS).done()
                .build();
    }

    private Answered attempt(String operation, Call call) {
        long started = System.nanoTime();
        DomoAnswer answer;
        try {
            answer = call.send(upstream.get());
        } catch (DomoTokenUnavailableException | DomoTransportException e) {
            throw unusable(operation, started, e);
        }
        return answered(operation, started, answer);
    }

    private Uni<Answered> attempt(String operation, Read call) {
        long started = System.nanoTime();
        return call.send(upstream.get())
                .onFailure().transform(failure -> unusable(operation, started, failure))
                .onItem().transform(answer -> answered(operation, started, answer));
    }

    /** No answer to use: no token to send, or the exchange failed before a whole answer came back. */
    private RuntimeException unusable(String operation, long started, Throwable failure) {
        if (failure instanceof DomoTokenUnavailableException e) {
            return failure(502, ProblemType.DOMO_TOKEN_UNAVAILABLE,
                    "The service has no usable Domo developer token; operators: check DOMO_DEVELOPER_TOKEN(_FILE)",
                    e, false, null, null);
        }
        if (failure instanceof DomoTransportException e) {
            LOG.warnf("Domo %s: no usable answer (%s, %s) after %d ms", operation, e.kind(), e.rootCause(),
                    elapsedMillis(started));
            return switch (e.kind()) {
                case DEADLINE -> failure(504, ProblemType.DOMO_TIMEOUT, "Domo did not answer in time", e, true, null, null);
                case CONNECT_FAILED -> failure(502, ProblemType.DOMO_UNAVAILABLE, "Could not connect to Domo", e, false,
                        null, null);
                // Cut off after its status line, the answer's status is recorded (Domo answered; not "no
                // answer came"), and a repeat rebuilt from the record is the same 502.
                case BROKEN -> DomoCallException.cutOff(ProblemType.DOMO_UNAVAILABLE,
                        "The connection to Domo broke before a complete answer arrived", e, e.status());
                case TOO_LARGE -> DomoCallException.cutOff(ProblemType.DOMO_RESPONSE_TOO_LARGE, "Domo's answer was longer"
                        + " than " + config.maxResponseSize().asLongValue() + " bytes (DOMO_MAX_RESPONSE_SIZE); it was cut off",
                        e, e.status());
            };
        }
        return failure instanceof RuntimeException runtime ? runtime : new IllegalStateException(failure);
    }

    /** A 2xx answer that is one JSON value, or the problem that Domo's answer means. */
    private Answered answered(String operation, long started, DomoAnswer answer) {
        if (LOG.isDebugEnabled()) {
            LOG.debugf("Domo %s: %d after %d ms", operation, answer.status(), elapsedMillis(started));
        }
        if (answer.status() >= 200 && answer.status() < 300) {
            JsonToken first = validJson(answer.body());
            if (first == null && !answer.delimited() && beginsLikeJson(answer.body())) {
                // JSON begun, and its end was the connection closing: it may have been cut off, and Domo may
                // have acted. (A GET's whole answer that is not JSON is no answer; a write's, below.)
                throw DomoCallException.acceptedWithoutResult(answer.status(), "Domo answered " + answer.status()
                        + " with JSON of no declared length that ended unfinished with the connection: it may have"
                        + " been cut off, so whether Domo carried the request out is not known", null);
            }
            int opening = firstNonBlank(answer.body());
            if (first == null && WRITES.contains(operation) && (opening < 0 || opensJson(opening))) {
                // Domo took a migrate or reverse (a success status) and gave no result to read: nothing (a 202
                // or 204 of work it does later), or JSON it got wrong. It may have acted or still be at work:
                // FAILED would free the data source for another call while it is. (A page, a text, is no
                // answer of Domo's: a proxy's, in front of it. FAILED.)
                throw DomoCallException.acceptedWithoutResult(answer.status(), "Domo answered " + answer.status()
                        + (opening < 0 ? " with no body" : " with a body that is not valid JSON")
                        + ": whether it carried the request out is not known until it is reconciled", null);
            }
            if (first == null) {
                throw unreadable(answer.status(), "Domo answered " + answer.status() + " with a body that is not JSON");
            }
            return new Answered(answer.status(), answer.body(), first);
        }
        throw translate(answer, WRITES.contains(operation));
    }

    /** Whether the body's first character other than white space opens a JSON object or array. */
    static boolean beginsLikeJson(byte[] body) {
        return opensJson(firstNonBlank(body));
    }

    private static boolean opensJson(int opening) {
        return opening == '{' || opening == '[';
    }

    /**
     * The body's first byte other than JSON white space (0 to 255; after a UTF-8 byte-order mark, which
     * a gateway's page may start with), or -1 when it has none (empty or blank). Read as a signed byte, a
     * page that opens with a byte-order mark or a letter beyond ASCII passed for no body at all.
     */
    private static int firstNonBlank(byte[] body) {
        boolean byteOrderMark = body.length >= 3 && (body[0] & 0xFF) == 0xEF && (body[1] & 0xFF) == 0xBB
                && (body[2] & 0xFF) == 0xBF;
        for (int i = byteOrderMark ? 3 : 0; i < body.length; i++) {
            byte b = body[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b & 0xFF;
            }
        }
        return -1;
    }

    /** Connection failures and gateway errors: worth another GET. */
    private static boolean worthAnotherGet(Throwable failure) {
        if (!(failure instanceof DomoCallException e) || e.type() != ProblemType.DOMO_UNAVAILABLE) {
            return false;
        }
        Integer status = e.upstreamStatus();
        return status == null || e.cutOff() || status == 503 || DomoCallException.fromAGatewayWithoutDomosAnswer(status)
                || DomoCallException.gatewayNeverReachedDomo(status);
    }

    /** Domo itself is failing (as opposed to refusing a request, or the service lacking a token): counts for the breaker. */
    private static boolean domoFailed(Throwable failure) {
        if (failure instanceof TimeoutException || failure instanceof InterruptedException) { // see guarded()
            return true;
        }
        if (!(failure instanceof DomoCallException e)) {
            return false;
        }
        Integer status = e.upstreamStatus();
        return e.type() == ProblemType.DOMO_TIMEOUT || e.type() == ProblemType.DOMO_RESPONSE_TOO_LARGE
                || (e.type() == ProblemType.DOMO_UNAVAILABLE && (status == null || e.cutOff() || status >= 500));
    }

    /** Domo's failure answer as the problem it means; {@code write} for migrate and reverse, whose outcome it may leave unknown. */
    private DomoCallException translate(DomoAnswer answer, boolean write) {
        int status = answer.status();
        JsonNode error = parse(answer.body());
        String toe = shortField(error, "toe");
        String message = sanitize(text(error, "message"));
        if (status == 401 || status == 403) {
            return failure(502, ProblemType.DOMO_REJECTED_CREDENTIALS,
                    "Domo rejected the service credentials (HTTP " + status
                            + "); operators: check the Domo developer token and its owner's rights",
                    null, true, status, toe);
        }
        if (status == 429) {
            String retryAfter = retryAfter(answer.retryAfter());
            if (write) {
                try {
                    rateLimits.fire(new DomoRateLimited(Long.parseLong(retryAfter)));
                } catch (RuntimeException e) {
                    // Domo's 429 stays the answer (Domo did nothing): a listener's failure must not turn it into another.
                    LOG.warnf("A listener of Domo's 429 failed: %s", e.getMessage());
                }
            }
            return new DomoCallException(503, ProblemType.DOMO_RATE_LIMITED,
                    "Domo is rate limiting the service; retry after the delay in Retry-After", null, true, status, toe,
                    Map.of(HttpHeaders.RETRY_AFTER, retryAfter));
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
        if (write && DomoCallException.fromAGatewayWithoutDomosAnswer(status)) {
            return failure(502, ProblemType.DOMO_UNAVAILABLE, "Domo answered " + status + " from a gateway that got"
                    + " no usable answer from Domo in time: whether Domo carried the request out is not known", null, true,
                    status, toe);
        }
        return failure(502, ProblemType.DOMO_UNAVAILABLE, "Domo answered " + status, null, true, status, toe);
    }

    /**
     * A list as Domo sent it, its bytes passed on as they are; only when the token may be in it is
     * it parsed, walked and every such value redacted. Bytes that do not start with {@code [} (a
     * byte-order mark, another encoding) are parsed and written again as UTF-8.
     */
    private DomoList list(Answered answered) {
        if (answered.first() != JsonToken.START_ARRAY) {
            throw unreadable(answered.status(), "Domo answered with JSON that is not the expected list");
        }
        if (tokens.mayAppearIn(answered.raw()) || !startsWithBracket(answered.raw())) {
            ArrayNode array = (ArrayNode) parse(answered.raw());
            redactAll(array);
            return DomoList.ofTree(json, array);
        }
        return DomoList.ofBytes(json, answered.raw());
    }

    private static boolean startsWithBracket(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return b == '[';
            }
        }
        return false;
    }

    /**
     * The first token of a body that is exactly one JSON value, read without building a tree;
     * null when it is empty, not JSON, or followed by anything but whitespace.
     */
    private JsonToken validJson(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try (JsonParser parser = json.getFactory().createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return null;
            }
            parser.skipChildren();
            return parser.nextToken() == null ? first : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void redactAll(JsonNode node) {
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode item = array.get(i);
                if (item.isTextual()) {
                    array.set(i, TextNode.valueOf(tokens.redact(item.textValue())));
                } else {
                    redactAll(item);
                }
            }
        } else if (node instanceof ObjectNode object) {
            ObjectNode copy = object.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext();) {
                Map.Entry<String, JsonNode> field = fields.next();
                JsonNode value = field.getValue();
                if (value.isTextual()) {
                    value = TextNode.valueOf(tokens.redact(value.textValue()));
                } else {
                    redactAll(value);
                }
                copy.set(tokens.redact(field.getKey()), value);
            }
            object.removeAll();
            object.setAll(copy);
        }
    }

    private DomoOperationResult operationResult(Answered answered, String datasourceId, String direction) {
        JsonNode body = parse(answered.raw());
        String state = text(body, "state");
        if (body == null || !body.isObject() || state == null || !RESULT_STATES.contains(state)) {
            // Domo took the request (a success status, JSON) but names no end this service knows, such as
            // RUNNING, or none (an array, a string): it may still be at work, so the data source stays locked
            // until the operation is reconciled.
            throw DomoCallException.acceptedWithoutResult(answered.status(), "Domo answered without a recognisable"
                    + " operation state; the outcome is unknown until it is reconciled", shortField(body, "toe"));
        }
        String answeredFor = shortField(body, "datasourceId");
        String answeredDirection = shortField(body, "direction");
        if ((answeredFor != null && !DatasourceIds.same(answeredFor, datasourceId))
                || (answeredDirection != null && !answeredDirection.equals(direction))) {
            // An answer about another data source or direction tells nothing of this one: recording its state
            // would credit (or free) this data source with what Domo did elsewhere.
            throw DomoCallException.acceptedWithoutResult(answered.status(), "Domo's answer names another data source"
                    + " or direction than the one asked for; the outcome is unknown until it is reconciled",
                    shortField(body, "toe"));
        }
        return new DomoOperationResult(shortField(body, "toe"), shortField(body, "datasourceId"), shortField(body, "direction"),
                shortField(body, "startTime"), state, sanitize(text(body, "errorMessage")), shortField(body, "endTime"),
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

    /**
     * A field of Domo's JSON as text; whatever Domo echoes, the token never comes out of here, whole
     * or in pieces of {@value TokenRedactor#FRAGMENT} characters or more.
     */
    private String text(JsonNode node, String field) {
        if (node == null || !node.isObject()) {
            return null;
        }
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        return tokens.redactWithFragments(value.isValueNode() ? value.asText() : value.toString());
    }

    /**
     * A short field of Domo's answer (its request id, times, the data source and direction it
     * names): control characters as U+FFFD, as NUL is recorded, so that none forges a log line;
     * bounded, so that a broken Domo cannot write megabytes into every log line and audit row.
     */
    private String shortField(JsonNode node, String name) {
        String value = text(node, name);
        return value == null ? null : bounded(value, MAX_FIELD_LENGTH, "\uFFFD");
    }

    /** Domo's own words, made safe to show: no control characters, bounded (already without the token). */
    private static String sanitize(String message) {
        if (message == null) {
            return null;
        }
        String clean = bounded(message, MAX_MESSAGE_LENGTH, " ").strip();
        return clean.isEmpty() || clean.equals("…") ? null : clean;
    }

    /**
     * At most {@code max} characters (and "…" when cut, never within a surrogate pair), controls
     * replaced, and storable: a lone surrogate is U+FFFD here already, so that the caller's answer,
     * the audit row and a replay of the answer all say the same (PostgreSQL would store U+FFFD, and
     * the driver would send a stored answer's lone surrogate as '?').
     */
    private static String bounded(String value, int max, String control) {
        boolean cut = value.length() > max;
        int end = cut && Character.isHighSurrogate(value.charAt(max - 1)) ? max - 1 : Math.min(max, value.length());
        String clean = StorableText.of(CONTROL.matcher(cut ? value.substring(0, end) : value).replaceAll(control));
        return cut ? clean + "…" : clean;
    }

    /**
     * Domo's Retry-After in seconds (RFC 9110 §10.2.3): its delay-seconds, or the seconds until its
     * HTTP-date (at least 1); the default when it gives neither, or more than about eleven days.
     */
    static String retryAfter(String fromDomo) {
        if (fromDomo == null) {
            return DEFAULT_RETRY_AFTER;
        }
        String value = fromDomo.strip();
        if (value.matches("\\d{1,6}")) {
            return value;
        }
        try {
            long seconds = Duration.between(Instant.now(),
                    ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()).toSeconds();
            return seconds <= 999_999 ? Long.toString(Math.max(1, seconds)) : DEFAULT_RETRY_AFTER;
        } catch (DateTimeParseException e) {
            return DEFAULT_RETRY_AFTER;
        }
    }

    private static long elapsedMillis(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
