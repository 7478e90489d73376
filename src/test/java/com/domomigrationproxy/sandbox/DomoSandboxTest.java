package com.domomigrationproxy.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.domo.DomoAnswer;
import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.domo.DomoMigrationRequest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The sandbox's estate, its latency and its simulated failures, without the application. */
class DomoSandboxTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Settings(int candidatesPerAccount, Duration latency, double failureRate, double rateLimitRate)
            implements DomoConfig.Sandbox {

        @Override
        public boolean enabled() {
            return true;
        }
    }

    @Test
    void eachAccountGetsTheConfiguredEstateWithDeterministicIdsAndLocations() throws Exception {
        DomoSandbox sandbox = new DomoSandbox(JSON, new Settings(250, Duration.ZERO, 0, 0));
        JsonNode candidates = JSON.readTree(sandbox.candidates("2").await().indefinitely().body());
        assertThat(candidates).hasSize(253); // the three fixtures of account 2, and the estate
        assertThat(candidates.get(3).get("id").asText()).isEqualTo("sbx-2-0001");
        assertThat(JSON.readTree(sandbox.candidates("7").await().indefinitely().body()).get(250).get("id").asText()).isEqualTo("sbx-7-0250");

        DomoAnswer wrongPlace = sandbox.migrate("sbx-7-0042", "7", new DomoMigrationRequest("estate", "account_7", "table_0041"));
        assertThat(JSON.readTree(wrongPlace.body()).get("state").asText()).isEqualTo("ABORTED");
        DomoAnswer migrated = sandbox.migrate("sbx-7-0042", "7", new DomoMigrationRequest("estate", "account_7", "table_0042"));
        assertThat(JSON.readTree(migrated.body()).get("state").asText()).isEqualTo("COMPLETE");
        assertThat(sandbox.candidates("7").await().indefinitely().body()).isNotNull();
        assertThat(JSON.readTree(sandbox.reverse("sbx-7-0042").body()).get("state").asText()).isEqualTo("COMPLETE");
    }

    @Test
    void failuresAndRateLimitsHitTheConfiguredShareRepeatably() throws Exception {
        long failed = countStates(new DomoSandbox(JSON, new Settings(1000, Duration.ZERO, 0.2, 0)), "INCOMPLETE");
        assertThat(failed).isBetween(150L, 250L);
        assertThat(countStates(new DomoSandbox(JSON, new Settings(1000, Duration.ZERO, 0.2, 0)), "INCOMPLETE"))
                .isEqualTo(failed);

        DomoSandbox limited = new DomoSandbox(JSON, new Settings(1000, Duration.ZERO, 0, 0.1));
        long limitedCalls = IntStream.rangeClosed(1, 1000)
                .mapToObj(n -> limited.migrate(String.format("sbx-2-%04d", n), "2",
                        new DomoMigrationRequest("estate", "account_2", String.format("table_%04d", n))))
                .filter(answer -> answer.status() == 429).peek(answer -> assertThat(answer.retryAfter()).isEqualTo("1"))
                .count();
        assertThat(limitedCalls).isBetween(50L, 150L);
    }

    @Test
    void aSimulatedFailureLeavesTheDatasourceAsItWasSoALaterAttemptMaySucceed() throws Exception {
        DomoSandbox sandbox = new DomoSandbox(JSON, new Settings(1000, Duration.ZERO, 0.5, 0));
        String id = IntStream.rangeClosed(1, 1000).mapToObj(n -> String.format("sbx-2-%04d", n))
                .filter(candidate -> DomoSandbox.drawn(candidate + "#1", 0.5) && !DomoSandbox.drawn(candidate + "#2", 0.5))
                .findFirst().orElseThrow();
        DomoMigrationRequest target = new DomoMigrationRequest("estate", "account_2", "table_" + id.substring(6));
        assertThat(JSON.readTree(sandbox.migrate(id, "2", target).body()).get("state").asText()).isEqualTo("INCOMPLETE");
        assertThat(JSON.readTree(sandbox.migrate(id, "2", target).body()).get("state").asText()).isEqualTo("COMPLETE");
    }

    /**
     * A call the caller's deadline cut off (the guards interrupt its thread) is done anyway, as Domo
     * would, but its answer is lost as the HTTP client's would be: it counts as timed out, not 200.
     */
    @Test
    void aCallCutOffByItsDeadlineIsDoneButItsAnswerIsLost() throws Exception {
        DomoSandbox sandbox = new DomoSandbox(JSON, new Settings(0, Duration.ofSeconds(30), 0, 0));
        String datasource = "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01";
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean leftInterrupted = new AtomicBoolean();
        Thread caller = new Thread(() -> {
            try {
                sandbox.migrate(datasource, "2", new DomoMigrationRequest("sales", "NULL", "orders"));
            } catch (RuntimeException e) {
                failure.set(e);
            }
            leftInterrupted.set(Thread.currentThread().isInterrupted());
        });
        caller.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> caller.getState() == Thread.State.TIMED_WAITING);
        caller.interrupt(); // what the deadline does
        caller.join(10_000);

        assertThat(failure.get()).as("no answer, as at the HTTP client's read timeout").isNotNull()
                .hasMessage("DEADLINE");
        assertThat(leftInterrupted).isTrue();
        JsonNode candidates = JSON.readTree(sandbox.candidates("2").await().indefinitely().body());
        assertThat(candidates.get(0).get("id").asText()).isEqualTo(datasource);
        assertThat(candidates.get(0).get("migrated").asBoolean()).as("done anyway").isTrue();
    }

    private static long countStates(DomoSandbox sandbox, String state) {
        return IntStream.rangeClosed(1, 1000)
                .mapToObj(n -> sandbox.migrate(String.format("sbx-2-%04d", n), "2",
                        new DomoMigrationRequest("estate", "account_2", String.format("table_%04d", n))))
                .filter(answer -> {
                    try {
                        return state.equals(JSON.readTree(answer.body()).get("state").asText());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).count();
    }
}
