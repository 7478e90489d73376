package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import javax.sql.DataSource;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.OperationRows;

/** What a migration that never reached Domo (no connection to it) leaves: a 502 and a FAILED row. */
final class NeverSent {

    private NeverSent() {
    }

    /** Asks for a migration of a new data source; Domo must be out of reach. */
    static void aMigrationIsAnswered502AndRecordedFailed(DataSource dataSource) {
        String datasource = Api.uniqueDatasourceId();
        Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"NULL\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(502)
                .body("detail", equalTo("Could not connect to Domo"));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("state", "FAILED").containsEntry("upstream_status", null));
    }
}
