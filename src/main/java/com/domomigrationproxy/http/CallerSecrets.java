package com.domomigrationproxy.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.domomigrationproxy.domo.DomoTokenProvider;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.ApiKeyStore;
import com.fasterxml.jackson.databind.JsonNode;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Finds a credential in what a caller sends to be kept or passed on: an API key's secret, or the
 * Domo developer token in any form its redactor knows. A caller who pastes one into a data source
 * id, a table name, a note or an {@code Idempotency-Key} would have it written into the audit chain
 * for good, logged, and sent to Domo: such a request is refused instead, and the key named once in
 * the log so that it can be rotated. Telling a caller whether a string is a credential tells it
 * nothing it could not learn by presenting the string as one.
 */
@ApplicationScoped
public class CallerSecrets {

    /** What a log line, a problem or the audit trail shows in place of a value that carried a credential. */
    public static final String REDACTED = "[redacted]";
    public static final String RULE = "carries a credential (an API key's secret or the Domo developer token): it is"
            + " neither stored nor passed on, and the credential should be rotated";
    /** Where a request whose path carried a credential keeps the path shown in its place. */
    private static final String SHOWN_PATH = CallerSecrets.class.getName() + ".shownPath";
    /** Kept for a day, and so for good in effect; named here, below the idempotency store. */
    private static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** How a refusal names a field whose name (not value) carried the credential. */
    public static final String A_NAME = "(a field's name)";
    private static final Logger LOG = Logger.getLogger(CallerSecrets.class);
    /** No API key's secret is longer (the key store's own limit): a longer run of text is none. */
    private static final int LONGEST_RUN = 1024;
    /** The fields a refusal names at most (a plan's upload may have thousands). */
    private static final int LISTED = 100;

    private final ApiKeyStore keys;
    private final DomoTokenProvider domoToken;
    /** The keys whose secret a caller sent where no credential belongs, warned of once each. */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    /** The places the Domo token arrived in, warned of once each. */
    private final Set<String> domoTokenWarned = ConcurrentHashMap.newKeySet();

    CallerSecrets(ApiKeyStore keys, DomoTokenProvider domoToken) {
        this.keys = keys;
        this.domoToken = domoToken;
    }

