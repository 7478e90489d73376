package com.domomigrationproxy.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points the service's audit stream at a loopback port reserved once per run, where
 * AuditStreamTest starts a real rsyslog; until then the service keeps retrying, as it would with a
 * SIEM that is down.
 */
public class SyslogPort implements QuarkusTestResourceLifecycleManager {

    private static final String PORT = "syslog-port.port";

    @Override
    public Map<String, String> start() {
        if (System.getProperty(PORT) == null) {
            System.setProperty(PORT, Integer.toString(free()));
        }
        return Map.of("proxy.audit.syslog.url", "tcp://127.0.0.1:" + port());
    }

    @Override
    public void stop() {
    }

    public static int port() {
        return Integer.parseInt(System.getProperty(PORT));
    }

    static int free() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
