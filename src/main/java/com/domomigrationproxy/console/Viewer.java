package com.domomigrationproxy.console;

import java.util.Set;
import java.util.TreeSet;

import com.domomigrationproxy.security.Roles;

/**
 * The person looking at a page and what their roles let them do, so that a page shows only the
 * actions it may take. The server checks the same roles again on every request (@RolesAllowed).
 */
public record Viewer(String principal, Set<String> roles) {

    public Viewer {
        roles = Set.copyOf(new TreeSet<>(roles));
    }

    /** Integration types, accounts and candidates. */
    public boolean browsesDomo() {
        return roles.contains(Roles.READER) || roles.contains(Roles.OPERATOR);
    }

    /** Migrations, reversals, resolutions. */
    public boolean operates() {
        return roles.contains(Roles.OPERATOR);
    }

    /** The audit trail and its evidence. */
    public boolean audits() {
        return roles.contains(Roles.AUDITOR);
    }

    /** The queue of operations a person must resolve: operators act on it, auditors read it. */
    public boolean seesReviews() {
        return operates() || audits();
    }

    /** Plans, their items, progress and reports: every role of the service reads them. */
    public boolean readsPlans() {
        return browsesDomo() || approves() || audits();
    }

    /** Approving or rejecting plans (never one's own). */
    public boolean approves() {
        return roles.contains(Roles.APPROVER);
    }

    /** The roles, comma-separated, for display. */
    public String roleList() {
        return roles.isEmpty() ? "no role" : String.join(", ", new TreeSet<>(roles));
    }
}
