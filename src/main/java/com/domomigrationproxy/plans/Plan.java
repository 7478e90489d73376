package com.domomigrationproxy.plans;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Basic;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import com.domomigrationproxy.ledger.Direction;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/**
 * A plan's row: what was uploaded (never changes) and where the plan stands (changes only under
 * {@link PlanStore#lock}). Its items are plain SQL ({@link PlanItems}): they are written and
 * claimed in sets of thousands, which a persistence context would only hold in memory.
 */
@Entity
@Table(name = "plan")
class Plan extends PanacheEntityBase {

    @Id
    @Column(name = "plan_id")
    public UUID planId;

    @Column(name = "name", nullable = false, updatable = false)
    public String name;

    @Enumerated(EnumType.STRING)
    @Column(name = "direction", nullable = false, updatable = false)
    public Direction direction;

    @Enumerated(EnumType.STRING)
    @Column(name = "state", nullable = false)
    public PlanState state;

    @Column(name = "max_concurrency", nullable = false, updatable = false)
    public int maxConcurrency;

    @Column(name = "content_hash", nullable = false, updatable = false)
    public String contentHash;

    @Column(name = "item_count", nullable = false, updatable = false)
    public int itemCount;

    /** The items alone, in any order ({@link PlanContent#itemsHash}); null for plans created before V17. */
    @Column(name = "items_hash", updatable = false)
    public String itemsHash;

    @Column(name = "approvals_required", nullable = false, updatable = false)
    public int approvalsRequired;

    @Column(name = "created_by", nullable = false, updatable = false)
    public String createdBy;

    @Column(name = "created_auth_method", nullable = false, updatable = false)
    public String createdAuthMethod;

    @Column(name = "created_request_id", nullable = false, updatable = false)
    public String createdRequestId;

    @Column(name = "created_at", nullable = false, updatable = false)
    public Instant createdAt;

    /**
     * The creator's scopes at creation, canonical JSON; the plan runs with them (PlanItems reads them
     * in SQL). Lazy, so that a list of 500 plans does not load 500 copies of a grant that has no size
     * limit (64 KiB for 1,700 data sources) only to leave them unread.
     */
    @Basic(fetch = FetchType.LAZY)
    @Column(name = "creator_scopes", updatable = false)
    public String creatorScopes;

    @Column(name = "rollback_of", updatable = false)
    public UUID rollbackOf;

    @Column(name = "preflight_at", nullable = false)
    public Instant preflightAt;

    @Column(name = "started_by")
    public String startedBy;

    @Column(name = "started_auth_method")
    public String startedAuthMethod;

    @Column(name = "started_at")
    public Instant startedAt;

    @Column(name = "finished_at")
    public Instant finishedAt;

    @Column(name = "not_before")
    public Instant notBefore;

    @Column(name = "throttle_reason")
    public String throttleReason;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
}
