package com.domomigrationproxy.security;

import java.util.Set;

/** The roles of the contract; JWT {@code groups} and API-key {@code roles} use these names. */
public final class Roles {

    /** Lists integration types, accounts and candidates. */
    public static final String READER = "reader";
    /** Everything a reader may, plus migrate and reverse. */
    public static final String OPERATOR = "operator";
    /** Reads the audit trail; nothing else. */
    public static final String AUDITOR = "auditor";
    /** Approves or rejects migration plans (never their own) and reads plans. */
    public static final String APPROVER = "approver";

    public static final Set<String> ALL = Set.of(READER, OPERATOR, AUDITOR, APPROVER);

    private Roles() {
    }
}
