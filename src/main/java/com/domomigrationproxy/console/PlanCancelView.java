package com.domomigrationproxy.console;

import com.domomigrationproxy.plans.ItemState;
import com.domomigrationproxy.plans.PlanView;

/**
 * What the page that asks before a plan is cancelled shows: cancelling is final, so the plan
 * page's button leads here and only this page's form cancels.
 */
public record PlanCancelView(PlanView plan) {

    public boolean cancellable() {
        return !plan.state().done();
    }

    /** Items not yet sent to Domo: cancelling skips them. */
    public long waiting() {
        return plan.counts().getOrDefault(ItemState.WAITING.name(), 0L);
    }

    /** Items in flight: they finish and record their outcome. */
    public long running() {
        return plan.counts().getOrDefault(ItemState.RUNNING.name(), 0L);
    }

    public String planHref() {
        return ConsoleLinks.plan(plan.planId());
    }

    public String cancelHref() {
        return ConsoleLinks.planAction(plan.planId(), "cancel");
    }
}
