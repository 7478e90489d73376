package com.domomigrationproxy.plans;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.jboss.logging.Logger;

import com.domomigrationproxy.ledger.Sql;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;

/**
 * Gauges of plans by state ({@code proxy_plans}) and of the items of running and paused plans by
 * state ({@code proxy_plan_items}). They are read from the database, the one place that knows what
 * every replica did, every PROXY_PLAN_METRICS_INTERVAL; a scrape only reads the last values. And
 * this replica's own hold on every plan's items ({@code proxy_plan_held_back_seconds}).
 */
@ApplicationScoped
@Startup
class PlanMetrics {

    private static final Logger LOG = Logger.getLogger(PlanMetrics.class);

    private final DataSource dataSource;
    private final Map<PlanState, AtomicLong> plans = new EnumMap<>(PlanState.class);
    private final Map<ItemState, AtomicLong> items = new EnumMap<>(ItemState.class);
    /** Resolved at the first scrape, not at start: the executor and what it calls are not start-up work. */
    private final Instance<PlanExecutor> executor;

    @Inject
    PlanMetrics(DataSource dataSource, MeterRegistry registry, Instance<PlanExecutor> executor) {
        this.dataSource = dataSource;
        this.executor = executor;
        Gauge.builder("proxy.plan.held.back", executor, held -> held.get().heldBackSeconds())
                .baseUnit("seconds")
                .description("How long this replica still holds every plan's items back (Domo's 429, an open breaker,"
                        + " a refused token, the audit store); 0 when it sends")
                .register(registry);
        for (PlanState state : PlanState.values()) {
            AtomicLong value = new AtomicLong();
            plans.put(state, value);
            Gauge.builder("proxy.plans", value, AtomicLong::get).tag("state", state.name())
                    .description("Migration plans by state").register(registry);
        }
        for (ItemState state : ItemState.values()) {
            AtomicLong value = new AtomicLong();
            items.put(state, value);
            Gauge.builder("proxy.plan.items", value, AtomicLong::get).tag("state", state.name())
                    .description("Items of running and paused plans by state").register(registry);
        }
    }

    @Scheduled(identity = "plan-metrics", every = "${proxy.plan.metrics-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        try (Connection connection = dataSource.getConnection()) {
            Map<PlanState, Long> planCounts = new EnumMap<>(PlanState.class);
            Sql.list(connection, "SELECT state, count(*) FROM plan GROUP BY state",
                    row -> planCounts.put(PlanState.valueOf(row.getString(1)), row.getLong(2)));
            Map<ItemState, Long> itemCounts = new EnumMap<>(ItemState.class);
            Sql.list(connection, """
                    SELECT i.state, count(*) FROM plan_item i JOIN plan p ON p.plan_id = i.plan_id
                    WHERE p.state IN ('RUNNING', 'PAUSED') GROUP BY i.state""",
                    row -> itemCounts.put(ItemState.valueOf(row.getString(1)), row.getLong(2)));
            plans.forEach((state, value) -> value.set(planCounts.getOrDefault(state, 0L)));
            items.forEach((state, value) -> value.set(itemCounts.getOrDefault(state, 0L)));
        } catch (SQLException | RuntimeException e) {
            LOG.warnf("Plan gauges not refreshed: %s", e.getMessage());
        }
    }
}
