package com.domomigrationproxy.plans;

/** What the preflight found for an item. */
public enum Verdict {
    /** It can run: listed by Domo and not yet in the target state, nothing else in flight on it. */
    READY,
    /** Already migrated (or, for a reversal, not migrated): it is skipped. */
    ALREADY_DONE,
    /** It cannot run as it stands (see the reason): it is skipped. */
    BLOCKED
}
