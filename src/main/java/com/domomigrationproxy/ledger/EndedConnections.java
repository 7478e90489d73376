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

    /** How long a flush that dropped nothing counts as under way. */
    private static final Executor FLUSH_DONE = CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS);

    private final Instance<AgroalDataSource> pool;
    /** A flush waits out its delay; a connection that comes back ended meanwhile needs none of its own. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** A flush handed to Agroal that has neither dropped a connection nor run for a second. */
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
        if (endedByTheServer(connection) && scheduled.compareAndSet(false, true)) {
            LOG.info("PostgreSQL ended a pooled connection; the idle ones are validated and the ended ones dropped");
            CompletableFuture.runAsync(this::flushInvalid, AFTER_RETURN);
        }
    }

    /**
     * Agroal validates only the connections not in use: one in use now that comes back ended later
     * (a background job's) asks for a flush of its own, so the flag is cleared before this one runs.
     */
    private void flushInvalid() {
        flushing.set(true);
        scheduled.set(false);
        try {
            pool.get().flush(AgroalDataSource.FlushMode.INVALID);
        } catch (RuntimeException e) {
            flushing.set(false);
            throw e;
        }
        // A flush that finds nothing to drop (what came back ended was taken and dropped meanwhile) is
        // done all the same; Agroal validates a pool in milliseconds.
        CompletableFuture.runAsync(this::flushed, FLUSH_DONE);
    }

    private void flushed() {
        if (flushing.compareAndSet(true, false)) {
            flushes.increment();
        }
    }

    /**
     * Agroal flushes on its one housekeeping thread, after {@code flush} returned, and drops the
     * invalid connections once it has validated them all: the first drop after a flush was asked for
     * (at least the connection that came back ended) marks the pool clean, and only then is it
     * counted. Operators and tests read the counter as "the ended connections are gone".
     */
    @Override
    public void onConnectionDestroy(Connection connection) {
        flushed();
    }

    /** No flush waiting or under way. */
    boolean settled() {
        return !scheduled.get() && !flushing.get();
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
