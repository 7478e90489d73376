package com.domomigrationproxy.problem;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What is wrong with the settings, gathered so that a start refused names every variable at once,
 * each with the value it cannot take. Written by hand: validating config mappings would need
 * Hibernate Validator, one more extension in every start, for a dozen comparisons.
 */
public final class SettingProblems {

    private final List<String> problems = new ArrayList<>();

    /** A duration that must be longer than 0 (a deadline, a period). */
    public SettingProblems positive(String variable, Duration value) {
        if (value.isNegative() || value.isZero()) {
            problems.add(variable + " must be longer than 0, not " + value);
        }
        return this;
    }

    /** A duration that may be 0 but not negative (a grace, a delay). */
    public SettingProblems notNegative(String variable, Duration value) {
        if (value.isNegative()) {
            problems.add(variable + " must not be negative, not " + value);
        }
        return this;
    }

    /** A count that must be at least {@code least}; {@code hint} (or null) says what to do instead. */
    public SettingProblems atLeast(String variable, long value, long least, String hint) {
        if (value < least) {
            problems.add(variable + " must be at least " + least + ", not " + value
                    + (hint == null ? "" : " (" + hint + ")"));
        }
        return this;
    }

    /** A count that must lie from {@code least} to {@code most}. */
    public SettingProblems within(String variable, long value, long least, long most) {
        if (value < least || value > most) {
            problems.add(variable + " must be from " + least + " to " + most + ", not " + value);
        }
        return this;
    }

    /** A share of all calls, from 0 to 1 ("NaN" is none). */
    public SettingProblems share(String variable, double value) {
        if (!(value >= 0 && value <= 1)) {
            problems.add(variable + " must be a share from 0 to 1, such as 0.05, not " + value);
        }
        return this;
    }

    /** Any other problem, said whole. */
    public SettingProblems add(String problem) {
        problems.add(problem);
        return this;
    }

    public List<String> list() {
        return List.copyOf(problems);
    }

    /** Refuses the start, naming every problem, when there is one. */
    public static void refuseStart(List<String> problems) {
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
    }
}
