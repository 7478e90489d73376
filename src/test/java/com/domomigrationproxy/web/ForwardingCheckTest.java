package com.domomigrationproxy.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

import io.smallrye.config.SmallRyeConfigBuilder;

/** X-Forwarded-For believed from any caller would let a caller write any client address into the trail. */
class ForwardingCheckTest {

    @Test
    void forwardingNeedsTrustedProxies() {
        assertThat(ForwardingCheck.problem(config(Map.of()))).as("off by default").isEmpty();
        assertThat(ForwardingCheck.problem(config(Map.of("quarkus.http.proxy.proxy-address-forwarding", "true"))))
                .hasValueSatisfying(problem -> assertThat(problem).contains("QUARKUS_HTTP_PROXY_TRUSTED_PROXIES"));
        assertThat(ForwardingCheck.problem(config(Map.of("quarkus.http.proxy.proxy-address-forwarding", "true",
                "quarkus.http.proxy.trusted-proxies", " ")))).isPresent();
        assertThat(ForwardingCheck.problem(config(Map.of("quarkus.http.proxy.proxy-address-forwarding", "true",
                "quarkus.http.proxy.trusted-proxies", "10.0.0.0/8")))).isEmpty();
    }

    private static Config config(Map<String, String> values) {
        return new SmallRyeConfigBuilder().withDefaultValues(values).build();
    }
}
