package com.domomigrationproxy.web;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.ledger.RowPage;
import com.domomigrationproxy.migration.OperationReconciler;
import com.domomigrationproxy.migration.OperationResolutions;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * Answers that read many rows at once end at 1 MiB of their grants, whatever their limit: the
 * audit API's pages of operations and of events, a scoped operator's review queue, and
 * reconciliation's pages of unresolved operations, which a pass follows to the last. Its
 * operations stay in the chain, and every later read of the whole chain (an integrity check, an
 * export, the audit stream) reads them too, a second or more each: so this class is named to run
 * last of the default profile's classes (they run in the order of their names), after the audit
 * and SIEM classes, which read the whole chain dozens of times.
 */
@QuarkusTest
class LargeGrantsTest {

    @Inject
    OperationStore operations;

    @Inject
    OperationResolutions resolutions;

    @Inject
    OperationReconciler reconciler;

    @InjectDomo
    WireMockServer domo;

    /**
     * A page ends at 1 MiB of its rows' scopes and payloads, in the database, whatever its limit, and
     * says that more follow: 500 rows that each repeat a grant of 1,700 data sources were 64 MiB in
     * the heap (the driver's bytes, the strings) of a pod that has 51 MiB, as were the audit stream's
     * batches, which are read the same way (SIEM review), and a scoped operator's review queue
     * (second review). Each grant here is 50 KiB, which a syslog receiver that takes 64 KiB still
     * takes whole (AuditStreamTest delivers them later).
     */
    @Test
    void aPageOfLargeRowsEndsAtAMebibyteAndItsCursorGoesOn() throws Exception {
        String who = "large-" + UUID.randomUUID();
        String account = "large-" + System.nanoTime();
        List<String> grant = new ArrayList<>();
        for (int i = 0; grant.toString().length() < 50 * 1024; i++) {
            grant.add(UUID.randomUUID().toString());
        }
        Scopes scopes = new Scopes(null, null, grant);
        Requester requester = new Requester(who, "jwt", "r", null, scopes);
        // Newest first, as pages list them.
        List<String> created = new ArrayList<>();
        try {
            for (int i = 0; i < 24; i++) {
                Operation pending = operations.recordIntent(OperationIntent.migration(Api.uniqueDatasourceId(),
                        account, "c", "s", "t", requester), null);
                operations.recordOutcome(pending, Outcome.withoutResult(OperationState.UNKNOWN, null, "no answer",
                        null, 5));
                created.add(0, pending.operationId().toString());
            }
            reconciliationsPagesOfLargeRows(created);
            reconciliationFlagsEveryOne(account, created);
            pagesOfLargeRows(who, account, scopes, created);
        } finally {
            for (String id : created) {
                operations.recordReconciliation(UUID.fromString(id), OperationState.ABORTED, "checked", "auditor");
            }
        }
    }

    /**
     * Rows one after another that repeat a grant read it once (a plan's items all repeat their
     * creator's); a row with another grant between them still reads its own, in a page and in a
     * stream alike.
     */
    @Test
    void rowsInARowEachReadTheirOwnGrant() {
        String who = "grants-" + UUID.randomUUID();
        Scopes sales = new Scopes(null, List.of("sales-*"), null);
        Scopes mysql = new Scopes(List.of("mysql-*"), null, List.of("ds-1", "ds-2"));
        List<Scopes> granted = List.of(sales, sales, mysql, sales, mysql, mysql);
        List<Scopes> newestFirst = List.of(mysql, mysql, sales, mysql, sales, sales);
        for (Scopes scopes : granted) {
            Operation pending = operations.recordIntent(OperationIntent.reversal(Api.uniqueDatasourceId(),
                    new Requester(who, "jwt", "r", null, scopes)), null);
            operations.recordOutcome(pending, Outcome.withoutResult(OperationState.COMPLETE, "T-GRANTS", null, 200, 5));
        }
        OperationQuery query = new OperationQuery(null, null, null, null, who, null, null, null, false);
        assertThat(operations.page(query, null, 50).items()).extracting(operation -> operation.intent().scopes())
                .containsExactlyElementsOf(newestFirst);
        List<Scopes> streamed = new ArrayList<>();
        operations.stream(query, operation -> streamed.add(operation.intent().scopes()));
        assertThat(streamed).containsExactlyElementsOf(newestFirst);
    }