    /**
     * True when the value is an API key's secret, holds one as a word of its text, or holds the Domo
     * token; the key (or the token) is named in the log once, {@code where} saying where it came.
     */
    public boolean carried(String value, String where) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        String key = keyIn(value);
        if (key != null) {
            warn(key, where);
            return true;
        }
        if (domoToken.appearsIn(value)) {
            warn(null, where);
            return true;
        }
        return false;
    }

    /**
     * The refusal of a request whose path, query or {@code Idempotency-Key} carries a credential, or
     * null. Looked at before routing, so that such a request reaches no resource, no log line and
     * no audit row: the path that stands in for it there is {@link #shownPath}.
     */
    public ProblemException inRequest(RoutingContext context) {
        HttpServerRequest request = context.request();
        List<Problem.FieldError> fields = new ArrayList<>(1);
        String path = request.path();
        if (path != null && (domoToken.appearsIn(path) || segmentIsAKey(path))) {
            context.put(SHOWN_PATH, masked(path));
            fields.add(new Problem.FieldError("path", RULE));
        }
        String query = request.query();
        if (query != null && !query.isEmpty() && queryCarries(query)) {
            fields.add(new Problem.FieldError("query", RULE));
        }
        if (carried(request.getHeader(IDEMPOTENCY_KEY), IDEMPOTENCY_KEY)) {
            fields.add(new Problem.FieldError(IDEMPOTENCY_KEY, RULE));
        }
        return fields.isEmpty() ? null : refusal(fields);
    }

    /** The request's path as logs, problems and the audit trail show it: with no credential in it. */
    public static String shownPath(RoutingContext context) {
        String shown = context.get(SHOWN_PATH);
        return shown != null ? shown : context.request().path();
    }

    private boolean segmentIsAKey(String path) {
        int start = 0;
        while (start < path.length()) {
            int end = path.indexOf('/', start);
            end = end < 0 ? path.length() : end;
            if (end > start && keys.keyNamed(path.substring(start, end)) != null) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** Each segment that carries a credential replaced; the whole path when the token spans segments. */
    private String masked(String path) {
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            if (carried(segments[i], "The path")) {
                segments[i] = REDACTED;
            }
        }
        String shown = String.join("/", segments);
        return domoToken.appearsIn(shown) ? REDACTED : shown;
    }

    /** Each parameter's name and value as decoded; one that cannot be decoded is looked at as sent. */
    private boolean queryCarries(String query) {
        boolean carries = false;
        for (String parameter : query.split("&")) {
            int equals = parameter.indexOf('=');
            for (String part : equals < 0 ? List.of(parameter)
                    : List.of(parameter.substring(0, equals), parameter.substring(equals + 1))) {
                String decoded = decoded(part);
                carries |= carried(part, "The query") || !decoded.equals(part) && carried(decoded, "The query");
            }
        }
        return carries;
    }

    private static String decoded(String part) {
        try {
            return QueryStringDecoder.decodeComponent(part);
        } catch (IllegalArgumentException e) {
            return part;
        }
    }

    private void warn(String key, String where) {
        if (key != null && warned.add(key + '\n' + where)) {
            LOG.warnf("%s carried the secret of API key %s: not kept, neither stored, echoed nor logged; the"
                    + " client should send no credential there, and the key be rotated (said once per key and"
                    + " place)", where, key);
        } else if (key == null && domoTokenWarned.add(where)) {
            LOG.warnf("%s carried the Domo developer token: not kept, neither stored, echoed nor logged; the"
                    + " token should be rotated (said once per place)", where);
        }
    }

    /**
     * The error for a field whose value carries a credential, or null: the field named (with its
     * line, for a CSV upload's), its value never quoted.
     */
    public Problem.FieldError check(String field, String value, Integer line) {
        return carried(value, "The field " + field) ? new Problem.FieldError(field, RULE, line) : null;
    }

    /**
     * The fields of a JSON body that carry a credential, named as the body's own errors name them
     * ({@code items[1].table}); a member whose name carries one, as {@link #A_NAME} under its parent.
     */
    public List<Problem.FieldError> inJson(JsonNode body) {
        List<Problem.FieldError> carried = new ArrayList<>();
        inJson(body, "", carried);
        return carried;
    }

    private void inJson(JsonNode node, String at, List<Problem.FieldError> carried) {
        if (node == null || carried.size() >= LISTED) {
            return;
        }
        if (node.isTextual()) {
            Problem.FieldError error = check(at.isEmpty() ? "body" : at, node.textValue(), null);
            if (error != null) {
                carried.add(error);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                inJson(node.get(i), at + "[" + i + "]", carried);
            }
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> member : node.properties()) {
                String name = at.isEmpty() ? member.getKey() : at + "." + member.getKey();
                if (carried(member.getKey(), "A JSON member's name")) {
                    carried.add(new Problem.FieldError(at.isEmpty() ? A_NAME : at + "." + A_NAME, RULE));
                } else {
                    inJson(member.getValue(), name, carried);
                }
            }
        }
    }

    /** The 400 for fields that carried a credential, with nothing stored and Domo not called. */
    public static ProblemException refusal(List<Problem.FieldError> carried) {
        List<String> fields = carried.stream().map(Problem.FieldError::field).distinct().toList();
        boolean cut = fields.size() > LISTED;
        return ProblemException.invalid("The request carries a credential where none belongs: "
                + String.join(", ", cut ? fields.subList(0, LISTED) : fields) + (cut ? ", …" : ""),
                cut ? carried.subList(0, LISTED) : carried);
    }

    /**
     * The whole value when it is a key's secret, else each run of the characters generated secrets
     * are made of (hex, base64, base64url, and '.' and '~'), with a sentence's full stop taken off:
     * a secret pasted into a note among other words. A secret with other characters is found only as
     * the whole value.
     */
    private String keyIn(String value) {
        String whole = keys.keyNamed(value);
        if (whole != null) {
            return whole;
        }
        int start = -1;
        for (int i = 0; i <= value.length(); i++) {
            boolean inRun = i < value.length() && secretCharacter(value.charAt(i));
            if (inRun && start < 0) {
                start = i;
            } else if (!inRun && start >= 0) {
                String key = runKey(value, start, i);
                if (key != null) {
                    return key;
                }
                start = -1;
            }
        }
        return null;
    }

    private String runKey(String value, int start, int end) {
        if (start == 0 && end == value.length() || end - start > LONGEST_RUN) {
            return null; // the whole value was looked up already; longer than any key
        }
        String run = value.substring(start, end);
        String key = keys.keyNamed(run);
        int trimmed = run.length();
        while (key == null && trimmed > 0 && run.charAt(trimmed - 1) == '.') {
            trimmed--;
        }
        return key != null || trimmed == run.length() || trimmed == 0 ? key : keys.keyNamed(run.substring(0, trimmed));
    }

    private static boolean secretCharacter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '+' || c == '/' || c == '=' || c == '-' || c == '_' || c == '.' || c == '~';
    }
}
