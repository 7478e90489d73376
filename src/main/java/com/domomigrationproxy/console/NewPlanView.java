package com.domomigrationproxy.console;

import java.util.List;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.problem.Problem;

/** The form that uploads a plan as CSV: what was sent and, when the service refused it, why. */
public record NewPlanView(String name, String direction, String maxConcurrency, String detail,
        List<Problem.FieldError> errors) {

    static NewPlanView empty() {
        return new NewPlanView("", Direction.V1_TO_V2.name(), "4", null, List.of());
    }

    NewPlanView refused(String why, List<Problem.FieldError> problems) {
        return new NewPlanView(name, direction, maxConcurrency, why, problems);
    }

    public List<Option> directions() {
        return List.of(new Option(Direction.V1_TO_V2.name(), "V1_TO_V2: migrations",
                !Direction.V2_TO_V1.name().equals(direction)),
                new Option(Direction.V2_TO_V1.name(), "V2_TO_V1: reversals", Direction.V2_TO_V1.name().equals(direction)));
    }

    /** The error of a settings field (name, direction, maxConcurrency, file), or null. */
    public String error(String field) {
        return errors.stream().filter(error -> error.line() == null && error.field().equals(field))
                .map(Problem.FieldError::message).findFirst().orElse(null);
    }

    /** Errors about the file's content: its lines and items. */
    public List<Problem.FieldError> fileErrors() {
        return errors.stream().filter(error -> error.line() != null || !List.of("name", "direction", "maxConcurrency",
                "file").contains(error.field())).toList();
    }
}
