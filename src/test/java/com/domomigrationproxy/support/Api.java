package com.domomigrationproxy.support;

import static io.restassured.RestAssured.given;

import java.util.Map;

import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/** Requests as the test principals. */
public final class Api {

    private Api() {
    }

    public static RequestSpecification asReader() {
        return given().header("X-API-Key", TestCredentials.READER_KEY);
    }

    public static RequestSpecification asOperator() {
        return given().header("X-API-Key", TestCredentials.OPERATOR_KEY);
    }

    public static RequestSpecification asAuditor() {
        return given().header("X-API-Key", TestCredentials.AUDITOR_KEY);
    }

    /** A page of the audit API's operations, as the auditor; after {@code cursor} when given. */
    public static JsonPath auditOperations(Map<String, String> query, String cursor) {
        RequestSpecification request = asAuditor().queryParams(query);
        if (cursor != null) {
            request = request.queryParam("cursor", cursor);
        }
        return request.get("/api/v1/audit/operations").then().statusCode(200).extract().jsonPath();
    }

    /** A datasource id no other test uses, so tests never see each other's operations. */
    public static String uniqueDatasourceId() {
        return "ds-" + java.util.UUID.randomUUID();
    }
}
