package com.domomigrationproxy.security;

/**
 * The HTTP request being served, as far as the audit trail needs it. Implemented by the web edge,
 * which owns request ids; declared here so that nothing below the edge imports it.
 */
public interface CurrentRequest {

    /** The X-Request-Id this request is answered with. */
    String requestId();

    /** The address the request came from, or null. */
    String clientAddress();
}
