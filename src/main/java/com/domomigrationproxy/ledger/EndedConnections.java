package com.domomigrationproxy.ledger;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.AgroalPoolInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Empties the pool of the connections PostgreSQL ended (a restart, a failover, sessions ended by
 * an administrator) once the first of them comes back closed. The first use of an ended session
 * fails with 57P01, which Agroal's PostgreSQL exception sorter does not count as fatal (only class
 * 08). Agroal drops that connection when it comes back, but hands out every other idle one used
 * within the last second (the foreground validation interval) unchecked, each to fail one more
 * request with a 503. Quarkus has no setting for the sorter; this interceptor, which Quarkus adds
 * to the pool as a bean, has Agroal validate the idle connections and drop the ended ones.
 */
@ApplicationScoped
public class EndedConnections implements AgroalPoolInterceptor {

    private static final Logger LOG = Logger.getLogger(EndedConnections.class);

    /** Exported as {@code database_sessions_ended_total}. */
    static final String FLUSHES = "database.sessions.ended";

    /**
     * Agroal calls the interceptor before the returned connection is back among the idle ones, and
     * its validation passes over a connection that is not: the flush waits that long.
     */
    private static final Executor AFTER_RETURN = CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS);

    private final Instance<AgroalDataSource> pool;
    private final AtomicBoolean flushing = new AtomicBoolean();
    private final Counter flushes;

    /** Looked up when needed: the pool is being built when its interceptors are. */
    @Inject
    EndedConnections(Instance<AgroalDataSource> pool, MeterRegistry registry) {
        this.pool = pool;
        // Exported from start, at 0, so that an alert on its increase works before the first failover.
        this.flushes = Counter.builder(FLUSHES)
                .description("Times PostgreSQL was found to have ended pooled sessions and the pool dropped them")
                .register(registry);
    }

    @Override
    public void onConnectionReturn(Connection connection) {
        if (endedByTheServer(connection) && flushing.compareAndSet(false, true)) {
            LOG.info("PostgreSQL ended a pooled connection; the idle ones are validated and the ended ones dropped");
            CompletableFuture.runAsync(this::flushInvalid, AFTER_RETURN);
        }
    }

    private void flushInvalid() {
        try {
            pool.get().flush(AgroalDataSource.FlushMode.INVALID);
            flushes.increment();
        } finally {
            flushing.set(false);
        }
    }

    /** The driver closes its connection when the server ends the session; the pool's wrapper stays open. */
    private static boolean endedByTheServer(Connection connection) {
        try {
            return connection.unwrap(Connection.class).isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
