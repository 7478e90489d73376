package com.domomigrationproxy.support;

import static io.restassured.RestAssured.given;

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

    /** A datasource id no other test uses, so tests never see each other's operations. */
    public static String uniqueDatasourceId() {
        return "ds-" + java.util.UUID.randomUUID();
    }
}
