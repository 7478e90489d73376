package com.domomigrationproxy.http;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Names a request on the public port by the API operation it asks for: the {@code operationId} of
 * the OpenAPI document ({@code migrateDatasource}…), so that metrics and access lines group by
 * operation rather than by path, whose ids would make every datasource a new series. Requests
 * that are no API operation are {@code openapi}, {@code swagger-ui}, {@code console} (the browser
 * console's pages, forms and assets) or {@code unmatched}.
 *
 * <p>Resolved from the raw method and path before routing, so that requests turned away before
 * they reach a resource (hostile paths, failed authentication) are named too; once per request, on
 * the event loop, so each route's literal prefix is compared before its pattern runs. ApiOperationsTest
 * checks this table against the OpenAPI document, so a new endpoint cannot be missed silently.
 */
public final class ApiOperations {

    public static final String UNMATCHED = "unmatched";

    /** {@code prefix}: the path's literal start, checked before the pattern runs. */
    private record Route(String method, Pattern path, String prefix, String operationId) {
    }

    private static final String ID = "[^/]+";

    private static final List<Route> ROUTES = List.of(
            route("GET", "/api/v1/integration-types", "listIntegrationTypes"),
            route("GET", "/api/v1/integration-types/" + ID + "/accounts", "listAccounts"),
            route("GET", "/api/v1/accounts/" + ID + "/candidates", "listCandidates"),
            route("POST", "/api/v1/datasources/" + ID + "/migrations", "migrateDatasource"),
            route("POST", "/api/v1/datasources/" + ID + "/reversals", "reverseMigration"),
            route("POST", "/api/v1/operations/" + ID + "/reconciliation", "resolveOperation"),
            route("GET", "/api/v1/audit/operations", "listOperations"),
            route("GET", "/api/v1/audit/operations/" + ID, "getOperation"),
            route("GET", "/api/v1/audit/events", "listAuditEvents"),
            route("GET", "/api/v1/audit/integrity", "verifyIntegrity"),
            route("GET", "/api/v1/audit/principals", "listPrincipals"),
            route("GET", "/api/v1/audit/checkpoints", "listCheckpoints"),
            route("POST", "/api/v1/audit/checkpoints", "signCheckpoint"),
            route("GET", "/api/v1/audit/checkpoints/latest", "getLatestCheckpoint"),
            route("GET", "/api/v1/audit/checkpoints/public-key", "getCheckpointPublicKey"),
            route("POST", "/api/v1/plans", "createPlan"),
            route("GET", "/api/v1/plans", "listPlans"),
            route("GET", "/api/v1/plans/" + ID, "getPlan"),
            route("GET", "/api/v1/plans/" + ID + "/items", "listPlanItems"),
            route("GET", "/api/v1/plans/" + ID + "/events", "streamPlanEvents"),
            route("POST", "/api/v1/plans/" + ID + "/preflight", "preflightPlan"),
            route("POST", "/api/v1/plans/" + ID + "/approvals", "decidePlan"),
            route("POST", "/api/v1/plans/" + ID + "/start", "startPlan"),
            route("POST", "/api/v1/plans/" + ID + "/pause", "pausePlan"),
            route("POST", "/api/v1/plans/" + ID + "/resume", "resumePlan"),
            route("POST", "/api/v1/plans/" + ID + "/cancel", "cancelPlan"),
            route("POST", "/api/v1/plans/" + ID + "/rollback", "rollbackPlan"),
            route("POST", "/api/v1/plans/" + ID + "/items/" + ID + "/retry", "retryPlanItem"),
            route("GET", "/q/openapi", "openapi"),
            route("GET", "/q/swagger-ui(/.*)?", "swagger-ui"),
            route("GET", "/console(/.*)?", "console"),
            route("POST", "/console(/.*)?", "console"));

    private ApiOperations() {
    }

    /** The operation name of a request; HEAD counts as the GET it mirrors. */
    public static String resolve(String method, String path) {
        if (path == null) {
            return UNMATCHED;
        }
        String effective = "HEAD".equals(method) ? "GET" : method;
        for (Route route : ROUTES) {
            if (route.method().equals(effective) && path.startsWith(route.prefix())
                    && route.path().matcher(path).matches()) {
                return route.operationId();
            }
        }
        return UNMATCHED;
    }

    /** The operation names of the API's own routes (not /q/…), for the test that holds them against the OpenAPI document. */
    public static List<String> apiOperationIds() {
        return ROUTES.stream().filter(route -> route.path().pattern().startsWith("/api/")).map(Route::operationId)
                .toList();
    }

    /** The methods the API answers on this path (for the Allow header of a 405), in table order. */
    public static List<String> allowed(String path) {
        if (path == null) {
            return List.of();
        }
        List<String> methods = new ArrayList<>(ROUTES.stream().filter(route -> route.path().matcher(path).matches())
                .map(Route::method).distinct().toList());
        if (methods.contains("GET")) {
            methods.add(methods.indexOf("GET") + 1, "HEAD"); // Quarkus REST answers HEAD wherever GET is
        }
        return List.copyOf(methods);
    }

    private static Route route(String method, String path, String operationId) {
        int literal = 0;
        while (literal < path.length() && "[](){}.*+?^$|\\".indexOf(path.charAt(literal)) < 0) {
            literal++;
        }
        return new Route(method, Pattern.compile(path), path.substring(0, literal), operationId);
    }
}
