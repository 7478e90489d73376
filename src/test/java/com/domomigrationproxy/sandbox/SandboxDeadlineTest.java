package com.domomigrationproxy.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.migration.OperationReconciler;
import com.domomigrationproxy.support.Api;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A sandbox slower than the migration deadline behaves as Domo would: the caller gets 504 and an
 * unknown outcome, the call counts as timed out (not as the 200 nobody read), and reconciliation
 * finds the migration done.
 */
@QuarkusTest
@TestProfile(SandboxDeadlineTest.SlowSandbox.class)
class SandboxDeadlineTest {

    public static class SlowSandbox implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("domo.sandbox.enabled", "true", "domo.sandbox.latency", "5s", "domo.migration-timeout", "1s",
                    "domo.sandbox.candidates-per-account", "300");
        }
    }

    /**
     * One of the sandbox's generated data sources that no other test uses: the tests share one
     * database, where an operation this test left unresolved would keep it locked.
     */
    private static final String DATASOURCE = "sbx-7-0300";

    @Inject
    MeterRegistry metrics;

    @Inject
    OperationReconciler reconciler;

    @Test
    void aMigrationPastItsDeadlineIsUnknownCountedAsTimedOutAndReconciledAsDone() {
        String operationId = Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"7\",\"catalog\":\"estate\",\"schema\":\"account_7\",\"table\":\"table_0300\"}")
                .post("/api/v1/datasources/" + DATASOURCE + "/migrations").then().statusCode(504)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-timeout"))
                .extract().path("operationId");

        // At least: this application may also run the items of plans other tests left in the shared database.
        assertThat(calls("timeout")).isPositive();
        assertThat(calls("200")).isZero();

        assertThat(reconciler.reconcileNow()).isGreaterThanOrEqualTo(1);
        Api.asAuditor().get("/api/v1/audit/operations/" + operationId).then().statusCode(200)
                .body("state", equalTo("UNKNOWN"))
                .body("reconciliation.state", equalTo("COMPLETE"));
    }

    private long calls(String status) {
        Timer timer = metrics.find("domo.calls").tags("operation", "migrate", "status", status).timer();
        return timer == null ? 0 : timer.count();
    }
}
