package com.domomigrationproxy.console;

import java.util.List;

import com.domomigrationproxy.ledger.IntegrityReport;
import com.domomigrationproxy.problem.Problem;

import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;

/** The console's templates (src/main/resources/templates/console/), checked against these parameters at build time. */
@CheckedTemplate(basePath = "console")
final class Pages {

    private Pages() {
    }

    /** {@code retryAfter}: the seconds of the answer's Retry-After, said in words (the person sees no header); or null. */
    static native TemplateInstance failure(Frame frame, int status, String heading, String detail,
            List<Problem.FieldError> errors, String retryAfter);

    static native TemplateInstance home(Frame frame);

    static native TemplateInstance signedIn(Frame frame, String next);

    static native TemplateInstance signedOut(Frame frame);

    static native TemplateInstance signOut(Frame frame, boolean reopen);

    static native TemplateInstance history(Frame frame, HistoryView view);

    static native TemplateInstance operation(Frame frame, OperationView view);

    static native TemplateInstance reviews(Frame frame, ReviewsView view);

    static native TemplateInstance evidence(Frame frame, EvidenceView view);

    /** The result of an integrity check alone, for htmx to swap into the evidence page. */
    static native TemplateInstance evidence$integrity(IntegrityReport report);

    static native TemplateInstance principals(Frame frame, PrincipalsView view);

    static native TemplateInstance plans(Frame frame, PlansView view);

    static native TemplateInstance planNew(Frame frame, NewPlanView view);

    static native TemplateInstance plan(Frame frame, PlanPageView view);

    static native TemplateInstance planCancel(Frame frame, PlanCancelView view);

    /** A plan's progress alone, which the plan page's script asks for again as the plan's events arrive. */
    static native TemplateInstance plan$progress(PlanProgressView progress);

    static native TemplateInstance domoTypes(Frame frame, List<DomoPages.DomoType> types, boolean scoped);

    static native TemplateInstance domoAccounts(Frame frame, String type, List<DomoPages.DomoAccount> accounts,
            boolean scoped);

    static native TemplateInstance domoCandidates(Frame frame, String type, String account,
            DomoPages.CandidatesView candidates, boolean scoped);
}
