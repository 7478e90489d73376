package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.LoopbackServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A Domo that takes the connection and never answers the TLS handshake (a stalled load balancer or
 * egress proxy): nothing was sent, so a GET is retried and answered 502, not 504, and a migration
 * is FAILED (Domo never saw it), not UNKNOWN.
 */
@QuarkusTest
@TestProfile(DomoSilentTlsTest.SilentTls.class)
class DomoSilentTlsTest {

    /** Accepts every connection and reads nothing; sockets stay open until the class ends. */
    static final class Silent {
        static final AtomicInteger ACCEPTED = new AtomicInteger();
        static final List<Socket> HELD = new CopyOnWriteArrayList<>();
        static final LoopbackServer SERVER = LoopbackServer.start("silent-domo", socket -> {
            HELD.add(socket);
            ACCEPTED.incrementAndGet();
        });
    }

    public static class SilentTls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("domo.base-url", "https://127.0.0.1:" + Silent.SERVER.port(),
                    "domo.connect-timeout", "300ms");
        }
    }

    @Inject
    DataSource dataSource;

    @AfterAll
    static void close() throws IOException {
        for (Socket socket : Silent.HELD) {
            socket.close();
        }
        Silent.SERVER.close();
    }

    @Test
    void aStalledHandshakeIsNoConnection() {
        int before = Silent.ACCEPTED.get();
        Api.asReader().get("/api/v1/integration-types").then().statusCode(502)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-unavailable"))
                .body("detail", equalTo("Could not connect to Domo"));
        assertThat(Silent.ACCEPTED.get() - before).as("attempts").isGreaterThan(1);

        NeverSent.aMigrationIsAnswered502AndRecordedFailed(dataSource);
    }
}
