package com.domomigrationproxy.plans;

import java.util.List;

/**
 * Where the executor's sweeps of unsettled items go on from, a batch at a time in item order: one
 * place for the passes that also look at unknown outcomes, another for the passes that look only
 * at lapsed claims. With one place for both, every short pass of the second kind (each second)
 * sent the first kind (every 30 s) back to the start, and unknown items beyond its first batch were
 * never looked at again.
 */
final class UnsettledSweeps {

    private final int batch;
    private PlanItems.Unsettled withUnknownTo;
    private PlanItems.Unsettled lapsedOnlyTo;

    UnsettledSweeps(int batch) {
        this.batch = batch;
    }

    /** The next batch of this kind of pass: after where its last full batch stopped, else from the first. */
    List<PlanItems.Unsettled> next(PlanItems items, boolean withUnknown) {
        List<PlanItems.Unsettled> read = items.unsettled(withUnknown, withUnknown ? withUnknownTo : lapsedOnlyTo, batch);
        PlanItems.Unsettled goOnFrom = read.size() < batch ? null : read.get(read.size() - 1);
        if (withUnknown) {
            withUnknownTo = goOnFrom;
        } else {
            lapsedOnlyTo = goOnFrom;
        }
        return read;
    }

    /** Whether the last pass of this kind read a full batch, and the next reads on after it. */
    boolean goesOn(boolean withUnknown) {
        return (withUnknown ? withUnknownTo : lapsedOnlyTo) != null;
    }
}
