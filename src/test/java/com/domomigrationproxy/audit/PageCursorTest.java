package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.problem.Problem;

class PageCursorTest {

    private static final OperationQuery BY_PLAN = OperationQuery.ofPlan(UUID.randomUUID());

    @Test
    void aCursorDecodesToWhereItWasIssuedAndOnlyForItsFilters() {
        Instant at = Instant.parse("2026-11-29T10:15:30.123456Z");
        UUID id = UUID.randomUUID();
        String cursor = PageCursor.after(at, id, BY_PLAN);
        List<Problem.FieldError> errors = new ArrayList<>();
        assertThat(PageCursor.position(cursor, BY_PLAN, errors)).isEqualTo(new OperationQuery.Position(at, id));
        assertThat(errors).isEmpty();

        assertThat(PageCursor.position(cursor, OperationQuery.ALL, errors)).isNull();
        assertThat(errors).extracting(Problem.FieldError::field).containsExactly("cursor");
    }

    @Test
    void eventCursorsCarryTheLastSeq() {
        List<Problem.FieldError> errors = new ArrayList<>();
        assertThat(PageCursor.seq(PageCursor.after(42L, "events"), "events", errors)).isEqualTo(42L);
        assertThat(PageCursor.seq("garbage!", "events", errors)).isZero();
        assertThat(PageCursor.seq(PageCursor.after(Instant.now(), UUID.randomUUID(), "events"), "events", errors))
                .isZero();
        assertThat(errors).hasSize(2);
    }
}
