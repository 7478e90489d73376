package com.domomigrationproxy.plans;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** One approver's decision on a plan, bound to the content hash the approver saw. Never changes. */
@Entity
@Table(name = "plan_approval")
class PlanApproval extends PanacheEntityBase {

    @Id
    @Column(name = "approval_id")
    public UUID approvalId;

    @Column(name = "plan_id", nullable = false, updatable = false)
    public UUID planId;

    @Column(name = "decided_by", nullable = false, updatable = false)
    public String decidedBy;

    @Column(name = "auth_method", nullable = false, updatable = false)
    public String authMethod;

    @Column(name = "request_id", nullable = false, updatable = false)
    public String requestId;

    @Enumerated(EnumType.STRING)
    @Column(name = "decision", nullable = false, updatable = false)
    public Decision decision;

    @Column(name = "content_hash", nullable = false, updatable = false)
    public String contentHash;

    @Column(name = "comment", updatable = false)
    public String comment;

    @Column(name = "decided_at", nullable = false, updatable = false)
    public Instant decidedAt;

    @Column(name = "expires_at", nullable = false, updatable = false)
    public Instant expiresAt;

    static List<PlanApproval> of(UUID planId) {
        return list("planId = ?1 order by decidedAt", planId);
    }

    /** An approval of exactly this content that has not expired at {@code now}. */
    boolean counts(String planContentHash, Instant now) {
        return decision == Decision.APPROVE && contentHash.equals(planContentHash) && now.isBefore(expiresAt);
    }
}
