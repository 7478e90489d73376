package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.SocketTimeoutException;

import jakarta.ws.rs.ProcessingException;

import org.junit.jupiter.api.Test;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.impl.NoStackTraceTimeoutException;

/**
 * How a failed Domo exchange is classified decides between 504 (deadline) and 502 (broken). The
 * HTTP client's own read timeout equals the deadline and can fire a moment before ours; the
 * fault-matrix tests cannot pin that race, so the classification is checked here on the exception
 * shapes the client really throws.
 */
class TransportFailureKindTest {

    @Test
    void theClientsReadTimeoutIsTheDeadlinePassing() {
        assertThat(HttpDomoUpstream.kind(new ProcessingException(new NoStackTraceTimeoutException(
                "The timeout period of 2000ms has been exceeded while executing GET /types"))))
                .isEqualTo(DomoTransportException.Kind.DEADLINE);
        assertThat(HttpDomoUpstream.kind(new ProcessingException(new SocketTimeoutException("Read timed out"))))
                .isEqualTo(DomoTransportException.Kind.DEADLINE);
    }

    @Test
    void aConnectionThatCouldNotBeOpenedWasNeverSent() {
        assertThat(HttpDomoUpstream.kind(new ProcessingException(new ConnectException("Connection refused"))))
                .isEqualTo(DomoTransportException.Kind.CONNECT_FAILED);
        assertThat(HttpDomoUpstream.kind(new ProcessingException(new ConnectTimeoutException("connect timed out"))))
                .isEqualTo(DomoTransportException.Kind.CONNECT_FAILED);
        // A firewall's "host unreachable", and a certificate the service does not trust: the
        // request is written only after the connection and the TLS handshake, so Domo never got it.
        assertThat(HttpDomoUpstream.kind(new ProcessingException(new java.net.NoRouteToHostException(
                "No route to host")))).isEqualTo(DomoTransportException.Kind.CONNECT_FAILED);
        assertThat(HttpDomoUpstream.kind(new javax.net.ssl.SSLHandshakeException("PKIX path building failed")))
                .isEqualTo(DomoTransportException.Kind.CONNECT_FAILED);
    }

    @Test
    void anythingElseIsABrokenExchange() {
        assertThat(HttpDomoUpstream.kind(new ProcessingException(new java.io.IOException("Connection reset"))))
                .isEqualTo(DomoTransportException.Kind.BROKEN);
    }
}
