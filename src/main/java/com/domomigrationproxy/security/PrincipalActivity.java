package com.domomigrationproxy.security;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Every principal's last successful authentication (time, client address, and the roles and scopes
 * it came with), kept in PostgreSQL for auditors. Authentication only notes the use in memory, on
 * whatever thread it runs (the event loop included), in the principal's own record, updated in
 * place: once a principal is known, a use allocates nothing. A scheduled job writes the newer uses
 * to the database, at most once a minute per principal on each replica (and once more as the replica
 * stops), so that a busy key costs one small write a minute and a request never waits for the database.
 *
 * <p>Plain JDBC rather than the ledger's helper: the ledger depends on this package, not the other
 * way round.
 */
@ApplicationScoped
public class PrincipalActivity {

    /** The most a principal's row is written, per replica. */
    static final Duration WRITE_INTERVAL = Duration.ofMinutes(1);
    private static final Logger LOG = Logger.getLogger(PrincipalActivity.class);
    /** Public for the grants test, which runs it as the application role. */
    public static final String UPSERT = """
            INSERT INTO principal_last_use (auth_method, principal, first_seen_at, last_used_at, last_client_address,
                roles, scopes, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (auth_method, principal) DO UPDATE
               SET last_used_at = EXCLUDED.last_used_at, last_client_address = EXCLUDED.last_client_address,
                   roles = EXCLUDED.roles, scopes = EXCLUDED.scopes, expires_at = EXCLUDED.expires_at
             WHERE principal_last_use.last_used_at < EXCLUDED.last_used_at""";

    /** Who authenticated, as the trail names them: a JWT subject and an API key of one name are two principals. */
    public record PrincipalKey(String authMethod, String principal) {
    }

    /** One principal's last successful use. */
    public record LastUse(PrincipalKey key, Instant firstSeenAt, Instant lastUsedAt, String clientAddress,
            Set<String> roles, Scopes scopes, Instant expiresAt) {
    }

    /**
     * The roles, scopes and (an API key's) expiry a use came with, as one value: a record never mixes
     * two uses' grants.
     */
    record Grant(Set<String> roles, Scopes scopes, Instant expiresAt) {
    }

    /**
     * A principal's uses on this replica: the newest, overwritten by each use, and what of it was
     * written. A use sets the time last, so a reader that reads the time first sees the address and
     * the grant of that use or of a later one (the grant whole, the address maybe of another use).
     */
    private static final class Uses {
        final PrincipalKey key;
        /** Milliseconds, as the uses' times are: a first use never comes after a last. */
        final long firstSeenMillis = System.currentTimeMillis();
        volatile String clientAddress;
        volatile Grant grant;
        volatile long lastUsedMillis;
        /** The newest use written (epoch milliseconds; 0: none yet); the write job alone touches it and the next. */
        volatile long writtenMillis;
        /** When it was written (nanoTime). */
        long writtenAtNanos;

        Uses(PrincipalKey key) {
            this.key = key;
        }

        /** The newest use, or null when it is written already. */
        LastUse unwritten() {
            long used = lastUsedMillis;
            Grant granted = grant;
            return used > writtenMillis ? new LastUse(key, Instant.ofEpochMilli(firstSeenMillis),
                    Instant.ofEpochMilli(Math.max(used, firstSeenMillis)), clientAddress, granted.roles(),
                    granted.scopes(), granted.expiresAt()) : null;
        }
    }

    private final DataSource dataSource;
    /** Every principal used on this replica since it started, by key. */
    private final Map<PrincipalKey, Uses> uses = new ConcurrentHashMap<>();
    private volatile boolean failing;

