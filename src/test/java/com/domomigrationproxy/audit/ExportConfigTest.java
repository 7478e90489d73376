package com.domomigrationproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.ConfigMappings;


/** No export allowed at once, or a write timeout not above 0, stops the start with its name. */
class ExportConfigTest {

    @Test
    void theDefaultsPass() {
        ExportConfig defaults = config(Map.of());
        assertThat(AuditExports.problems(defaults)).isEmpty();
        assertThat(defaults.atOnce()).isEqualTo(4);
        assertThat(defaults.writeTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void noExportOrNoTimeoutIsRefusedByName() {
        assertThat(AuditExports.problems(config(Map.of("proxy.audit.export.at-once", "0",
                "proxy.audit.export.write-timeout", "0s")))).containsExactly(
                        "PROXY_AUDIT_EXPORT_AT_ONCE must be at least 1, not 0",
                        "PROXY_AUDIT_EXPORT_WRITE_TIMEOUT must be longer than 0, not PT0S");
    }

    private static ExportConfig config(Map<String, String> values) {
        return ConfigMappings.of(ExportConfig.class, values);
    }
}
