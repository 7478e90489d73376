package com.domomigrationproxy.migration;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;

/**
 * Query parameters read the same way on every list the API and the console serve: each bad one is
 * added to {@code errors}, and {@link #failOn} answers 400 naming all of them at once.
 */
public final class QueryParameters {

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");
    private static final Instant YEAR_10000 = Instant.parse("+10000-01-01T00:00:00Z");

    private QueryParameters() {
    }

    /** The constant named {@code value}, or null (absent or, reported, unknown). */
    public static <E extends Enum<E>> E constant(String name, String value, Class<E> type,
            List<Problem.FieldError> errors) {
        if (value == null) {
            return null;
        }
        try {
            return Enum.valueOf(type, value);
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>();
            for (E constant : type.getEnumConstants()) {
                allowed.add(constant.name());
            }
            errors.add(new Problem.FieldError(name, "must be one of " + String.join(", ", allowed)));
            return null;
        }
    }

    /** A principal's name as it is recorded: 1 to 255 characters without control characters. */
    public static String principal(String name, String value, List<Problem.FieldError> errors) {
        if (value != null && (value.isEmpty() || value.codePointCount(0, value.length()) > 255
                || value.codePoints().anyMatch(Character::isISOControl))) {
            errors.add(new Problem.FieldError(name, "must be 1 to 255 characters without control characters"));
            return null;
        }
        return value;
    }

    /** A page size from 1 to {@code max}; {@code defaultValue} when absent. */
    public static int limit(String value, int defaultValue, int max, List<Problem.FieldError> errors) {
        if (value == null) {
            return defaultValue;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= max) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        errors.add(new Problem.FieldError("limit", "must be an integer from 1 to " + max));
        return defaultValue;
    }

    /**
     * An ISO-8601 instant from year 0001 to 9999 (what PostgreSQL's timestamptz and the service's
     * JSON both hold), else null: for filters and for the positions inside page cursors, which a
     * caller can forge (their digest only ties them to the filters), so neither reaches the
     * database out of range.
     */
    public static Instant storableInstant(String value) {
        try {
            Instant parsed = Instant.parse(value);
            return parsed.isBefore(EARLIEST) || parsed.isAfter(LATEST) ? null : parsed;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * A bound of a range of stored instants ({@code from} inclusive, {@code to} exclusive), any
     * instant of the years 0001 to 9999, else null. PostgreSQL keeps microseconds and would round a
     * finer bound to the nearest: it is moved up to the next microsecond instead, which selects
     * exactly the stored instants the bound selects at its own precision.
     */
    public static Instant storableBound(String value) {
        try {
            Instant parsed = Instant.parse(value);
            if (parsed.isBefore(EARLIEST) || !parsed.isBefore(YEAR_10000)) {
                return null;
            }
            Instant micros = parsed.truncatedTo(ChronoUnit.MICROS);
            return micros.equals(parsed) ? parsed : min(micros.plus(1, ChronoUnit.MICROS), LATEST);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** 400 naming every bad parameter, if there is one. */
    public static void failOn(List<Problem.FieldError> errors) {
        if (!errors.isEmpty()) {
            throw ProblemException.invalid("Invalid query parameters", errors);
        }
    }
}
