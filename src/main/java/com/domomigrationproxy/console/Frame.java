package com.domomigrationproxy.console;

import java.util.UUID;

/**
 * What the layout of every page needs: its title, the section it belongs to (for the navigation),
 * who is looking (null on pages for people not signed in), the CSRF token its forms carry, and
 * whether a form this browser sent was not acted on because its session had ended (the first page
 * after signing in again says so).
 */
public record Frame(String title, Section section, Viewer viewer, String csrfToken, boolean formUnsent) {

    public Frame(String title, Section section, Viewer viewer, String csrfToken) {
        this(title, section, viewer, csrfToken, false);
    }

    /** The parts of the console, as the navigation lists them. */
    public enum Section {
        HOME, HISTORY, REVIEWS, EVIDENCE, PRINCIPALS, PLANS, DOMO, NONE
    }

    /**
     * A new key for a form that creates something, sent back as its Idempotency-Key: the same form
     * sent twice (a double click, a reload of the answer) creates one thing. New on every call.
     */
    public String submissionKey() {
        return UUID.randomUUID().toString();
    }

    public boolean signedIn() {
        return viewer != null;
    }

    /** Whether this page belongs to that section (the navigation marks it aria-current). */
    public boolean in(String section) {
        return this.section.name().equals(section);
    }
}
