package com.domomigrationproxy.web;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.domomigrationproxy.http.RequestIds;

import io.quarkus.vertx.http.ManagementInterface;

/**
 * The management port's answers (health probes, metrics) carry {@code X-Request-Id} too, taken from
 * the request when valid, else generated, as every answer of the public port does: a probe that a
 * gateway or a monitoring system traces is then found by its id like any other request.
 */
@ApplicationScoped
class ManagementRequestIds {

    void register(@Observes ManagementInterface management) {
        management.router().route().order(Integer.MIN_VALUE).handler(context -> {
            // No look at the API keys here: on a port that asks for no credentials, an id answered
            // with another would tell anyone which strings are keys. Nothing here writes it down.
            context.response().putHeader(RequestIds.HEADER,
                    RequestIds.plausible(context.request().getHeader(RequestIds.HEADER)));
            context.next();
        });
    }
}
