package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.OperationRows;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Connection refused: GETs retried and then 502; a migration is FAILED (Domo never saw it), not UNKNOWN. */
@QuarkusTest
@TestProfile(DomoUnreachableTest.NothingListening.class)
class DomoUnreachableTest {

    public static class NothingListening implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("domo.base-url", "http://127.0.0.1:9");
        }
    }

    @Inject
    DataSource dataSource;

    @Test
    void refusedConnections() {
        Api.asReader().get("/api/v1/integration-types").then().statusCode(502)
                .body("detail", equalTo("Could not connect to Domo"));
        long started = System.nanoTime();
        Api.asReader().get("/api/v1/integration-types").then().statusCode(502);
        // Three attempts with backoff, bounded by the 2 s read deadline (plus room for a loaded machine).
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(5_000);

        String datasource = Api.uniqueDatasourceId();
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(502);
        assertThat(OperationRows.forDatasource(dataSource, datasource)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("state", "FAILED").containsEntry("upstream_status", null));
    }
}
