package com.domomigrationproxy.security;

/** Who sent a request and from where, as the audit trail records it. */
public record Requester(String principal, String authMethod, String requestId, String clientAddress) {
}
