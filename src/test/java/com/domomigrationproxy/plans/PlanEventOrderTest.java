package com.domomigrationproxy.plans;

import static com.domomigrationproxy.plans.PlanFixtures.jsonPlan;
import static com.domomigrationproxy.plans.PlanFixtures.stubCandidates;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.TestCredentials;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Events commit in their own order, not in seq order: a stream must not send an event while a
 * transaction can still commit one with a lower seq, or a client resuming after it never gets
 * that one.
 */
@QuarkusTest
class PlanEventOrderTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @Inject
    PlanEventStream events;

    @TestHTTPResource("/")
    URI base;

    @Test
    void anEventWaitsForEveryEarlierOneToCommitAndTheStreamSendsThemInOrder() throws Exception {
        PlanFixtures.warmUp(domo);
        PlanFixtures.Estate estate = PlanFixtures.Estate.of(1);
        stubCandidates(domo, estate.account(), estate.datasources(), Set.of());
        // Awaiting approval: not done, so its stream stays open.
        UUID planId = UUID.fromString(PlanFixtures.create(jsonPlan("order", estate.account(), estate.datasources(), 1))
                .getString("planId"));

        List<Long> sent = new CopyOnWriteArrayList<>();
        try (Connection slow = dataSource.getConnection(); Connection quick = dataSource.getConnection()) {
            slow.setAutoCommit(false);
            long first = insertEvent(slow, planId, "slow");
            long second = insertEvent(quick, planId, "quick");
            assertThat(second).isGreaterThan(first);

            HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    base.resolve("/api/v1/plans/" + planId + "/events")).header("X-API-Key", TestCredentials.READER_KEY)
                    .header("Accept", "text/event-stream").header("Last-Event-ID", Long.toString(first - 1)).build(),
                    HttpResponse.BodyHandlers.ofLines());
            assertThat(response.statusCode()).isEqualTo(200);
            try (Stream<String> lines = response.body()) {
                Thread reader = new Thread(() -> lines.filter(line -> line.startsWith("id:"))
                        .forEach(line -> sent.add(Long.parseLong(line.substring(3).strip()))), "event-reader");
                reader.setDaemon(true);
                reader.start();
                // The later event has committed, the earlier one has not: nothing may go out, for as
                // long as that lasts (well past the stream's polls).
                await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).until(sent::isEmpty);
                // A page rendered now must watch from before the uncommitted event.
                assertThat(events.horizon()).isLessThan(first);

                slow.commit();
                await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() >= 2);
                assertThat(sent).containsExactly(first, second);
                assertThat(events.horizon()).isGreaterThanOrEqualTo(second);
            }
        }
    }

    private static long insertEvent(Connection connection, UUID planId, String data) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO plan_event (plan_id, kind, state, data) VALUES (?, 'plan', 'AWAITING_APPROVAL', ?) RETURNING seq")) {
            insert.setObject(1, planId);
            insert.setString(2, "{\"test\":\"" + data + "\"}");
            try (ResultSet row = insert.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }
}