    @Inject
    PrincipalActivity(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A successful authentication: memory only, never blocks. */
    void used(String authMethod, String principal, String clientAddress, Set<String> roles, Scopes scopes) {
        used(new PrincipalKey(authMethod, principal), clientAddress, new Grant(roles, scopes, null));
    }

    /** The same, for a principal whose key and grant are kept (an API key's): nothing allocated once it is known. */
    void used(PrincipalKey key, String clientAddress, Grant grant) {
        Uses principal = uses.get(key);
        if (principal == null) {
            principal = uses.computeIfAbsent(key, Uses::new);
        }
        principal.clientAddress = clientAddress;
        principal.grant = grant;
        principal.lastUsedMillis = Math.max(principal.lastUsedMillis, System.currentTimeMillis());
    }

    /**
     * Writes each principal's newest use, unless its row was written less than a minute ago (then
     * the use waits for a later round). On a worker thread; a database that is down is tried again
     * on the next round, the uses stay in memory meanwhile.
     */
    @Scheduled(identity = "principal-last-use-write", every = "${proxy.principal-last-use-write-check:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void writeLastUses() {
        write(false);
    }

    /**
     * A replica that stops writes every use it has not written, its minute up or not: the newest use
     * of a key, from a new address perhaps, went with the process (config review). Before the
     * database's pool closes (ShutdownEvent).
     */
    void onShutdown(@Observes ShutdownEvent event) {
        write(true);
    }

    private synchronized void write(boolean all) {
        long now = System.nanoTime();
        Map<Uses, LastUse> due = new HashMap<>();
        for (Uses principal : uses.values()) {
            if (!all && principal.writtenMillis != 0 && now - principal.writtenAtNanos < WRITE_INTERVAL.toNanos()) {
                continue;
            }
            LastUse use = principal.unwritten();
            if (use != null) {
                due.put(principal, use);
            }
        }
        if (due.isEmpty()) {
            return;
        }
        try (Connection connection = dataSource.getConnection();
                PreparedStatement upsert = connection.prepareStatement(UPSERT)) {
            for (LastUse use : due.values()) {
                upsert.setString(1, use.key().authMethod());
                upsert.setString(2, use.key().principal());
                upsert.setObject(3, utc(use.firstSeenAt()));
                upsert.setObject(4, utc(use.lastUsedAt()));
                upsert.setString(5, use.clientAddress());
                upsert.setArray(6, connection.createArrayOf("text", new TreeSet<>(use.roles()).toArray()));
                upsert.setString(7, use.scopes().toJson());
                upsert.setObject(8, use.expiresAt() == null ? null : utc(use.expiresAt()));
                upsert.addBatch();
            }
            upsert.executeBatch();
            due.forEach((principal, use) -> {
                principal.writtenMillis = use.lastUsedAt().toEpochMilli();
                principal.writtenAtNanos = now;
            });
            if (failing) {
                LOG.infof("Principals' last use is written again");
                failing = false;
            }
        } catch (SQLException e) {
            // Nothing is marked written: the same principals are due on the next round, with their newest use.
            if (!failing) {
                LOG.warnf("Cannot write principals' last use (%s); kept in memory and retried", e.getSQLState());
                failing = true;
            }
        }
    }

    /**
     * Every principal seen, as the database has it, with this replica's newer uses not written yet.
     * Throws {@link SQLException} when the database cannot be read.
     */
    public Map<PrincipalKey, LastUse> lastUses() throws SQLException {
        Map<PrincipalKey, LastUse> uses = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement("""
                        SELECT auth_method, principal, first_seen_at, last_used_at, last_client_address, roles, scopes,
                               expires_at
                        FROM principal_last_use""");
                ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                PrincipalKey key = new PrincipalKey(rows.getString(1), rows.getString(2));
                uses.put(key, new LastUse(key, instant(rows, 3), instant(rows, 4), rows.getString(5), roles(rows.getArray(6)),
                        scopes(rows.getString(7)), instant(rows, 8)));
            }
        }
        for (Uses principal : this.uses.values()) {
            LastUse pending = principal.unwritten();
            if (pending == null) {
                continue;
            }
            uses.merge(pending.key(), pending, (stored, newer) -> stored.lastUsedAt().isAfter(newer.lastUsedAt()) ? stored
                    : new LastUse(stored.key(), stored.firstSeenAt(), newer.lastUsedAt(), newer.clientAddress(),
                            newer.roles(), newer.scopes(), newer.expiresAt()));
        }
        return uses;
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rows, int column) throws SQLException {
        OffsetDateTime time = rows.getObject(column, OffsetDateTime.class);
        return time == null ? null : time.toInstant();
    }

    private static Set<String> roles(Array array) throws SQLException {
        return array == null ? Set.of() : Set.copyOf(Arrays.asList((String[]) array.getArray()));
    }

    /** What the service wrote; a row it cannot read back shows as allowed nothing rather than failing the list. */
    private static Scopes scopes(String json) {
        try {
            return Scopes.fromJson(json);
        } catch (IllegalArgumentException e) {
            return new Scopes(List.of(), List.of(), List.of());
        }
    }
}
