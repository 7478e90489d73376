package com.domomigrationproxy.console;

import java.time.temporal.ChronoUnit;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.plans.PlanConfig;
import com.domomigrationproxy.plans.PlanService;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

import io.smallrye.faulttolerance.api.Guard;

/**
 * A plan form sent again while its first submission still runs (a double click during the
 * preflight's Domo reads): the second waits for the first's answer under the same submission key
 * and gets it, the plan made once, where it was a 409 page that named no plan and lost the form.
 * SmallRye Fault Tolerance's retry, polling the key's stored answer until the first has one.
 */
@ApplicationScoped
class RepeatedSubmissions {

    private static final long POLL_MILLIS = 250;
    /** Past the preflight's deadline, the key's wait ends too and the repeat runs as a first request would. */
    private static final long MARGIN_MILLIS = 5_000;

    private final Guard untilTheFirstAnswered;

    @Inject
    RepeatedSubmissions(PlanConfig config) {
        this.untilTheFirstAnswered = Guard.create().withDescription("console-repeated-submission")
                .withRetry()
                .maxRetries(-1)
                .delay(POLL_MILLIS, ChronoUnit.MILLIS)
                .maxDuration(config.preflightTimeout().toMillis() + MARGIN_MILLIS, ChronoUnit.MILLIS)
                .whenException(failure -> failure instanceof ProblemException problem
                        && problem.type() == ProblemType.IDEMPOTENT_REQUEST_IN_PROGRESS)
                .done()
                .build();
    }

    /** The plan the submission made: its own, or, sent again, the first one's once it has answered. */
    PlanService.Created create(Supplier<PlanService.Created> submit) {
        return untilTheFirstAnswered.get(submit, PlanService.Created.class);
    }
}
