package com.domomigrationproxy.audit;

/** An audit-API answer holding several records: the AUDIT_ACCESS event records how many. */
public interface AuditAnswer {

    /**
     * The same count for an answer rendered before it is recorded (the console's HTML pages): the
     * number of records, as an Integer attribute of the request's RoutingContext.
     */
    String ROWS_ATTRIBUTE = AuditAnswer.class.getName() + ".rows";

    /** The number of records returned. */
    int rows();
}
