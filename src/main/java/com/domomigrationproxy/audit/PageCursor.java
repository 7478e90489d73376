package com.domomigrationproxy.audit;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import com.domomigrationproxy.problem.Problem;

/**
 * The keyset position after the last Operation of a page: (requestedAt, operationId) of that row,
 * plus a digest of the filters, so a cursor is only accepted with the filters that issued it.
 * Opaque to clients; anything that does not decode exactly is a 400.
 */
record PageCursor(Instant requestedAt, UUID operationId, String filterDigest) {

    String encode() {
        String plain = requestedAt + "|" + operationId + "|" + filterDigest;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    static PageCursor decode(String cursor, OperationFilter filter, List<Problem.FieldError> errors) {
        if (cursor == null) {
            return null;
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", -1);
            if (parts.length == 3 && parts[2].equals(filter.digest())) {
                return new PageCursor(Instant.parse(parts[0]), UUID.fromString(parts[1]), parts[2]);
            }
        } catch (RuntimeException e) {
            // reported below
        }
        errors.add(new Problem.FieldError("cursor", "is not a cursor issued for these filters"));
        return null;
    }
}
