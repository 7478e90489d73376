package com.domomigrationproxy.audit;

/** An audit-API answer holding several records: the AUDIT_ACCESS event records how many. */
interface AuditAnswer {

    /** The number of records returned. */
    int rows();
}
