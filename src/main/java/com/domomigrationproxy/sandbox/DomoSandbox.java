package com.domomigrationproxy.sandbox;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.domo.DomoAnswer;
import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.domo.DomoMigrationRequest;
import com.domomigrationproxy.domo.DomoUpstream;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.arc.lookup.LookupIfProperty;
import io.smallrye.mutiny.Uni;

/**
 * An in-process, stateful stand-in for Domo's five migration endpoints, so that a newcomer or a
 * client team can run the whole flow without a Domo instance. It answers in Domo's shapes,
 * including Domo's error bodies, and goes through the same {@code DomoClient} translation as real
 * Domo does. The fixtures are listed in the README; {@code domo.sandbox.*} adds an estate of
 * generated candidates per account, a latency, and a share of failures and 429s (docs/plans.md).
 */
@ApplicationScoped
@LookupIfProperty(name = "domo.sandbox.enabled", stringValue = "true")
public class DomoSandbox implements DomoUpstream {

    private final ObjectMapper json;
    private final DomoConfig.Sandbox config;
    private final Map<String, List<Account>> accountsByType = new LinkedHashMap<>();
    private final Map<String, Datasource> datasources = new LinkedHashMap<>();
    /** Migrations and reversals asked per datasource, which decides the simulated failures. */
    private final Map<String, Integer> attempts = new HashMap<>();

    @Inject
    DomoSandbox(ObjectMapper json, DomoConfig config) {
        this(json, config.sandbox());
    }

    DomoSandbox(ObjectMapper json, DomoConfig.Sandbox config) {
        this.json = json;
        this.config = config;
        accountsByType.put("mysql-federated", List.of(new Account("2", "mysql-federated", "mysql v2 agent")));
        accountsByType.put("snowflake-federated",
                List.of(new Account("7", "snowflake-federated", "snowflake v2 warehouse")));
        add(new Datasource("495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01", "MySQL Table 1", "2", "sales", "NULL", "orders"));
        add(new Datasource("F495e28ec-77aa-4d6e-8f10-2b3c4d5e6f70", "MySQL Table 2", "2", "sales", "NULL", "customers"));
        add(new Datasource("1", "Legacy Orders", "2", "legacy", "NULL", "orders_2019"));
        datasources.get("1").migratedAt = Instant.parse("2025-06-30T12:00:00Z");
        add(new Datasource("sf-revenue-01", "Snowflake Revenue", "7", "ANALYTICS", "PUBLIC", "REVENUE"));
        int estate = config.candidatesPerAccount(); // 0 to 9999: DomoStartupCheck
        for (List<Account> accounts : accountsByType.values()) {
            for (Account account : accounts) {
                for (int n = 1; n <= estate; n++) {
                    add(estateDatasource(account.id, n));
                }
            }
        }
    }

    /** The n-th generated candidate of an account: its id, name and location follow from account and n. */
    static Datasource estateDatasource(String accountId, int n) {
        String number = String.format("%04d", n);
        return new Datasource("sbx-" + accountId + "-" + number, "Sandbox table " + accountId + "-" + number,
                accountId, "estate", "account_" + accountId, "table_" + number);
    }

    private void add(Datasource datasource) {
        datasources.put(datasource.id, datasource);
    }

    @Override
    public Uni<DomoAnswer> types() {
        return Uni.createFrom().item(this::typesNow);
    }

    @Override
    public Uni<DomoAnswer> accounts(String integrationType) {
        return Uni.createFrom().item(() -> accountsNow(integrationType));
    }

    @Override
    public Uni<DomoAnswer> candidates(String accountId) {
        return Uni.createFrom().item(() -> candidatesNow(accountId));
    }

    private synchronized DomoAnswer typesNow() {
        return ok(accountsByType.keySet());
    }

    private synchronized DomoAnswer accountsNow(String integrationType) {
        List<Account> accounts = accountsByType.get(integrationType);
        return accounts == null ? notFound("Unknown integration type " + integrationType) : ok(accounts);
    }

    private synchronized DomoAnswer candidatesNow(String accountId) {
        if (!accountExists(accountId)) {
            return notFound("Unknown account " + accountId);
        }
        return ok(datasources.values().stream()
                .filter(datasource -> datasource.accountId.equals(accountId))
                .map(Datasource::candidate)
                .toList());
    }

