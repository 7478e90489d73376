package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.IntegrityReport;
import com.domomigrationproxy.ledger.Ledger;

import io.quarkus.test.junit.QuarkusTest;

/**
 * A trail whose PROXY_AUDIT_ORIGIN was changed keeps the checkpoints it signed under the names it had
 * before, once PROXY_AUDIT_FORMER_ORIGINS lists them; another trail's still fail. Before, a rename
 * failed every earlier checkpoint for good. The two former names are the tests' own
 * (PROXY_AUDIT_FORMER_ORIGINS in application.properties' %test profile), so that this class needs
 * no profile of its own, which would cost a build and a restart.
 */
@QuarkusTest
class FormerOriginsTest {

    @Inject
    Ledger ledger;

    @Test
    void checkpointsSignedUnderAFormerOriginStillHold() throws Exception {
        long former = AuditIntegrityTest.checkpointSignedFor("proxy-before-the-rename");
        try {
            assertThat(ledger.verify().valid()).isTrue();
            long other = AuditIntegrityTest.checkpointSignedFor("another-trail");
            try {
                IntegrityReport report = ledger.verify();
                assertThat(report.checkpointsValid()).isFalse();
                assertThat(report.firstInvalidCheckpoint().reason()).contains("another-trail",
                        "nor a former one in PROXY_AUDIT_FORMER_ORIGINS");
            } finally {
                AuditIntegrityTest.tamper("DELETE FROM audit_checkpoint WHERE id = " + other);
            }
        } finally {
            AuditIntegrityTest.tamper("DELETE FROM audit_checkpoint WHERE id = " + former);
        }
        assertThat(ledger.verify().valid()).isTrue();
    }
}
