package com.domomigrationproxy.console;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.audit.AuditAnswer;

import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;

/** Builds the frame of the page being served, from the signed-in identity and the request. */
@ApplicationScoped
public class Frames {

    private final CurrentIdentityAssociation identities;
    private final CurrentVertxRequest request;
    private final ConsoleCsrf csrf;
    private final ConsoleNotices notices;

    @Inject
    Frames(CurrentIdentityAssociation identities, CurrentVertxRequest request, ConsoleCsrf csrf,
            ConsoleNotices notices) {
        this.identities = identities;
        this.request = request;
        this.csrf = csrf;
        this.notices = notices;
    }

    /** The frame of a page for the person signed in; the first such page after a form went unsent says so. */
    public Frame of(String title, Frame.Section section) {
        Viewer viewer = viewer();
        String principal = viewer == null ? null : viewer.principal();
        return new Frame(title, section, viewer, csrf.token(request.getCurrent(), principal),
                viewer != null && notices.formUnsentTaken(principal));
    }

    /**
     * The frame of the page between the provider and the page the person is sent on to: it leaves the
     * notice of an unsent form to that page.
     */
    public Frame passing(String title) {
        Viewer viewer = viewer();
        return new Frame(title, Frame.Section.NONE, viewer,
                csrf.token(request.getCurrent(), viewer == null ? null : viewer.principal()));
    }

    /** How many records of the audit trail this page shows, for its AUDIT_ACCESS event. */
    public void showsRecords(int rows) {
        request.getCurrent().put(AuditAnswer.ROWS_ATTRIBUTE, rows);
    }

    /** The frame of a page shown without asking who is signed in (sign-in failures, sign-in not configured). */
    public Frame anonymous(String title) {
        return new Frame(title, Frame.Section.NONE, null, csrf.token(request.getCurrent(), null));
    }

    /** The person signed in, or null (also when the session could not be verified). */
    public Viewer viewer() {
        SecurityIdentity identity;
        try {
            identity = identities.getIdentity();
        } catch (RuntimeException e) {
            return null;
        }
        if (identity == null || identity.isAnonymous()) {
            return null;
        }
        return new Viewer(identity.getPrincipal().getName(), identity.getRoles());
    }
}
