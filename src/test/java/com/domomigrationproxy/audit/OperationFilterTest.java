package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.problem.Problem;

class OperationFilterTest {

    @Test
    void validParametersBecomeAQuery() {
        List<Problem.FieldError> errors = new ArrayList<>();
        OperationQuery query = OperationFilter.parse("ds-1", "7", "V1_TO_V2", "UNKNOWN", "billing-svc",
                "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", null, "true", errors);
        assertThat(errors).isEmpty();
        assertThat(query).isEqualTo(new OperationQuery("ds-1", "7", Direction.V1_TO_V2, OperationState.UNKNOWN,
                "billing-svc", Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-02-01T00:00:00Z"), null, true));
    }

    @Test
    void everyInvalidParameterIsReportedAtOnce() {
        List<Problem.FieldError> errors = new ArrayList<>();
        OperationFilter.parse("../x", "a b", "UP", "DONE", "", "+1000000000-12-31T23:59:59Z", "-0001-01-01T00:00:00Z",
                "nope", "maybe", errors);
        assertThat(errors).extracting(Problem.FieldError::field).containsExactly("datasourceId", "accountId",
                "direction", "state", "requestedBy", "from", "to", "planId", "needsReview");
    }

    /** A principal's name is 1 to 255 characters, counted as characters (JSON Schema's maxLength), not UTF-16 units. */
    @Test
    void requestedByIsCountedInCharacters() {
        List<Problem.FieldError> errors = new ArrayList<>();
        OperationFilter.parse(null, null, null, null, "\uD83D\uDE00".repeat(255), null, null, null, null, errors);
        assertThat(errors).isEmpty();
        OperationFilter.parse(null, null, null, null, "\uD83D\uDE00".repeat(256), null, null, null, null, errors);
        assertThat(errors).extracting(Problem.FieldError::field).containsExactly("requestedBy");
    }

    @Test
    void limitsOutsideOneTo500AreRefused() {
        List<Problem.FieldError> errors = new ArrayList<>();
        assertThat(OperationFilter.limit(null, errors)).isEqualTo(50);
        assertThat(OperationFilter.limit("500", errors)).isEqualTo(500);
        OperationFilter.limit("0", errors);
        OperationFilter.limit("501", errors);
        OperationFilter.limit("ten", errors);
        assertThat(errors).hasSize(3);
    }
}
