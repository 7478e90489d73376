package com.domomigrationproxy.ledger;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.domomigrationproxy.problem.SettingProblems;

import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with an audit setting that cannot mean what it says: an origin that is not one
 * line (every checkpoint failed with a 500 once the first was asked for), an outcome retried for
 * less than no time, never, or kept in a backlog of none, a negative allowance of recorded refusals.
 */
@ApplicationScoped
class LedgerStartupCheck {

    void onStart(@Observes StartupEvent event, LedgerConfig config) {
        SettingProblems.refuseStart(problems(config));
    }

    static List<String> problems(LedgerConfig config) {
        SettingProblems problems = new SettingProblems()
                .notNegative("PROXY_AUDIT_OUTCOME_RETRY_FOR", config.outcomeRetryFor())
                .atLeast("PROXY_AUDIT_OUTCOME_BACKLOG_SIZE", config.outcomeBacklogSize(), 1, null)
                .atLeast("PROXY_AUDIT_REFUSED_RECORDED", config.refusedRecorded(), 0, null);
        String retries = config.outcomeRetryInterval().strip();
        if (retries.equalsIgnoreCase("off") || retries.equalsIgnoreCase("disabled")) {
            // Outcomes would wait in memory until the process stops, never logged as lost, and keep
            // their data sources locked, since reconciliation leaves an outcome waiting here alone.
            problems.add("PROXY_AUDIT_OUTCOME_RETRY_INTERVAL cannot be off: outcomes the database could not take"
                    + " would never be written, nor handed to reconciliation");
        }
        String origin = config.origin();
        if (origin.isBlank() || origin.codePoints().anyMatch(Character::isISOControl)) {
            problems.add("PROXY_AUDIT_ORIGIN must be one line of text, the first line of every checkpoint");
        }
        for (String former : config.formerOrigins().orElse(List.of())) {
            if (former.isBlank() || former.codePoints().anyMatch(Character::isISOControl)
                    || !former.strip().equals(former)) {
                problems.add("PROXY_AUDIT_FORMER_ORIGINS must list lines of text, each a former PROXY_AUDIT_ORIGIN, with no"
                        + " space around the commas");
            } else if (former.equals(origin)) {
                problems.add("PROXY_AUDIT_FORMER_ORIGINS names " + former + ", which is PROXY_AUDIT_ORIGIN itself");
            }
        }
        return problems.list();
    }
}