    /**
     * Reconciliation reads the unresolved operations a page at a time, oldest first: its pages end
     * the same way (a hundred such rows were 10 MiB of grants, twice over), and go on after their
     * last row, so that every one of them is looked at.
     */
    private void reconciliationsPagesOfLargeRows(List<String> created) {
        List<String> seen = new ArrayList<>();
        boolean cut = false;
        RowPage<Operation> page = operations.unresolved(Instant.now(), null, 500);
        while (true) {
            for (Operation operation : page.items()) {
                if (created.contains(operation.operationId().toString())) {
                    seen.add(0, operation.operationId().toString());
                }
            }
            assertThat(beforeTheLast(page)).isLessThan(RowPage.BYTES);
            cut |= page.more() && page.items().size() < 500;
            if (!page.more()) {
                break;
            }
            page = operations.unresolved(Instant.now(), page.last(), 500);
        }
        assertThat(cut).isTrue();
        assertThat(seen).containsExactlyElementsOf(created);
    }

    /**
     * A pass of reconciliation goes on past pages cut at 1 MiB: every one of the operations is looked
     * at, and (Domo refusing its account's candidates for good) flagged for a person.
     */
    private void reconciliationFlagsEveryOne(String account, List<String> created) throws InterruptedException {
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json").withBody("{\"message\":\"no such account\"}")));
        // A person is asked only once Domo can no longer be carrying the operations out: as long
        // again as a migration may take after their outcomes (no grace in tests).
        Thread.sleep(DomoWireMock.MIGRATION_TIMEOUT.toMillis() + 200);
        reconciler.reconcileNow();
        assertThat(created).allSatisfy(id -> assertThat(operations.find(UUID.fromString(id)).orElseThrow().review())
                .as("flagged: %s", id).isNotNull());
    }

    private void pagesOfLargeRows(String who, String account, Scopes scopes, List<String> created) {

        JsonPath first = Api.auditOperations(Map.of("requestedBy", who, "limit", "500"), null);
        // The rows whose grants begin below 1 MiB, as the row stores them (about 20).
        int stored = scopes.toJson().length();
        assertThat(first.getList("items")).hasSize((1024 * 1024 - 1) / stored + 1);
        List<String> seen = new ArrayList<>(first.getList("items.operationId"));
        String cursor = first.getString("nextCursor");
        assertThat(cursor).isNotNull();
        JsonPath second = Api.auditOperations(Map.of("requestedBy", who, "limit", "500"), cursor);
        seen.addAll(second.getList("items.operationId"));
        assertThat(second.getString("nextCursor")).isNull();
        assertThat(seen).containsExactlyElementsOf(created);

        // The events' page the same way, by the grant their payloads repeat: each page's first event
        // comes whatever its size, and every event of the range comes once, in order.
        long firstSeq = operations.find(UUID.fromString(created.get(created.size() - 1))).orElseThrow().chain()
                .intent().seq();
        long lastSeq = created.stream().mapToLong(id -> operations.find(UUID.fromString(id)).orElseThrow().chain()
                .review().seq()).max().orElseThrow();
        List<Long> seqs = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String next = null;
        do {
            var request = Api.asAuditor().queryParam("fromSeq", firstSeq).queryParam("toSeq", lastSeq)
                    .queryParam("limit", 500);
            JsonPath events = (next == null ? request : request.queryParam("cursor", next)).get("/api/v1/audit/events")
                    .then().statusCode(200).extract().jsonPath();
            seqs.addAll(events.getList("items.seq", Long.class));
            sizes.add(events.getList("items").size());
            next = events.getString("nextCursor");
        } while (next != null);
        assertThat(seqs).isSorted().doesNotHaveDuplicates().hasSize((int) (lastSeq - firstSeq + 1));
        assertThat(sizes.get(0)).isLessThan(seqs.size()).isGreaterThan(1);

        // A scoped operator's review queue ends the same way, where it gathered up to 201 of them.
        RowPage<Operation> queue = resolutions.queue(Optional.of(new Scopes(null, List.of(account), null)), 200);
        assertThat(queue.more()).isTrue();
        assertThat(queue.items()).hasSizeBetween(2, 23);
        assertThat(beforeTheLast(queue)).isLessThan(RowPage.BYTES);
    }

    /** The scopes a page's rows before its last hold: the last row comes only while they are below 1 MiB. */
    private static long beforeTheLast(RowPage<Operation> page) {
        return page.items().stream().limit(page.items().size() - 1L).mapToLong(Operation::scopesLength).sum();
    }
}
