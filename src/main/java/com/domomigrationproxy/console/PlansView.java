package com.domomigrationproxy.console;

import java.util.List;

import com.domomigrationproxy.plans.PlanPage;
import com.domomigrationproxy.plans.PlanState;
import com.domomigrationproxy.plans.PlanView;

/** A page of plans, newest first, and the state they are filtered by. */
public record PlansView(PlanState state, PlanPage page, boolean paged) {

    public List<PlanView> items() {
        return page.items();
    }

    public List<Option> states() {
        return Option.anyOr(PlanState.class, state == null ? null : state.name());
    }

    public String planHref(PlanView plan) {
        return ConsoleLinks.plan(plan.planId());
    }

    public String firstHref() {
        return ConsoleLinks.PLANS + new QueryString().with("state", state).text();
    }

    public String nextHref() {
        return page.nextCursor() == null ? null
                : ConsoleLinks.PLANS + new QueryString().with("state", state).with("cursor", page.nextCursor()).text();
    }

    /** Items that ran to an end or were skipped, of all items. */
    public String progress(PlanView plan) {
        long open = plan.counts().getOrDefault("WAITING", 0L) + plan.counts().getOrDefault("RUNNING", 0L);
        return (plan.itemCount() - open) + " of " + plan.itemCount();
    }
}
