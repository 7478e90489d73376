package com.domomigrationproxy.http;

import io.vertx.ext.web.RoutingContext;

/**
 * An API request the request filter answered itself, before any resource (or Quarkus REST's
 * filters) saw it: a 401 for a body sent without credentials, a 413, a 415, a malformed target.
 * Fired so that the audit trail records refused attempts on its own API whichever layer refused
 * them; observed synchronously on the event loop, before the answer is written.
 */
public record EdgeRefusal(RoutingContext context, int status) {
}
