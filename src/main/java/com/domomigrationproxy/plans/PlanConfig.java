package com.domomigrationproxy.plans;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Migration plans: approvals and how replicas run them. docs/plans.md explains each. */
@ConfigMapping(prefix = "proxy.plan")
public interface PlanConfig {

    /** Approvals (by approvers other than the creator) a plan needs before it may start. Env PROXY_PLAN_APPROVALS_REQUIRED. */
    @WithDefault("1")
    int approvalsRequired();

    /** How long an approval counts while the plan has not started. Env PROXY_PLAN_APPROVAL_TTL. */
    @WithDefault("72h")
    Duration approvalTtl();

    /** Items of one plan in flight at once when the upload names no maxConcurrency. Env PROXY_PLAN_DEFAULT_MAX_CONCURRENCY. */
    @WithDefault("4")
    int defaultMaxConcurrency();

    /** Items of all plans in flight at once on one replica. Env PROXY_PLAN_REPLICA_CONCURRENCY. */
    @WithDefault("16")
    int replicaConcurrency();

    /**
     * How long a replica owns an item it claimed before it has committed the item's intent; a
     * replica that dies holding a claim loses it after this. Env PROXY_PLAN_LEASE.
     */
    @WithDefault("30s")
    Duration lease();

    /** How long an item waits when another operation holds its datasource at its turn. Env PROXY_PLAN_BUSY_RETRY. */
    @WithDefault("30s")
    Duration busyRetry();

    /**
     * How soon a replica that Domo turned away (401 or 403 to a migration) asks again, with one GET
     * of the types, before it sends another item; doubled for each further refusal in a row, 5 min
     * at most. Whole seconds, from 1 s to 5 min. Env PROXY_PLAN_TURNED_AWAY_RECHECK.
     */
    @WithDefault("5s")
    Duration turnedAwayRecheck();

    /**
     * The longest a replica holds every plan's items back after Domo's 429 to any of its migrations or reversals (its
     * Retry-After, at most this; the plan that got the 429 waits its whole Retry-After). Whole
     * seconds, from 1 s to 5 min. Env PROXY_PLAN_RATE_LIMIT_HOLD_BACK_MAX.
     */
    @WithDefault("5m")
    Duration rateLimitHoldBackMax();

    /**
     * How long a preflight waits for the candidates of the accounts its items name (fetched on a pool
     * every preflight shares); an account not read by then blocks its items, to be preflighted again.
     * An upload's Idempotency-Key counts as abandoned this long plus PROXY_IDEMPOTENCY_ABANDON_MARGIN
     * after it was claimed, so a repeat never preflights and stores a plan while the first upload
     * still does. Env PROXY_PLAN_PREFLIGHT_TIMEOUT.
     */
    @WithDefault("10m")
    Duration preflightTimeout();

    /** Accounts whose candidates a preflight fetches at once. Env PROXY_PLAN_PREFLIGHT_CONCURRENCY. */
    @WithDefault("8")
    int preflightConcurrency();

    /**
     * Accounts one plan's items may name (a reversal's: where their latest migrations went): the
     * preflight reads each one's candidates from Domo, with the service's token, on the pool every
     * upload shares. Env PROXY_PLAN_MAX_ACCOUNTS.
     */
    @WithDefault("1000")
    int maxAccounts();

    /**
     * How long an upload may take to arrive once its turn has come (uploads are handled one at a time
     * on each replica); a slower one loses its connection, so that no caller holds the others up for
     * longer. Env PROXY_PLAN_UPLOAD_TIMEOUT.
     */
    @WithDefault("60s")
    Duration uploadTimeout();

    /**
     * Plan event streams (server-sent events) open at once on one replica; past it, 503 busy at once.
     * Env PROXY_PLAN_EVENT_STREAMS.
     */
    @WithDefault("200")
    int eventStreams();

    /** Plan event streams one principal may hold open on one replica. Env PROXY_PLAN_EVENT_STREAMS_PER_PRINCIPAL. */
    @WithDefault("10")
    int eventStreamsPerPrincipal();

    /**
     * How often each replica looks for plan items to run and settles items whose operation was
     * resolved elsewhere, or {@code off} (the replica then runs no plan item). Env PROXY_PLAN_POLL_INTERVAL.
     */
    @WithDefault("1s")
    String pollInterval();

    /** How often approved plans are checked for expired approvals. Env PROXY_PLAN_EXPIRY_CHECK_INTERVAL. */
    @WithDefault("60s")
    String expiryCheckInterval();

    /** How often the plan gauges (plans and items by state) are read from the database. Env PROXY_PLAN_METRICS_INTERVAL. */
    @WithDefault("15s")
    String metricsInterval();
}
