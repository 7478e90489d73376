package com.domomigrationproxy.console;

import java.util.ArrayList;
import java.util.List;

import com.domomigrationproxy.ledger.Operation;

/** One operation as its page shows it: every field, and its events in the hash chain. */
public record OperationView(Operation operation) {

    /** A chain link with the event it records. */
    public record ChainRow(String event, Operation.Link link) {
    }

    public List<ChainRow> chain() {
        List<ChainRow> rows = new ArrayList<>();
        Operation.Chain chain = operation.chain();
        if (chain != null) {
            add(rows, "INTENT", chain.intent());
            add(rows, "OUTCOME", chain.outcome());
            add(rows, "REVIEW", chain.review());
            add(rows, "RECONCILIATION", chain.reconciliation());
        }
        return rows;
    }

    /** The operations of the same plan, as the history page lists them. */
    public String planHref() {
        return operation.intent().planId() == null ? null
                : ConsoleLinks.HISTORY + new QueryString().with("planId", operation.intent().planId()).text();
    }

    /**
     * The grant the operation ran under, as its canonical scopes JSON ({@code {}} for unrestricted);
     * null for operations recorded before scopes were.
     */
    public String grant() {
        return operation.intent().scopes() == null ? null : operation.intent().scopes().toJson();
    }

    public boolean unrestricted() {
        return "{}".equals(grant());
    }

    public String datasourceHref() {
        return ConsoleLinks.HISTORY + new QueryString().with("datasourceId", operation.datasourceId()).text();
    }

    private static void add(List<ChainRow> rows, String event, Operation.Link link) {
        if (link != null) {
            rows.add(new ChainRow(event, link));
        }
    }
}
