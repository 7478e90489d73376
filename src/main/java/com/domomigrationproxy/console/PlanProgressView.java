package com.domomigrationproxy.console;

import java.util.ArrayList;
import java.util.List;

import com.domomigrationproxy.plans.ItemState;
import com.domomigrationproxy.plans.PlanState;
import com.domomigrationproxy.plans.PlanView;

/**
 * How far a plan is: its state, a bar of the items that ended (ran to an end or were skipped) of
 * all, the count of each item state, the pace and an estimate of the time left. The page renders it
 * first; its script renders it again from the server as the plan's events arrive.
 */
public record PlanProgressView(PlanView plan, String shown) {

    public long total() {
        return plan.itemCount();
    }

    /** Items that neither wait nor run. */
    public long ended() {
        return total() - count(ItemState.WAITING) - count(ItemState.RUNNING);
    }

    public long percent() {
        return total() == 0 ? 0 : ended() * 100 / total();
    }

    public boolean started() {
        return plan.startedAt() != null;
    }

    public boolean live() {
        return moves(plan);
    }

    /**
     * Whether the plan can still move, so that a page watches its events: not done, or done while
     * items sent before a cancel still run (or, refused after it, wait to be skipped, or wait for
     * their operation's reconciliation), for which its event stream stays open too.
     */
    static boolean moves(PlanView plan) {
        return !plan.state().done() || count(plan, ItemState.RUNNING) > 0
                || plan.state() == PlanState.CANCELLED
                        && (count(plan, ItemState.WAITING) > 0 || count(plan, ItemState.UNKNOWN) > 0);
    }

    /** The plan moved to another state than the page shows: its actions there are out of date. */
    public boolean stateChanged() {
        return shown != null && !shown.equals(plan.state().name());
    }

    /** The page watched a cancelled plan's items in flight, and they have ended: its rollback may be offered now. */
    public boolean inFlightEnded() {
        return shown != null && !stateChanged() && plan.state() == PlanState.CANCELLED && !moves(plan);
    }

    public String planHref() {
        return ConsoleLinks.plan(plan.planId());
    }

    /** Each item state with its count. */
    public List<StateCount> states() {
        List<StateCount> states = new ArrayList<>();
        for (ItemState state : ItemState.values()) {
            states.add(new StateCount(state.name(), count(state)));
        }
        return states;
    }

    public record StateCount(String state, long count) {
    }

    /** Items per minute over the last minute, while it runs and once an item ended; null otherwise. */
    public String rate() {
        return plan.progress() == null || plan.progress().itemsPerMinute() <= 0 ? null
                : plan.progress().itemsPerMinute() + " items a minute";
    }

    /** The time left at that pace, e.g. "2 min 5 s"; null while no pace is known. */
    public String timeLeft() {
        if (plan.progress() == null || plan.progress().estimatedSecondsLeft() == null) {
            return null;
        }
        long seconds = plan.progress().estimatedSecondsLeft();
        if (seconds < 60) {
            return seconds + " s";
        }
        long minutes = seconds / 60;
        if (minutes < 60) {
            return minutes + " min " + seconds % 60 + " s";
        }
        return minutes / 60 + " h " + minutes % 60 + " min";
    }

    private long count(ItemState state) {
        return count(plan, state);
    }

    private static long count(PlanView plan, ItemState state) {
        return plan.counts().getOrDefault(state.name(), 0L);
    }
}
