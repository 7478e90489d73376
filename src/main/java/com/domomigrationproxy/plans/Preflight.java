package com.domomigrationproxy.plans;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.domo.DomoCallException;
import com.domomigrationproxy.domo.DomoClient;
import com.domomigrationproxy.domo.DomoWait;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.DatasourceIds;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The dry run of a plan: only Domo's GETs, each account's candidates fetched once (a few accounts
 * at a time) however many items name it. For each item: is another operation on its datasource in
 * flight, does its account exist, is the datasource among the account's candidates, and is it
 * already where the plan would move it. A reversal's account is the one its latest migration in
 * the audit trail went to.
 */
@ApplicationScoped
class Preflight {

    private static final int DATE_QUOTED = 64;

    private final DomoClient domo;
    private final OperationStore operations;
    private final ExecutorService fetchers;
    private final int maxAccounts;
    private final Duration timeout;

    @Inject
    Preflight(DomoClient domo, OperationStore operations, PlanConfig config) {
        this.domo = domo;
        this.operations = operations;
        this.maxAccounts = config.maxAccounts();
        this.timeout = config.preflightTimeout();
        AtomicInteger threads = new AtomicInteger();
        this.fetchers = Executors.newFixedThreadPool(Math.max(1, config.preflightConcurrency()), task -> {
            Thread thread = new Thread(task, "plan-preflight-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    @PreDestroy
    void stop() {
        fetchers.shutdownNow();
    }

    /** The candidates of one account by datasource id, or why they could not be read. */
    private record Candidates(Map<String, JsonNode> byId, String problem) {
    }

    /** One finding per item, in the items' order. */
    List<PlanItems.Finding> check(Direction direction, List<PlanItemSpec> items) {
        List<String> datasources = items.stream().map(PlanItemSpec::datasourceId).toList();
        Map<String, UUID> holders = operations.holders(datasources);
        Map<String, String> accountOf = new HashMap<>();
        if (direction == Direction.V1_TO_V2) {
            items.forEach(item -> accountOf.put(item.datasourceId(), item.accountId()));
        } else {
            accountOf.putAll(operations.lastMigrationAccounts(datasources));
        }
        Set<String> accounts = new LinkedHashSet<>(accountOf.values());
        if (accounts.size() > maxAccounts) {
            // Each account is one call to Domo with the service's token: one upload must not make thousands.
            throw ProblemException.invalid("A plan's items may name at most " + maxAccounts + " accounts (the preflight"
                    + " reads each one's candidates from Domo); these name " + accounts.size() + ": split the plan",
                    List.of(new Problem.FieldError("items", "name " + accounts.size() + " accounts"
                            + (direction == Direction.V2_TO_V1 ? " (where their latest migrations went)" : "")
                            + "; at most " + maxAccounts + " (PROXY_PLAN_MAX_ACCOUNTS)")));
        }
        Map<String, Candidates> candidates = fetch(accounts);
        List<PlanItems.Finding> findings = new ArrayList<>(items.size());
        for (PlanItemSpec item : items) {
            String account = accountOf.get(item.datasourceId());
            findings.add(finding(direction, item.datasourceId(), holders.get(item.datasourceId()), account,
                    account == null ? null : candidates.get(account)));
        }
        return findings;
    }

    private static PlanItems.Finding finding(Direction direction, String datasourceId, UUID holder, String account,
            Candidates candidates) {
        if (holder != null) {
            return blocked("operation " + holder + " on this datasource is in flight or its outcome is not known yet");
        }
        if (account == null) {
            return new PlanItems.Finding(Verdict.READY, "not verified: no migration of it is recorded by this service,"
                    + " so the account Domo lists it under is unknown");
        }
        if (candidates.problem() != null) {
            return blocked(candidates.problem());
        }
        JsonNode candidate = candidates.byId().get(DatasourceIds.canonical(datasourceId));
        if (candidate == null) {
            return blocked("not among the candidates of account " + account
                    + (direction == Direction.V2_TO_V1 ? " (where its latest migration went)" : ""));
        }
        boolean migrated = candidate.path("migrated").asBoolean(false);
        String since = candidate.path("migrationDate").isValueNode() && !candidate.path("migrationDate").isNull()
                ? " (since " + quoted(candidate.path("migrationDate").asText()) + ")" : "";
        if (direction == Direction.V1_TO_V2 && migrated) {
            return new PlanItems.Finding(Verdict.ALREADY_DONE, "already migrated" + since);
        }
        if (direction == Direction.V2_TO_V1 && !migrated) {
            return new PlanItems.Finding(Verdict.ALREADY_DONE, "not migrated");
        }
        return new PlanItems.Finding(Verdict.READY, null);
    }

    /** Domo's migrationDate is a date: a longer value is cut, since the reason is stored with every item. */
    private static String quoted(String date) {
        return date.codePointCount(0, date.length()) <= DATE_QUOTED ? date
                : date.substring(0, date.offsetByCodePoints(0, DATE_QUOTED)) + "…";
    }

    private static PlanItems.Finding blocked(String reason) {
        return new PlanItems.Finding(Verdict.BLOCKED, reason);
    }

    /**
     * Each account's candidates, read in parallel on the preflight's own threads; the request waits
     * for them all, and that wait is what its access line counts as Domo's (the calls themselves run
     * off the request's context, where they cannot add to it).
     */
    private Map<String, Candidates> fetch(Set<String> accounts) {
        long started = System.nanoTime();
        try {
            return fetchAll(accounts);
        } finally {
            DomoWait.add(System.nanoTime() - started);
        }
    }

    /**
     * Waits for them all until the preflight's deadline; an account not read by then is left
     * unread (its fetch, if it has not begun, never runs; one under way ends on its own timeout,
     * uninterrupted, since an interrupted call would count against Domo's circuit breaker).
     */
    private Map<String, Candidates> fetchAll(Set<String> accounts) {
        Map<String, Future<Candidates>> pending = new LinkedHashMap<>();
        for (String account : accounts) {
            pending.put(account, fetchers.submit(() -> candidates(account)));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Candidates> fetched = new HashMap<>();
        try {
            for (Map.Entry<String, Future<Candidates>> entry : pending.entrySet()) {
                String account = entry.getKey();
                try {
                    fetched.put(account, entry.getValue().get(Math.max(0, deadline - System.nanoTime()),
                            TimeUnit.NANOSECONDS));
                } catch (TimeoutException e) {
                    fetched.put(account, new Candidates(Map.of(), "the candidates of account " + account
                            + " could not be read within the preflight's " + timeout.toSeconds()
                            + " s (PROXY_PLAN_PREFLIGHT_TIMEOUT); run the preflight again"));
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException failure ? failure
                            : new IllegalStateException(e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProblemException(503, ProblemType.BUSY, "The preflight was interrupted; try again");
        } finally {
            pending.values().forEach(future -> future.cancel(false));
        }
        return fetched;
    }

    private Candidates candidates(String account) {
        try {
            Map<String, JsonNode> byId = new HashMap<>();
            for (JsonNode candidate : domo.listCandidates(account)) {
                if (candidate.path("id").isTextual()) {
                    byId.put(DatasourceIds.canonical(candidate.get("id").textValue()), candidate);
                }
            }
            return new Candidates(byId, null);
        } catch (DomoCallException e) {
            if (e.upstreamStatus() != null && e.upstreamStatus() == 404 && !e.cutOff()) {
                return new Candidates(Map.of(), "account " + account + " does not exist (Domo answered 404 for its"
                        + " candidates)");
            }
            return new Candidates(Map.of(), unreadable(account, e));
        } catch (ProblemException e) {
            return new Candidates(Map.of(), unreadable(account, e));
        }
    }

    private static String unreadable(String account, ProblemException e) {
        return "the candidates of account " + account + " could not be read (" + e.detail()
                + "); run the preflight again";
    }
}
