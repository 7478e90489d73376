package com.domomigrationproxy.console;

/**
 * What the layout of every page needs: its title, the section it belongs to (for the navigation),
 * who is looking (null on pages for people not signed in), and the CSRF token its forms carry.
 */
public record Frame(String title, Section section, Viewer viewer, String csrfToken) {

    /** The parts of the console, as the navigation lists them. */
    public enum Section {
        HOME, HISTORY, REVIEWS, EVIDENCE, PRINCIPALS, PLANS, DOMO, NONE
    }

    public boolean signedIn() {
        return viewer != null;
    }

    /** Whether this page belongs to that section (the navigation marks it aria-current). */
    public boolean in(String section) {
        return this.section.name().equals(section);
    }
}
