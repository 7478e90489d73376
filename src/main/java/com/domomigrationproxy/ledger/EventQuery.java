package com.domomigrationproxy.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Which chain events to read, in sequence order: every criterion optional, seq bounds inclusive. */
public record EventQuery(Set<String> types, String subject, Long fromSeq, Long toSeq) {

    public static final EventQuery ALL = new EventQuery(Set.of(), null, null, null);

    String where(List<Object> parameters) {
        List<String> conditions = new ArrayList<>();
        if (!types.isEmpty()) {
            conditions.add("e.kind = ANY (?)");
            parameters.add(types.toArray(String[]::new));
        }
        if (subject != null) {
            conditions.add("e.subject = ?");
            parameters.add(subject);
        }
        if (fromSeq != null) {
            conditions.add("e.seq >= ?");
            parameters.add(fromSeq);
        }
        if (toSeq != null) {
            conditions.add("e.seq <= ?");
            parameters.add(toSeq);
        }
        return conditions.isEmpty() ? "TRUE" : String.join(" AND ", conditions);
    }
}
