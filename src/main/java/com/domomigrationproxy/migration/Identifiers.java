package com.domomigrationproxy.migration;

import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;

/**
 * The identifiers callers send: Domo's (integration types, account and datasource ids, which become
 * path segments of a Domo call) and our own UUIDs. Validated before anything else happens.
 */
public final class Identifiers {

    public static final String PATTERN = "[A-Za-z0-9_-]{1,128}";
    /** The same, anchored, as OpenAPI patterns are read (ECMA 262: a match anywhere counts). */
    public static final String ANCHORED_PATTERN = "^" + PATTERN + "$";
    public static final String RULE = "must be 1 to 128 characters of A-Z, a-z, 0-9, '_' or '-'";
    private static final Pattern VALID = Pattern.compile(PATTERN);

    private Identifiers() {
    }

    public static boolean valid(String value) {
        return value != null && VALID.matcher(value).matches();
    }

    /** The UUID, if the value is one in its canonical form; otherwise a 400 naming the parameter. */
    public static UUID uuid(String name, String value) {
        if (value != null && value.length() == 36) {
            try {
                UUID parsed = UUID.fromString(value);
                if (parsed.toString().equalsIgnoreCase(value)) {
                    return parsed;
                }
            } catch (IllegalArgumentException e) {
                // reported below
            }
        }
        throw ProblemException.invalid(name + " must be a UUID", List.of(new Problem.FieldError(name, "must be a UUID")));
    }

    /** The value, if it is a valid identifier; otherwise a 400 naming the parameter. */
    public static String require(String name, String value) {
        if (!valid(value)) {
            throw ProblemException.invalid(name + " " + RULE, List.of(new Problem.FieldError(name, RULE)));
        }
        return value;
    }
}
