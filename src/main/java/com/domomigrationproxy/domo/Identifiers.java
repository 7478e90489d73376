package com.domomigrationproxy.domo;

import java.util.List;
import java.util.regex.Pattern;

import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;

/** Domo identifiers that become path segments of a Domo call: integration types, account and datasource ids. */
public final class Identifiers {

    public static final String PATTERN = "[A-Za-z0-9_-]{1,128}";
    public static final String RULE = "must be 1 to 128 characters of A-Z, a-z, 0-9, '_' or '-'";
    private static final Pattern VALID = Pattern.compile(PATTERN);

    private Identifiers() {
    }

    public static boolean valid(String value) {
        return value != null && VALID.matcher(value).matches();
    }

    /** The value, if it is a valid identifier; otherwise a 400 naming the parameter. */
    public static String require(String name, String value) {
        if (!valid(value)) {
            throw ProblemException.invalid(name + " " + RULE, List.of(new Problem.FieldError(name, RULE)));
        }
        return value;
    }
}
