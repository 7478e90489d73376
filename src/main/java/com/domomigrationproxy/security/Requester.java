package com.domomigrationproxy.security;

/**
 * Who sent a request and from where, as the audit trail records it, and the scopes the caller's
 * credentials grant ({@link Scopes#UNRESTRICTED} when they name none).
 */
public record Requester(String principal, String authMethod, String requestId, String clientAddress, Scopes scopes) {
}