    @Override
    public DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body) {
        return cutOffIfLate(takeTime(), migrateNow(datasourceId, accountId, body));
    }

    private synchronized DomoAnswer migrateNow(String datasourceId, String accountId, DomoMigrationRequest body) {
        Datasource datasource = datasources.get(datasourceId);
        if (datasource == null) {
            return notFound("Unknown data source " + datasourceId);
        }
        if (!accountExists(accountId)) {
            return notFound("Unknown account " + accountId);
        }
        Instant start = Instant.now();
        if (datasource.migratedAt != null) {
            return ok(result(datasource, "V1_TO_V2", start, "ABORTED", "Data source is already migrated"));
        }
        if (!datasource.accountId.equals(accountId)) {
            return ok(result(datasource, "V1_TO_V2", start, "ABORTED",
                    "Account " + accountId + " cannot serve this data source"));
        }
        if (!datasource.catalog.equals(body.catalog()) || !datasource.schema.equals(body.schema())
                || !datasource.table.equals(body.table())) {
            return ok(result(datasource, "V1_TO_V2", start, "ABORTED", "Table " + body.catalog() + "."
                    + body.schema() + "." + body.table() + " not found for this data source"));
        }
        DomoAnswer simulated = simulatedTrouble(datasource, "V1_TO_V2", start);
        if (simulated != null) {
            return simulated;
        }
        datasource.migratedAt = Instant.now();
        return ok(result(datasource, "V1_TO_V2", start, "COMPLETE", null));
    }

    @Override
    public DomoAnswer reverse(String datasourceId) {
        return cutOffIfLate(takeTime(), reverseNow(datasourceId));
    }

    private synchronized DomoAnswer reverseNow(String datasourceId) {
        Datasource datasource = datasources.get(datasourceId);
        if (datasource == null) {
            return notFound("Unknown data source " + datasourceId);
        }
        Instant start = Instant.now();
        if (datasource.migratedAt == null) {
            return ok(result(datasource, "V2_TO_V1", start, "ABORTED", "Data source is not migrated"));
        }
        DomoAnswer simulated = simulatedTrouble(datasource, "V2_TO_V1", start);
        if (simulated != null) {
            return simulated;
        }
        datasource.migratedAt = null;
        return ok(result(datasource, "V2_TO_V1", start, "COMPLETE", null));
    }

    /**
     * The configured latency, outside the lock: calls overlap as they would at Domo. True when the
     * caller's deadline interrupted it.
     */
    private boolean takeTime() {
        long millis = config.latency().toMillis();
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
        return false;
    }

    /**
     * A call past its deadline is done anyway, as Domo would go on with a migration whose caller
     * stopped waiting (reconciliation finds it), but its answer is lost, as the HTTP client's would be.
     */
    private static DomoAnswer cutOffIfLate(boolean late, DomoAnswer answer) {
        if (late) {
            throw DomoUpstream.cutOffAtDeadline();
        }
        return answer;
    }

    /**
     * A 429 or an INCOMPLETE result for the configured shares of calls, chosen by the datasource
     * and its attempt number (so a run repeats exactly, and a later attempt may succeed); null otherwise.
     */
    private DomoAnswer simulatedTrouble(Datasource datasource, String direction, Instant start) {
        int attempt = attempts.merge(datasource.id, 1, Integer::sum);
        if (drawn(datasource.id + "#" + attempt + "#429", config.rateLimitRate())) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("status", 429);
            error.put("statusReason", "Too Many Requests");
            error.put("message", "Sandbox: simulated rate limit");
            error.put("toe", toe());
            return new DomoAnswer(429, "1", write(error));
        }
        if (drawn(datasource.id + "#" + attempt, config.failureRate())) {
            return ok(result(datasource, direction, start, "INCOMPLETE", "Sandbox: simulated failure; try again"));
        }
        return null;
    }

    /**
     * True for about {@code share} of all keys, always the same for one key. The string hash is
     * mixed (MurmurHash3's finaliser) because keys differing in their last character would
     * otherwise land next to each other.
     */
    static boolean drawn(String key, double share) {
        int hash = key.hashCode();
        hash ^= hash >>> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >>> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >>> 16;
        return share > 0 && Math.floorMod(hash, 10_000) < share * 10_000;
    }

    private boolean accountExists(String accountId) {
        return accountsByType.values().stream().flatMap(List::stream).anyMatch(account -> account.id.equals(accountId));
    }

    private static Map<String, Object> result(Datasource datasource, String direction, Instant start, String state,
            String errorMessage) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("toe", toe());
        result.put("datasourceId", datasource.id);
        result.put("direction", direction);
        result.put("startTime", start.toString());
        result.put("state", state);
        result.put("errorMessage", errorMessage);
        result.put("endTime", Instant.now().toString());
        return result;
    }

    private DomoAnswer ok(Object body) {
        return DomoAnswer.ok(write(body));
    }

    private DomoAnswer notFound(String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("status", 404);
        error.put("statusReason", "Not Found");
        error.put("message", message);
        error.put("toe", toe());
        return new DomoAnswer(404, null, write(error));
    }

    private byte[] write(Object body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Sandbox fixture is not serialisable", e);
        }
    }

    private static String toe() {
        return "SANDBOX-" + UUID.randomUUID().toString().substring(0, 13).toUpperCase();
    }

    private record Account(String id, String type, String name) {
    }

    static final class Datasource {
        final String id;
        final String name;
        final String accountId;
        final String catalog;
        final String schema;
        final String table;
        Instant migratedAt;

        Datasource(String id, String name, String accountId, String catalog, String schema, String table) {
            this.id = id;
            this.name = name;
            this.accountId = accountId;
            this.catalog = catalog;
            this.schema = schema;
            this.table = table;
        }

        Map<String, Object> candidate() {
            Map<String, Object> candidate = new LinkedHashMap<>();
            candidate.put("id", id);
            candidate.put("name", name);
            candidate.put("migrated", migratedAt != null);
            candidate.put("migrationDate", migratedAt == null ? null : migratedAt.toString());
            return candidate;
        }
    }
}
