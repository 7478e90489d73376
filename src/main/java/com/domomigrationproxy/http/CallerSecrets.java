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
 * Domo developer token in the forms its redactor looks for in Domo's answers (any letter case,
 * percent-encoded, base64, hex; not the runs of its characters it looks for in Domo's own words,
 * which a caller's ids would match by chance). A caller who pastes one into a data source
 * id, a table name, a note or an {@code Idempotency-Key} would have it written into the audit chain
 * for good, logged, and sent to Domo: such a request is refused instead, and the key named once in
 * the log so that it can be rotated. Telling a caller whether a string is a credential tells it
 * nothing it could not learn by presenting the string as one.
 */
@ApplicationScoped
public class CallerSecrets {

    /** What a log line, a problem or the audit trail shows in place of a value that carried a credential. */
    public static final String REDACTED = "[redacted]";
    /** What a refusal says of each field that carried one. */
    public static final String RULE = "carries a credential (an API key's secret or the Domo developer token): it is"
            + " neither stored nor passed on, and the credential should be rotated";
    /** How a refusal names a field whose name (not value) carried the credential. */
    public static final String A_NAME = "(a field's name)";
    /** Where a request whose path carried a credential keeps the path shown in its place. */
    private static final String SHOWN_PATH = CallerSecrets.class.getName() + ".shownPath";
    /** Kept for a day, and so for good in effect; named here, below the idempotency store. */
    private static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** Where a field of a body or form carried it, in the log (the answer names the field). */
    private static final String A_FIELD = "A field of a request body or form";
    private static final Logger LOG = Logger.getLogger(CallerSecrets.class);
    /** No API key's secret is longer (the key store's own limit): a longer run of text is none. */
    private static final int LONGEST_RUN = 1024;
    /**
     * A longer string of a JSON body is not looked at: every rule that reads one refuses it, without
     * quoting it, and searching it would take a plan's whole size of heap more.
     */
    private static final int LONGEST_TEXT = 64 * 1024;
    /** The '=' and '/' of one word around which it is looked up, at most (and then after its last one). */
    private static final int MAX_SEPARATORS = 8;
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
     * token; the key (or the token) is named in the log once per place, {@code where}: one of a few
     * fixed words, never the caller's (a field's name would let a caller grow the warned-of set).
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
        List<Problem.FieldError> fields = List.of();
        String path = request.path();
        if (path != null && (domoToken.appearsIn(path) || segmentIsAKey(path))) {
            context.put(SHOWN_PATH, masked(path));
            fields = with(fields, "path");
        }
        String query = request.query();
        if (query != null && !query.isEmpty() && queryCarries(query)) {
            fields = with(fields, "query");
        }
        // Every value, though only one is taken: a credential in a second one was refused for being a
        // second, its key never named for rotation (idempotency review). Looked up whole only when sent.
        if (request.getHeader(IDEMPOTENCY_KEY) != null && request.headers().getAll(IDEMPOTENCY_KEY).stream()
                .map(key -> carried(key, IDEMPOTENCY_KEY)).reduce(false, Boolean::logicalOr)) { // each key named
            fields = with(fields, IDEMPOTENCY_KEY);
        }
        return fields.isEmpty() ? null : refusal(fields);
    }

    private static List<Problem.FieldError> with(List<Problem.FieldError> fields, String field) {
        List<Problem.FieldError> more = new ArrayList<>(fields);
        more.add(new Problem.FieldError(field, RULE));
        return more;
    }

    /** The request's path as logs, problems and the audit trail show it: with no credential in it. */
    public static String shownPath(RoutingContext context) {
        String shown = context.get(SHOWN_PATH);
        return shown != null ? shown : context.request().path();
    }

    /** Whether a segment is, or holds as a word, an API key's secret, as sent or percent-decoded. */
    private boolean segmentIsAKey(String path) {
        if (keys.none()) {
            return false;
        }
        int start = 0;
        while (start < path.length()) {
            int end = path.indexOf('/', start);
            end = end < 0 ? path.length() : end;
            if (end > start) {
                String segment = path.substring(start, end);
                if (keyIn(segment) != null || segment.indexOf('%') >= 0 && keyIn(decoded(segment)) != null) {
                    return true;
                }
            }
            start = end + 1;
        }
        return false;
    }

    /** Each segment that carries a credential replaced; the whole path when the token spans segments. */
    private String masked(String path) {
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            if (carried(segments[i], "The path")
                    || segments[i].indexOf('%') >= 0 && carried(decoded(segments[i]), "The path")) {
                segments[i] = REDACTED;
            }
        }
        String shown = String.join("/", segments);
        return domoToken.appearsIn(shown) ? REDACTED : shown;
    }

    /**
     * Each parameter's name and value as sent and as decoded (one that cannot be decoded, as sent),
     * split where the JAX-RS decoder splits: at '&' and ';'.
     */
    private boolean queryCarries(String query) {
        boolean carries = false;
        for (String parameter : query.split("[&;]")) {
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
        return carried(value, A_FIELD) ? new Problem.FieldError(field, RULE, line) : null;
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
        if (node.isTextual() && node.textValue().length() <= LONGEST_TEXT) {
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
     * The key whose secret the value is, or holds as a word: a run of the characters generated
     * secrets are made of (hex, base64, base64url, and '.' and '~'), a secret pasted into a note
     * among other words. A word is looked up as it is, without a sentence's full stop at its end,
     * and on each side of a '=' or '/' in it ({@code KEY=<secret>}, {@code …/<secret>}). A secret
     * with other characters is found only as the whole value.
     */
    private String keyIn(String value) {
        if (keys.none()) {
            return null;
        }
        String key = keys.keyNamed(value);
        int start = -1;
        for (int i = 0; key == null && i <= value.length(); i++) {
            boolean inRun = i < value.length() && secretCharacter(value.charAt(i));
            if (inRun && start < 0) {
                start = i;
            } else if (!inRun && start >= 0) {
                key = word(value, start, i);
                start = -1;
            }
        }
        return key;
    }

    private String word(String value, int start, int end) {
        if (end - start > LONGEST_RUN) {
            return null; // longer than any key
        }
        boolean whole = start == 0 && end == value.length();
        String key = whole ? null : keys.keyNamed(value.substring(start, end)); // the whole value was looked up
        int trimmed = end;
        while (trimmed > start && value.charAt(trimmed - 1) == '.') {
            trimmed--;
        }
        if (key == null && trimmed < end && trimmed > start) {
            key = keys.keyNamed(value.substring(start, trimmed));
        }
        int separators = 0;
        int last = -1;
        for (int i = start; key == null && i < trimmed; i++) {
            char c = value.charAt(i);
            if ((c == '=' || c == '/') && ++separators <= MAX_SEPARATORS) {
                key = i > start ? keys.keyNamed(value.substring(start, i)) : null;
                if (key == null && i + 1 < trimmed) {
                    key = keys.keyNamed(value.substring(i + 1, trimmed));
                }
            } else if (c == '=' || c == '/') {
                last = i;
            }
        }
        // Past the first few, the part after the last one still: a URL's last segment.
        return key == null && last >= 0 && last + 1 < trimmed ? keys.keyNamed(value.substring(last + 1, trimmed)) : key;
    }

    private static boolean secretCharacter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '+' || c == '/' || c == '=' || c == '-' || c == '_' || c == '.' || c == '~';
    }
}
