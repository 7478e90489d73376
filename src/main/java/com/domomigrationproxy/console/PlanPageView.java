package com.domomigrationproxy.console;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.plans.ApprovalRequest;
import com.domomigrationproxy.plans.Decision;
import com.domomigrationproxy.plans.ItemState;
import com.domomigrationproxy.plans.ItemView;
import com.domomigrationproxy.plans.PlanService;
import com.domomigrationproxy.plans.PlanState;
import com.domomigrationproxy.plans.PlanView;
import com.domomigrationproxy.plans.Verdict;
import com.domomigrationproxy.problem.Problem;

/**
 * A plan's page: the plan, a page of its items, its summary by account, and what the person
 * looking may do with it — each action only when their roles and the plan's state allow it, and
 * for a decision they may not take, why. The service checks all of it again.
 */
public record PlanPageView(PlanView plan, Viewer viewer, List<ItemView> items, Verdict verdict, ItemState state,
        int after, boolean more, List<AccountSummary> accounts, Notice notice, String comment, long eventsAfter,
        List<PlanService.Rollback> rollbacks, int toRollBack) {

    /** What became of the last action: done (which), or refused with the service's reason. */
    public record Notice(String done, String refused, List<Problem.FieldError> errors) {

        static Notice done(String action) {
            return new Notice(action == null || action.isEmpty() ? null : action, null, List.of());
        }

        static Notice refused(String detail, List<Problem.FieldError> errors) {
            return new Notice(null, detail, errors);
        }

        /** Why the decision's comment was refused, shown beside it; null when it was not. */
        public String commentError() {
            return errors.stream().filter(error -> "comment".equals(error.field())).map(Problem.FieldError::message)
                    .findFirst().orElse(null);
        }

        /** The sentence for a done action; null for one this page did not send. */
        public String doneText() {
            if (done == null) {
                return null;
            }
            return switch (done) {
                case "created" -> "Uploaded. The preflight ran: read the verdicts below; the plan now awaits approval.";
                case "approved" -> "Your approval is recorded.";
                case "rejected" -> "Your rejection is recorded; the plan will not run.";
                case "start" -> "Started: its READY items run now; the others are skipped.";
                case "pause" -> "Paused: no new item starts; items in flight finish.";
                case "resume" -> "Resumed.";
                case "cancel" -> "Cancelled: items that had not started are skipped.";
                case "preflight" -> "The preflight ran again on the items not yet sent.";
                case "rollback" -> "This is the rollback plan: it reverses the completed items and needs its own"
                        + " approval.";
                case "retried" -> "The item waits for its turn again.";
                default -> null;
            };
        }
    }

    /** Items of one target account, by verdict ("" is a reversal's: no account). */
    public record AccountSummary(String account, Map<Verdict, Long> verdicts) {

        public long items() {
            return verdicts.values().stream().mapToLong(Long::longValue).sum();
        }

        public long count(String verdict) {
            return verdicts.getOrDefault(Verdict.valueOf(verdict), 0L);
        }
    }

    /** As the page shows it first: nothing has changed since. */
    public PlanProgressView progress() {
        return new PlanProgressView(plan, null);
    }

    public boolean reversal() {
        return plan.direction() == Direction.V2_TO_V1;
    }

    public long count(String key) {
        return plan.counts().getOrDefault(key, 0L);
    }

    /** Approvals that count now, of those needed. */
    public long approvalsCounting() {
        // As the service counts them: one per person (PlanService.samePerson), none by the creator.
        List<String> people = new ArrayList<>();
        plan.approvals().stream().filter(approval -> approval.decision() == Decision.APPROVE
                && approval.contentHash().equals(plan.contentHash()) && !approval.expired()
                && !PlanService.samePerson(approval.by(), plan.createdBy()))
                .map(PlanView.ApprovalView::by)
                .filter(by -> people.stream().noneMatch(person -> PlanService.samePerson(person, by)))
                .forEach(people::add);
        return people.size();
    }

    /** The plan still moves, so the page watches its events. */
    public boolean live() {
        return PlanProgressView.moves(plan);
    }

    public String eventsHref() {
        return ConsoleLinks.plan(plan.planId()) + "/events?after=" + eventsAfter;
    }

    public String progressHref() {
        return ConsoleLinks.plan(plan.planId()) + "/progress?shown=" + plan.state();
    }

    public String reportHref() {
        return ConsoleLinks.plan(plan.planId()) + "/report.csv";
    }

    public String action(String action) {
        return ConsoleLinks.planAction(plan.planId(), action);
    }

    public String retryHref(ItemView item) {
        return ConsoleLinks.plan(plan.planId()) + "/items/" + item.itemId() + "/retry";
    }

    /** The page of another plan (an earlier rejection of the same items). */
    public String planHref(UUID planId) {
        return ConsoleLinks.plan(planId);
    }

    public String rollbackOfHref() {
        return plan.rollbackOf() == null ? null : ConsoleLinks.plan(plan.rollbackOf());
    }

    /** Items shown at a time. */
    public int pageSize() {
        return PlanPages.ITEMS_SHOWN;
    }

    public int maxComment() {
        return ApprovalRequest.MAX_COMMENT;
    }

    /** The approver may decide now: the service would take the decision. */
    public boolean mayDecide() {
        return viewer.approves() && plan.state() == PlanState.AWAITING_APPROVAL && whyNoDecision() == null;
    }

    /**
     * Why an approver gets no decision buttons on this plan (null when they do): four eyes (their
     * own plan), their earlier decision, or a plan that no longer awaits approval.
     */
    public String whyNoDecision() {
        if (plan.state() != PlanState.AWAITING_APPROVAL) {
            return null;
        }
        if (PlanService.samePerson(viewer.principal(), plan.createdBy())) {
            return "You created this plan, so you cannot approve or reject it: another approver must decide on it"
                    + " (four eyes).";
        }
        Instant now = Instant.now();
        return plan.approvals().stream().filter(approval -> PlanService.samePerson(approval.by(), viewer.principal())
                && now.isBefore(approval.expiresAt())).findFirst()
                .map(approval -> "You decided on this plan at " + approval.at() + " (" + approval.decision() + ");"
                        + " it needs " + (plan.approvalsRequired() - approvalsCounting())
                        + " more approval(s) by other approvers.")
                .orElse(null);
    }

    public boolean mayPreflight() {
        return viewer.operates() && (plan.state() == PlanState.AWAITING_APPROVAL || plan.state() == PlanState.APPROVED
                || plan.state() == PlanState.PAUSED);
    }

    public boolean mayStart() {
        return viewer.operates() && plan.state() == PlanState.APPROVED;
    }

    public boolean mayPause() {
        return viewer.operates() && plan.state() == PlanState.RUNNING;
    }

    public boolean mayResume() {
        return viewer.operates() && plan.state() == PlanState.PAUSED;
    }

    public boolean mayCancel() {
        return viewer.operates() && !plan.state().done();
    }

    /** Where the plan's rollback plans are; the page links to each (an auditor reads that it was rolled back). */
    public String rollbackHref(PlanService.Rollback rollback) {
        return ConsoleLinks.plan(rollback.planId());
    }

    /** A rollback that may still run, or ran, or sent reversals not yet ended: no other rollback, nor a retry (409). */
    private boolean rolledBack() {
        return rollbacks.stream().anyMatch(PlanService.Rollback::holds);
    }

    /** A cancelled rollback reversed the item's data source, or may have: a retry would migrate it again (409). */
    private boolean reversed(ItemView item) {
        return rollbacks.stream().anyMatch(rollback -> rollback.reversed().contains(item.datasourceId()));
    }

    public boolean mayRollback() {
        // Items the service would reverse: those that changed Domo or may have, and that no other
        // operation changed since; it answers 409 when there are none, a dead end the button led to.
        return rollbackable() && !rollbackWaits() && !rolledBack() && toRollBack > 0;
    }

    /** A plan whose page may offer a rollback: its items to reverse are worth reading. */
    static boolean mayBeRolledBack(PlanView plan) {
        return plan.direction() == Direction.V1_TO_V2
                && (plan.state() == PlanState.FINISHED || plan.state() == PlanState.CANCELLED);
    }

    /** Why a plan that may be rolled back offers no rollback: nothing of it is left to reverse. */
    public boolean nothingToRollBack() {
        return rollbackable() && !rollbackWaits() && !rolledBack() && toRollBack == 0;
    }

    /** Items sent before a cancel still run or have an unknown outcome: no rollback plan yet (409). */
    public boolean rollbackWaits() {
        return rollbackable() && count("RUNNING") + count("UNKNOWN") > 0;
    }

    private boolean rollbackable() {
        return viewer.operates() && mayBeRolledBack(plan);
    }

    public boolean mayRetry(ItemView item) {
        return viewer.operates() && item.state().retryable(item.operationId() != null, item.verdict()) && !rolledBack() && !reversed(item)
                && (plan.state() == PlanState.RUNNING
                || plan.state() == PlanState.PAUSED || plan.state() == PlanState.FINISHED);
    }

    /** Any button for the operator on this plan, or why its rollback waits (the actions section is left out otherwise). */
    public boolean operatorActions() {
        return mayPreflight() || mayStart() || mayPause() || mayResume() || mayCancel() || mayRollback() || rollbackWaits()
                || nothingToRollBack();
    }

    /** The item filters: every verdict and item state, with how many items each has. */
    public List<Filter> verdictFilters() {
        List<Filter> filters = new ArrayList<>();
        filters.add(new Filter("All", count("total"), itemsHref(null, null), verdict == null && state == null));
        for (Verdict each : Verdict.values()) {
            filters.add(new Filter(each.name(), count(each.name()), itemsHref(each, null), each == verdict));
        }
        return filters;
    }

    public List<Filter> stateFilters() {
        List<Filter> filters = new ArrayList<>();
        for (ItemState each : ItemState.values()) {
            if (count(each.name()) > 0 || each == state) {
                filters.add(new Filter(each.name(), count(each.name()), itemsHref(null, each), each == state));
            }
        }
        return filters;
    }

    /** A link that filters the items, with its count, marked when it is the filter shown. */
    public record Filter(String label, long count, String href, boolean current) {
    }

    public String nextHref() {
        return more ? itemsHref(verdict, state) + (verdict == null && state == null ? "?" : "&") + "after="
                + items.get(items.size() - 1).itemId() + "#items" : null;
    }

    public String firstHref() {
        return after > 0 ? itemsHref(verdict, state) + "#items" : null;
    }

    private String itemsHref(Verdict verdictFilter, ItemState stateFilter) {
        return ConsoleLinks.plan(plan.planId()) + new QueryString().with("verdict", verdictFilter)
                .with("state", stateFilter).text();
    }

    public String operationHref(ItemView item) {
        return item.operationId() == null ? null : ConsoleLinks.operation(item.operationId());
    }
}
