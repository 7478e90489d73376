package com.domomigrationproxy.support;

import jakarta.inject.Singleton;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

/**
 * The tests' HTTP server sends through a 64 KiB socket buffer per connection, where Linux lets one
 * grow to 4 MiB on loopback: a client that reads nothing then holds up an export once a few hundred
 * kilobytes are on their way, not five megabytes (AuditExportTurnsTest). A bean of the tests
 * (@QuarkusTest), not of the application.
 */
@Singleton
public class SmallSendBuffers implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        options.setSendBufferSize(64 * 1024);
    }
}
