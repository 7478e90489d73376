package com.domomigrationproxy.support;

import io.quarkus.test.common.QuarkusTestResource;

/**
 * Every @QuarkusTest runs against WireMock as Domo, the test credentials and checkpoint keys, and
 * streams the audit chain to a loopback port where AuditStreamTest starts a real rsyslog; the
 * database is the embedded PostgreSQL (no datasource is configured in tests).
 */
@QuarkusTestResource(DomoWireMock.class)
@QuarkusTestResource(TestCredentials.class)
@QuarkusTestResource(CheckpointKeyFiles.class)
@QuarkusTestResource(SyslogPort.class)
public final class TestEnvironment {

    private TestEnvironment() {
    }
}
