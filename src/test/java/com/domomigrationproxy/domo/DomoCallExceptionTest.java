package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/** A Domo failure about its recorded operation still tells whether Domo may have received the request. */
class DomoCallExceptionTest {

    @Test
    void namingTheOperationKeepsWhatDomoMayHaveReceived() {
        UUID operationId = UUID.randomUUID();
        DomoCallException refused = new DomoCallException(502, ProblemType.DOMO_UNAVAILABLE, "Could not connect to Domo",
                null, false, null, null, Map.of());

        ProblemException about = refused.withOperationId(operationId);

        assertThat(about).isInstanceOfSatisfying(DomoCallException.class, call -> {
            assertThat(call.mayHaveReachedDomo()).isFalse();
            assertThat(call.upstreamStatus()).isNull();
        });
        assertThat(about.extensions().operationId()).isEqualTo(operationId);
        assertThat(about.status()).isEqualTo(502);
        assertThat(about.type()).isEqualTo(ProblemType.DOMO_UNAVAILABLE);
        assertThat(about.getMessage()).isEqualTo("Could not connect to Domo");
    }
}
