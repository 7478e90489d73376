package com.domomigrationproxy.plans;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Sha256;
import com.domomigrationproxy.migration.QueryParameters;
import com.domomigrationproxy.problem.Problem;

/**
 * The filters of GET /api/v1/plans, and its keyset cursor: the last plan's (createdAt, planId)
 * plus a digest of the filters, so that a cursor is only accepted with the filters that issued it.
 */
record PlanFilter(PlanState state, Direction direction, String createdBy) {

    /** Where the next page starts: plans created before this one. */
    record Position(Instant createdAt, UUID planId) {
    }

    String cursorAfter(PlanView last) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((last.createdAt() + "|" + last.planId() + "|"
                + digest()).getBytes(StandardCharsets.UTF_8));
    }

    Position position(String cursor, List<Problem.FieldError> errors) {
        if (cursor == null) {
            return null;
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", -1);
            Instant createdAt = parts.length == 3 ? QueryParameters.storableInstant(parts[0]) : null;
            if (createdAt != null && parts[2].equals(digest())) {
                return new Position(createdAt, UUID.fromString(parts[1]));
            }
        } catch (RuntimeException e) {
            // reported below
        }
        errors.add(new Problem.FieldError("cursor", "is not a cursor issued for these filters"));
        return null;
    }

    private String digest() {
        return Sha256.hex(toString()).substring(0, 16);
    }
}
