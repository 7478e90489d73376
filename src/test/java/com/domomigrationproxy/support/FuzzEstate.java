package com.domomigrationproxy.support;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the fuzz tests (ContractFuzzTest, ConsoleFuzzTest) need to exist, so that a request with a
 * hostile value meets the input check and not a 404: a finished migration, and a one-item plan
 * awaiting approval, both made by the operator.
 */
public record FuzzEstate(String operationId, String planId, String itemId) {

    /** Makes them; Domo must answer the migration (DomoWireMock.answersEverything). */
    public static FuzzEstate create(String planName) {
        Map<String, String> table = Map.of("accountId", "1", "catalog", "c", "schema", "s", "table", "t");
        String operationId = Api.asOperator().contentType("application/json").body(table)
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then().statusCode(200)
                .extract().path("operationId");
        Map<String, Object> item = new HashMap<>(table);
        item.put("datasourceId", Api.uniqueDatasourceId());
        String planId = Api.asOperator().contentType("application/json").body(Map.of("name", planName,
                "direction", "V1_TO_V2", "maxConcurrency", 1, "items", List.of(item))).post("/api/v1/plans")
                .then().statusCode(201).extract().path("planId");
        String itemId = String.valueOf(Api.asReader().get("/api/v1/plans/" + planId + "/items").then().statusCode(200)
                .extract().<Object>path("items[0].itemId"));
        return new FuzzEstate(operationId, planId, itemId);
    }

    /** The ids by the names the API's and the console's path variables give them. */
    public Map<String, String> ids() {
        return Map.of("planId", planId, "itemId", itemId, "operationId", operationId);
    }
}
