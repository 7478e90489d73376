package com.domomigrationproxy.plans;

/** One item as uploaded: a migration names its target; a reversal only its datasource (the rest null). */
record PlanItemSpec(String datasourceId, String accountId, String catalog, String schema, String table) {

    static PlanItemSpec reversal(String datasourceId) {
        return new PlanItemSpec(datasourceId, null, null, null, null);
    }
}
