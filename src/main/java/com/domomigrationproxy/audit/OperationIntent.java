package com.domomigrationproxy.audit;

/** What was asked, by whom: everything the PENDING row records before Domo is called. */
public record OperationIntent(Direction direction, String datasourceId, String accountId, String catalog,
        String schema, String table, String requestedBy, String authMethod, String requestId, String clientAddress) {

    public static OperationIntent migration(String datasourceId, String accountId, String catalog, String schema,
            String table, Requester requester) {
        return new OperationIntent(Direction.V1_TO_V2, datasourceId, accountId, catalog, schema, table,
                requester.principal(), requester.authMethod(), requester.requestId(), requester.clientAddress());
    }

    public static OperationIntent reversal(String datasourceId, Requester requester) {
        return new OperationIntent(Direction.V2_TO_V1, datasourceId, null, null, null, null, requester.principal(),
                requester.authMethod(), requester.requestId(), requester.clientAddress());
    }
}
