package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.OperationRows;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;

/**
 * A write whose thread is interrupted as it ends. The migration deadline interrupts the thread it
 * guards; when the call ends on its own the instant the deadline fires, the guard throws that
 * InterruptedException instead of its TimeoutException (a CI run met it once: 500, and the
 * operation left PENDING). That instant cannot be hit at will, so this Domo interrupts its own
 * thread as it answers, which makes the guard throw the same way: the answer is a problem, never
 * 500, and the outcome is recorded.
 */
@QuarkusTest
@TestProfile(InterruptedDomoCallTest.Interrupting.class)
class InterruptedDomoCallTest {

    public static class Interrupting implements QuarkusTestProfile {
        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(InterruptingDomo.class);
        }
    }

    /** Domo that answers every write COMPLETE, with its thread interrupted when the data source's id says so. */
    @Alternative
    @ApplicationScoped
    static class InterruptingDomo implements DomoUpstream {
        static final String INTERRUPTED = "interrupted-";

        @Override
        public Uni<DomoAnswer> types() {
            return Uni.createFrom().item(answer("[]"));
        }

        @Override
        public Uni<DomoAnswer> accounts(String integrationType) {
            return types();
        }

        @Override
        public Uni<DomoAnswer> candidates(String accountId) {
            return types();
        }

        @Override
        public DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body) {
            return write(datasourceId, "V1_TO_V2");
        }

        @Override
        public DomoAnswer reverse(String datasourceId) {
            return write(datasourceId, "V2_TO_V1");
        }

        private static DomoAnswer write(String datasourceId, String direction) {
            if (datasourceId.startsWith(INTERRUPTED)) {
                Thread.currentThread().interrupt();
            }
            return answer("{\"datasourceId\":\"" + datasourceId + "\",\"direction\":\"" + direction
                    + "\",\"state\":\"COMPLETE\"}");
        }

        private static DomoAnswer answer(String json) {
            return new DomoAnswer(200, null, json.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Inject
    DataSource dataSource;

    @ParameterizedTest
    @ValueSource(strings = { "migrations", "reversals" })
    void anInterruptedWriteIsAnUnknownOutcomeAndTheNextOnesWork(String kind) {
        String interrupted = InterruptingDomo.INTERRUPTED + Api.uniqueDatasourceId();
        send(interrupted, kind).then().statusCode(502)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-unavailable"))
                .body("detail", equalTo("The call to Domo was interrupted and any answer of Domo's was not read:"
                        + " whether Domo carried the request out is not known"))
                .body("operationId", notNullValue());
        assertThat(OperationRows.forDatasource(dataSource, interrupted)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("state", "UNKNOWN"));

        // No interrupt is left behind to fail the next requests' database writes, whichever worker serves them.
        for (int i = 0; i < 20; i++) {
            String next = Api.uniqueDatasourceId();
            send(next, kind).then().statusCode(200).body("state", equalTo("COMPLETE"));
            assertThat(OperationRows.forDatasource(dataSource, next)).singleElement()
                    .satisfies(row -> assertThat(row).containsEntry("state", "COMPLETE"));
        }
    }

    private static io.restassured.response.Response send(String datasourceId, String kind) {
        var request = "migrations".equals(kind) ? Api.asOperator().contentType("application/json")
                .body(Map.of("accountId", "1", "catalog", "c", "schema", "s", "table", "t")) : Api.asOperator();
        return request.when().post("/api/v1/datasources/" + datasourceId + "/" + kind);
    }
}
