package com.domomigrationproxy.audit;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.migration.QueryParameters;
import com.domomigrationproxy.problem.Problem;

/**
 * Where the next page starts, plus a digest of the filters, so a cursor is only accepted with the
 * filters that issued it. For operations: (requestedAt, operationId) of the last row; for chain
 * events: the last seq. Opaque to clients; anything that does not decode exactly is a 400.
 */
public final class PageCursor {

    private PageCursor() {
    }

    public static String after(Instant requestedAt, UUID operationId, Object query) {
        return encode(requestedAt + "|" + operationId + "|" + OperationFilter.digest(query));
    }

    static String after(long seq, Object query) {
        return encode(seq + "|" + OperationFilter.digest(query));
    }

    public static OperationQuery.Position position(String cursor, Object query, List<Problem.FieldError> errors) {
        String[] parts = decode(cursor, 3, query, errors);
        if (parts == null) {
            return null;
        }
        try {
            Instant requestedAt = QueryParameters.storableInstant(parts[0]);
            if (requestedAt == null) {
                errors.add(invalid());
                return null;
            }
            return new OperationQuery.Position(requestedAt, UUID.fromString(parts[1]));
        } catch (RuntimeException e) {
            errors.add(invalid());
            return null;
        }
    }

    static long seq(String cursor, Object query, List<Problem.FieldError> errors) {
        String[] parts = decode(cursor, 2, query, errors);
        if (parts == null) {
            return 0;
        }
        try {
            return Long.parseLong(parts[0]);
        } catch (NumberFormatException e) {
            errors.add(invalid());
            return 0;
        }
    }

    private static String encode(String plain) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decode(String cursor, int parts, Object query, List<Problem.FieldError> errors) {
        if (cursor == null) {
            return null;
        }
        try {
            String[] decoded = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", -1);
            if (decoded.length == parts && decoded[parts - 1].equals(OperationFilter.digest(query))) {
                return decoded;
            }
        } catch (RuntimeException e) {
            // reported below
        }
        errors.add(invalid());
        return null;
    }

    private static Problem.FieldError invalid() {
        return new Problem.FieldError("cursor", "is not a cursor issued for these filters");
    }
}
