package com.domomigrationproxy.problem;

/**
 * The kinds of problem this service answers with. The {@code type} member is
 * {@code urn:problem-type:domo-migration-proxy:<slug>}; clients switch on it, so slugs never change.
 */
public enum ProblemType {
    INVALID_REQUEST("invalid-request", "The request is invalid"),
    UNAUTHENTICATED("unauthenticated", "Authentication required"),
    CREDENTIALS_EXPIRED("credentials-expired", "The credentials have expired"),
    FORBIDDEN("forbidden", "Not allowed for your role"),
    OUT_OF_SCOPE("out-of-scope", "Outside your scopes"),
    NOT_FOUND("not-found", "Not found"),
    METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed"),
    NOT_ACCEPTABLE("not-acceptable", "No acceptable representation"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", "Unsupported media type"),
    PAYLOAD_TOO_LARGE("payload-too-large", "Request body too large"),
    OPERATION_IN_PROGRESS("operation-in-progress", "Another operation on this datasource is in progress"),
    OPERATION_RESOLVED("operation-resolved", "The operation is not waiting for a resolution"),
    DOMO_REJECTED_REQUEST("domo-rejected-request", "Domo rejected the request"),
    DOMO_REJECTED_CREDENTIALS("domo-rejected-credentials", "Domo rejected the service credentials"),
    DOMO_UNAVAILABLE("domo-unavailable", "Domo did not give a usable answer"),
    DOMO_RESPONSE_TOO_LARGE("domo-response-too-large", "Domo's answer was larger than the service reads"),
    DOMO_RATE_LIMITED("domo-rate-limited", "Domo is rate limiting the service"),
    DOMO_TIMEOUT("domo-timeout", "Domo did not answer in time"),
    DOMO_CIRCUIT_OPEN("domo-circuit-open", "Calls to Domo are paused after repeated failures"),
    RATE_LIMITED("rate-limited", "Too many operations"),
    IDEMPOTENCY_KEY_REUSED("idempotency-key-reused", "The Idempotency-Key was used for a different request"),
    IDEMPOTENT_REQUEST_IN_PROGRESS("idempotent-request-in-progress", "The first request with this Idempotency-Key is still running"),
    DOMO_TOKEN_UNAVAILABLE("domo-token-unavailable", "The service has no usable Domo developer token"),
    AUDIT_UNAVAILABLE("audit-unavailable", "The audit store is unavailable"),
    AUDIT_ROW_ALTERED("audit-row-altered", "An audit row holds what the service never writes"),
    BUSY("busy", "The service is busy: retry later"),
    CHECKPOINTS_OFF("checkpoints-off", "Checkpoints are not signed: no signing key is configured"),
    CHAIN_ALTERED("chain-altered", "The audit chain no longer holds what an earlier checkpoint signed"),
    PLAN_STATE("plan-state", "The plan's state does not allow this"),
    PLAN_NOT_APPROVED("plan-not-approved", "The plan does not have enough unexpired approvals"),
    PLAN_CONTENT_MISMATCH("plan-content-mismatch", "The contentHash is not the plan's"),
    SELF_APPROVAL("self-approval", "A plan cannot be approved by its creator"),
    DUPLICATE_DECISION("duplicate-decision", "This principal has already decided on the plan"),
    PLAN_ITEM_STATE("plan-item-state", "The plan item's state does not allow this"),
    INTERNAL("internal", "Internal error");

    private static final String PREFIX = "urn:problem-type:domo-migration-proxy:";

    private final String slug;
    private final String title;

    ProblemType(String slug, String title) {
        this.slug = slug;
        this.title = title;
    }

    public String uri() {
        return PREFIX + slug;
    }

    public String title() {
        return title;
    }
}
