package com.domomigrationproxy.idempotency;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.HeldAnswers;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.OwnThreads;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/** Idempotency-Key: replay, reuse with another request, in flight, expiry, scoped per caller. */
@QuarkusTest
class IdempotencyTest {

    private static final String BODY = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @Inject
    IdempotencyStore idempotency;

    @BeforeEach
    void domoCompletes() {
        DomoWireMock.completesEverything(domo, "T-IDEM");
    }

    @Test
    void sameKeySameRequestIsReplayedWithoutCallingDomo() {
        String datasource = Api.uniqueDatasourceId();
        String key = "key-" + UUID.randomUUID();
        Response first = migrate(Api.asOperator(), datasource, key, BODY);
        first.then().statusCode(200).header("Idempotent-Replayed", nullValue());

        Response second = migrate(Api.asOperator(), datasource, key, BODY);
        second.then().statusCode(200).header("Idempotent-Replayed", "true");
        assertThat(second.jsonPath().getString("operationId")).isEqualTo(first.jsonPath().getString("operationId"));
        assertThat(second.jsonPath().getString("completedAt")).isEqualTo(first.jsonPath().getString("completedAt"));

        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/1")));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).hasSize(1);
    }

    @Test
    void problemsAreReplayedToo() {
        String datasource = Api.uniqueDatasourceId();
        domoAnswersReversal(datasource, 404, "{\"message\":\"No such source\",\"toe\":\"T404\"}");
        String key = "key-" + UUID.randomUUID();
        String operationId = reverse(datasource, key).then().statusCode(404).extract().path("operationId");
        reverse(datasource, key).then().statusCode(404).header("Idempotent-Replayed", "true")
                .body("operationId", equalTo(operationId)).body("detail", equalTo("No such source"))
                .body("domoToe", equalTo("T404"));
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
    }

    @Test
    void sameKeyDifferentRequestIs422() {
        String datasource = Api.uniqueDatasourceId();
        String key = "key-" + UUID.randomUUID();
        migrate(Api.asOperator(), datasource, key, BODY).then().statusCode(200);
        migrate(Api.asOperator(), datasource, key, BODY.replace("\"t\"", "\"other\"")).then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:idempotency-key-reused"));
        migrate(Api.asOperator(), Api.uniqueDatasourceId(), key, BODY).then().statusCode(422);
        domo.verify(1, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
    }

    @Test
    void sameKeyWhileTheFirstRunsIs409() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        answersCompleteWhenReleased(DOMO_PREFIX + "/" + datasource + "/accounts/1");
        String key = "key-" + UUID.randomUUID();
        CompletableFuture<Response> first = HeldAnswers.whileHeld(() -> migrate(Api.asOperator(), datasource, key, BODY),
                () -> migrate(Api.asOperator(), datasource, key, BODY).then().statusCode(409)
                        .body("type", equalTo("urn:problem-type:domo-migration-proxy:idempotent-request-in-progress"))
                        .header("Retry-After", org.hamcrest.Matchers.notNullValue()));
        first.get().then().statusCode(200);
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/accounts/1")));
    }

    @Test
    void expiredKeysStartOver() {
        String datasource = Api.uniqueDatasourceId();
        String key = "key-" + UUID.randomUUID();
        reverse(datasource, key).then().statusCode(200);
        OperationRows.execute(dataSource, "UPDATE idempotency_key SET expires_at = now() - interval '1 second'"
                + " WHERE idempotency_key = ?", key);
        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", nullValue());
        domo.verify(2, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
    }

    /**
     * A key whose time runs out while its request still waits for Domo is not free: its expiry counts
     * from the claim, and the request may record its intent long after that. A repeat then waits for
     * the first's answer, and the purge leaves the key; freed, the repeat ran the migration a second
     * time (idempotency review).
     */
    @Test
    void aKeyThatExpiresWhileItsRequestRunsStaysItsRequests() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        answersCompleteWhenReleased(DOMO_PREFIX + "/" + datasource + "/reverse");
        String key = "key-" + UUID.randomUUID();
        CompletableFuture<Response> first = HeldAnswers.whileHeld(() -> reverse(datasource, key), () -> {
            OperationRows.execute(dataSource, "UPDATE idempotency_key SET expires_at = now() - interval '1 second'"
                    + " WHERE idempotency_key = ?", key);
            idempotency.purgeExpiredNow();
            reverse(datasource, key).then().statusCode(409)
                    .body("type", equalTo("urn:problem-type:domo-migration-proxy:idempotent-request-in-progress"));
        });
        first.get().then().statusCode(200);
        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", "true");
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
    }

    /**
     * The purge deletes an expired key, but not one without an answer whose operation ended less than
     * a retention ago: a repeat rebuilds that answer from the trail, and freed, the key ran again (review).
     */
    @Test
    void thePurgeKeepsAnUnansweredKeyWhoseOperationEndedRecently() {
        String datasource = Api.uniqueDatasourceId();
        String answered = "key-" + UUID.randomUUID();
        String operationId = reverse(datasource, answered).then().statusCode(200).extract().path("operationId");
        String unanswered = "key-" + UUID.randomUUID();
        OperationRows.execute(dataSource, "INSERT INTO idempotency_key (principal, auth_method, idempotency_key,"
                + " fingerprint, created_at, expires_at, operation_id) SELECT principal, auth_method, ?, fingerprint,"
                + " now() - interval '2 days', now() - interval '1 day', operation_id FROM idempotency_key"
                + " WHERE idempotency_key = ?", unanswered, answered);
        OperationRows.execute(dataSource, "UPDATE idempotency_key SET expires_at = now() - interval '1 second'"
                + " WHERE idempotency_key = ?", answered);
        idempotency.purgeExpiredNow();
        assertThat(OperationRows.query(dataSource, "SELECT idempotency_key FROM idempotency_key WHERE"
                + " idempotency_key IN (?, ?)", answered, unanswered)).extracting(row -> row.get("idempotency_key"))
                .containsExactly(unanswered);
        reverse(datasource, unanswered).then().statusCode(200).header("Idempotent-Replayed", "true")
                .body("operationId", equalTo(operationId));
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
    }

    /** Domo answers COMPLETE at this path once HeldAnswers lets the answer go. */
    private void answersCompleteWhenReleased(String path) {
        domo.stubFor(post(path).willReturn(aResponse().withTransformers(HeldAnswers.NAME).withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
    }

    @Test
    void twoCallersWithTheSameKeyAreIndependent() {
        String key = "shared-" + UUID.randomUUID();
        String datasource = Api.uniqueDatasourceId();
        migrate(Api.asOperator(), datasource, key, BODY).then().statusCode(200);
        migrate(given().auth().oauth2(Tokens.jwt("someone-else", "operator")), Api.uniqueDatasourceId(), key,
                BODY).then().statusCode(200).header("Idempotent-Replayed", nullValue());
        domo.verify(2, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
    }

    /**
     * The key's link to its operation commits with the operation's intent, or neither does: a
     * failure between them (here a trigger refusing the link) leaves no operation behind that a
     * later reconciliation could complete while the same key reaches Domo a second time.
     */
    @Test
    void theKeyAndTheIntentCommitTogether() {
        String datasource = Api.uniqueDatasourceId();
        String key = "window-" + UUID.randomUUID();
        domoAnswersReversal(datasource, 200, "{\"state\":\"COMPLETE\"}");
        PostgresAdmin.asSuperuser("CREATE OR REPLACE FUNCTION test_refuse_link() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN RAISE EXCEPTION 'crash between intent and key'; END $$",
                "CREATE TRIGGER test_refuse_link BEFORE UPDATE OF operation_id ON idempotency_key FOR EACH ROW"
                        + " WHEN (NEW.idempotency_key = '" + key + "') EXECUTE FUNCTION test_refuse_link()");
        try {
            reverse(datasource, key).then().statusCode(503);
        } finally {
            PostgresAdmin.asSuperuser("DROP TRIGGER test_refuse_link ON idempotency_key", "DROP FUNCTION test_refuse_link()");
        }
        assertThat(OperationRows.forDatasource(dataSource, datasource)).isEmpty();
        domo.verify(0, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));

        reverse(datasource, key).then().statusCode(200);
        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", equalTo("true"));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).hasSize(1);
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
    }

    @Test
    void aKeyBelongsToThePrincipalAsItAuthenticated() {
        String key = "owner-" + UUID.randomUUID();
        String name = "owner-" + UUID.randomUUID();
        migrate(given().auth().oauth2(Tokens.jwt(name, "operator")), Api.uniqueDatasourceId(), key, BODY)
                .then().statusCode(200);
        java.util.List<java.util.Map<String, Object>> rows = OperationRows.query(dataSource,
                "SELECT principal, auth_method FROM idempotency_key WHERE idempotency_key = ?", key);
        assertThat(rows).singleElement().satisfies(row -> assertThat(row).containsEntry("principal", name)
                .containsEntry("auth_method", "jwt"));
    }

    @Test
    void invalidKeysAre400() {
        for (String key : new String[] { "has space", "k".repeat(256), "caf\u00e9" }) {
            migrate(Api.asOperator(), Api.uniqueDatasourceId(), key, BODY).then().statusCode(400)
                    .body("errors[0].field", equalTo("Idempotency-Key"));
        }
        domo.verify(0, postRequestedFor(urlMatching(DOMO_PREFIX + "/.*")));
    }

    @Test
    void aKeyIsReleasedWhenNothingWasRecorded() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        answersCompleteWhenReleased(DOMO_PREFIX + "/" + datasource + "/reverse");
        String key = "key-" + UUID.randomUUID();
        CompletableFuture<Response> running = HeldAnswers.whileHeld(() -> reverse(datasource, null),
                // 409 because the datasource is busy: nothing was recorded, so the same key may be used again.
                () -> reverse(datasource, key).then().statusCode(409)
                        .body("type", equalTo("urn:problem-type:domo-migration-proxy:operation-in-progress")));
        running.join().then().statusCode(200);
        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", nullValue());
    }

    /**
     * Domo took nothing (its 429, its 401 or 403 to the service's token, a redirect: an allow-list's
     * page): the operation is on record, but the key is not bound to that answer, so the retry that
     * Retry-After invites, or one after an operator mended the token, runs with the same key.
     */
    @ParameterizedTest(name = "Domo {0}")
    @CsvSource({ "429, 503, domo-rate-limited", "401, 502, domo-rejected-credentials",
            "403, 502, domo-rejected-credentials", "302, 502, domo-unavailable" })
    void aKeyIsReleasedWhenDomoDidNothing(int domoStatus, int status, String type) {
        String datasource = Api.uniqueDatasourceId();
        String path = DOMO_PREFIX + "/" + datasource + "/reverse";
        domo.stubFor(post(path).willReturn(aResponse().withStatus(domoStatus).withHeader("Retry-After", "2")
                .withHeader("Location", "https://www.domo.com/blocked")));
        String key = "key-" + UUID.randomUUID();
        reverse(datasource, key).then().statusCode(status)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:" + type));
        // Released for a retry of this request, not for another one.
        reverse(Api.uniqueDatasourceId(), key).then().statusCode(422)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:idempotency-key-reused"));

        domoAnswersReversal(datasource, 200, "{\"state\":\"COMPLETE\"}");
        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", nullValue())
                .body("state", equalTo("COMPLETE"));
        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", "true");
        domo.verify(2, postRequestedFor(urlEqualTo(path)));
        assertThat(OperationRows.forDatasource(dataSource, datasource)).hasSize(2);
    }

    /**
     * Released means that claim was released: a later claim of the key (here as a pod of the release
     * before released_at makes one, which sets only a new created_at) is live, and a repeat waits for it
     * instead of running beside it.
     */
    @Test
    void aLaterClaimOfAReleasedKeyIsLive() {
        String datasource = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/reverse").willReturn(aResponse().withStatus(429)));
        String key = "later-" + UUID.randomUUID();
        reverse(datasource, key).then().statusCode(503);
        OperationRows.execute(dataSource, "UPDATE idempotency_key SET created_at = now(), operation_id = NULL"
                + " WHERE idempotency_key = ?", key);
        reverse(datasource, key).then().statusCode(409)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:idempotent-request-in-progress"));
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
    }

    /**
     * A key with no stored answer is held for the migration deadline plus
     * PROXY_IDEMPOTENCY_ABANDON_MARGIN (3 s and 5 s in tests) from its claim: a repeat just before
     * is told the first still runs, one just after gets the answer rebuilt from the operation.
     */
    @Test
    void aKeyWithoutAnAnswerIsTakenOverOnceTheDeadlineAndTheAbandonMarginHavePassed() {
        String datasource = Api.uniqueDatasourceId();
        String key = "margin-" + UUID.randomUUID();
        String operationId = reverse(datasource, key).then().statusCode(200).extract().path("operationId");
        Duration held = idempotency.abandonedAfter(DomoWireMock.MIGRATION_TIMEOUT);
        assertThat(held).as("the setting, not a margin of the store's own").isEqualTo(Duration.ofSeconds(8));
        forgetTheAnswer(key, held.minusSeconds(2));
        reverse(datasource, key).then().statusCode(409)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:idempotent-request-in-progress"));
        forgetTheAnswer(key, held.plusSeconds(2));
        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", "true")
                .body("operationId", equalTo(operationId)).body("toe", equalTo("T-IDEM"));
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
    }

    /**
     * The first request recorded its operation but its answer was never stored (the process died):
     * a repeat gets the status the operation's outcome calls for, so a 200 still means that Domo
     * answered with a result.
     */
    @Test
    void aRepeatWhoseAnswerWasNeverStoredGetsTheStatusOfTheOperationsOutcome() {
        String refused = Api.uniqueDatasourceId();
        domoAnswersReversal(refused, 404, "{\"message\":\"No such source\",\"toe\":\"T404\"}");
        String refusedKey = "died-" + UUID.randomUUID();
        String refusedOperation = reverse(refused, refusedKey).then().statusCode(404).extract().path("operationId");
        forgetTheAnswer(refusedKey);
        reverse(refused, refusedKey).then().statusCode(404).header("Idempotent-Replayed", "true")
                .contentType("application/problem+json").body("operationId", equalTo(refusedOperation))
                .body("detail", equalTo("No such source")).body("domoToe", equalTo("T404"));

        String silent = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + silent + "/reverse").willReturn(aResponse().withFixedDelay(4_000)
                .withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        String silentKey = "died-" + UUID.randomUUID();
        String silentOperation = reverse(silent, silentKey).then().statusCode(504).extract().path("operationId");
        forgetTheAnswer(silentKey);
        reverse(silent, silentKey).then().statusCode(504).header("Idempotent-Replayed", "true")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-timeout"))
                .body("operationId", equalTo(silentOperation))
                .body("detail", containsString("unknown until it is reconciled"));
        // Once reconciled, the repeat says what was found instead of "unknown".
        Api.asOperator().contentType("application/json").body("{\"state\":\"COMPLETE\",\"note\":\"seen in Domo\"}")
                .post("/api/v1/operations/" + silentOperation + "/reconciliation").then().statusCode(200);
        reverse(silent, silentKey).then().statusCode(504).header("Idempotent-Replayed", "true")
                .body("operationId", equalTo(silentOperation))
                .body("detail", containsString("it has since been reconciled: it took effect"));

        // A gateway's 504 in front of Domo: UNKNOWN on record, answered 502 then, and 502 again.
        String gateway = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + gateway + "/reverse").willReturn(aResponse().withStatus(504)));
        String gatewayKey = "died-" + UUID.randomUUID();
        String gatewayOperation = reverse(gateway, gatewayKey).then().statusCode(502).extract().path("operationId");
        forgetTheAnswer(gatewayKey);
        reverse(gateway, gatewayKey).then().statusCode(502).header("Idempotent-Replayed", "true")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-unavailable"))
                .body("operationId", equalTo(gatewayOperation)).body("detail", containsString("gateway's 504"));

        // Domo answered 200 with a body that is no result: 502 then, and 502 again, not a 200.
        String unreadable = Api.uniqueDatasourceId();
        domoAnswersReversal(unreadable, 200, "{\"no\":\"state\"}");
        String unreadableKey = "died-" + UUID.randomUUID();
        reverse(unreadable, unreadableKey).then().statusCode(502);
        forgetTheAnswer(unreadableKey);
        // Domo's own 200, not a gateway's.
        rebuiltWithoutAResult(unreadable, unreadableKey);

        // Domo's 200 cut off past DOMO_MAX_RESPONSE_SIZE: 502 then, and 502 again (its status is on record), not a
        // 504 as if no answer had come (failure-mode review).
        String cut = Api.uniqueDatasourceId();
        domoAnswersReversal(cut, 200, "{\"state\":\"COMPLETE\",\"toe\":\"" + "x".repeat(9 * 1024 * 1024) + "\"}");
        String cutKey = "died-" + UUID.randomUUID();
        reverse(cut, cutKey).then().statusCode(502)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-response-too-large"));
        forgetTheAnswer(cutKey);
        rebuiltWithoutAResult(cut, cutKey);

        // A 401 whose connection broke after its status line turned nobody away (the outcome is UNKNOWN): the key
        // keeps the 502 it got, where it was released and its repeat ran into the data source's lock (409).
        String cut401 = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + cut401 + "/reverse").willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withHeader("Content-Length", "1000").withBody("{")));
        String cut401Key = "cut-" + UUID.randomUUID();
        String cut401Operation = reverse(cut401, cut401Key).then().statusCode(502).extract().path("operationId");
        reverse(cut401, cut401Key).then().statusCode(502).header("Idempotent-Replayed", "true")
                .body("operationId", equalTo(cut401Operation));

        String done = Api.uniqueDatasourceId();
        String doneKey = "died-" + UUID.randomUUID();
        String doneOperation = reverse(done, doneKey).then().statusCode(200).extract().path("operationId");
        forgetTheAnswer(doneKey);
        // The answer the first request would have given: its links in the hash chain are the audit API's.
        reverse(done, doneKey).then().statusCode(200).header("Idempotent-Replayed", "true")
                .body("operationId", equalTo(doneOperation)).body("state", equalTo("COMPLETE"))
                .body("$", not(hasKey("chain")));
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + done + "/reverse")));
    }

    /**
     * The key's wait counts from its claim, but Domo is called only once the intent is recorded,
     * which may wait for the audit store long after the claim: a repeat while that call runs is told
     * the first request still runs (409), not 504 as if it had ended without an answer.
     */
    @Test
    void aRepeatWhileTheFirstRequestIsAtDomoIsInProgressHoweverOldItsClaim() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        String path = DOMO_PREFIX + "/" + datasource + "/reverse";
        domo.stubFor(post(path).willReturn(aResponse().withTransformers(HeldAnswers.NAME).withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\"}")));
        String key = "late-intent-" + UUID.randomUUID();
        CompletableFuture<Response> first = HeldAnswers.whileHeld(() -> reverse(datasource, key), () -> {
            // As if its intent had waited minutes for the chain head after the key was claimed.
            OperationRows.execute(dataSource, "UPDATE idempotency_key SET created_at = now() - interval '5 minutes'"
                    + " WHERE idempotency_key = ?", key);
            reverse(datasource, key).then().statusCode(409).header("Retry-After", "5")
                    .body("type", equalTo("urn:problem-type:domo-migration-proxy:idempotent-request-in-progress"));
        });
        String operationId = first.get(20, TimeUnit.SECONDS).then().statusCode(200).extract().path("operationId");
        // Its answer could not be stored under the key's old claim: rebuilt from the operation now.
        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", "true")
                .body("operationId", equalTo(operationId)).body("state", equalTo("COMPLETE"));
        domo.verify(1, postRequestedFor(urlEqualTo(path)));
    }

    /**
     * A first request that died after Domo refused to take it (429) left its operation on record and
     * its key unanswered: a repeat runs it, since nothing happened at Domo.
     */
    @Test
    void aRepeatOfADeadRequestThatDomoDidNothingWithRuns() {
        String datasource = Api.uniqueDatasourceId();
        String path = DOMO_PREFIX + "/" + datasource + "/reverse";
        domo.stubFor(post(path).willReturn(aResponse().withStatus(429)));
        String key = "died-" + UUID.randomUUID();
        String refused = reverse(datasource, key).then().statusCode(503).extract().path("operationId");
        domoAnswersReversal(datasource, 200, "{\"state\":\"COMPLETE\"}");
        // The key as the dead request would have left it: claimed, linked to its operation, never released.
        OperationRows.execute(dataSource, "UPDATE idempotency_key SET released_at = NULL, operation_id = ?::uuid,"
                + " created_at = now() - interval '5 minutes' WHERE idempotency_key = ?", refused, key);

        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", nullValue())
                .body("state", equalTo("COMPLETE"));
        reverse(datasource, key).then().statusCode(200).header("Idempotent-Replayed", "true");
        domo.verify(2, postRequestedFor(urlEqualTo(path)));
    }

    /**
     * An expired key's row is deleted (by the purge; or a first request released it) between the
     * repeat's insert, which met it, and the repeat's lock on it: the key is free, so the repeat
     * runs, rather than failing with a 500 (found in review).
     */
    @Test
    void aKeyDeletedWhileARepeatWaitsToLockItIsClaimedAfresh() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        String key = "key-" + UUID.randomUUID();
        reverse(datasource, key).then().statusCode(200);
        OperationRows.execute(dataSource, "UPDATE idempotency_key SET expires_at = now() - interval '1 second'"
                + " WHERE idempotency_key = ?", key);
        CompletableFuture<Response> repeat;
        try (Connection admin = PostgresAdmin.ownConnections().getConnection()) {
            admin.setAutoCommit(false);
            try (PreparedStatement lock = admin.prepareStatement(
                    "SELECT 1 FROM idempotency_key WHERE idempotency_key = ? FOR UPDATE")) {
                lock.setString(1, key);
                lock.executeQuery().close();
            }
            repeat = OwnThreads.supply(() -> reverse(datasource, key));
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingForALock(key));
            try (PreparedStatement delete = admin.prepareStatement("DELETE FROM idempotency_key WHERE idempotency_key = ?")) {
                delete.setString(1, key);
                delete.executeUpdate();
            }
            admin.commit();
        }
        repeat.get(20, TimeUnit.SECONDS).then().statusCode(200).header("Idempotent-Replayed", nullValue());
        domo.verify(2, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasource + "/reverse")));
    }

    /** The service's claim of this key waits for the row lock the test holds. */
    private static boolean waitingForALock(String key) throws SQLException {
        try (Connection connection = PostgresAdmin.ownConnections().getConnection();
                PreparedStatement waiting = connection.prepareStatement("SELECT count(*) FROM pg_stat_activity"
                        + " WHERE wait_event_type = 'Lock' AND query LIKE '%FROM idempotency_key%FOR UPDATE%'")) {
            try (ResultSet count = waiting.executeQuery()) {
                return count.next() && count.getInt(1) > 0;
            }
        }
    }

    /** A repeat rebuilt from the record of a 200 that gave no result: 502, as the first request got. */
    private static void rebuiltWithoutAResult(String datasource, String key) {
        reverse(datasource, key).then().statusCode(502).header("Idempotent-Replayed", "true")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-unavailable"))
                .body("detail", org.hamcrest.Matchers.startsWith("The first request with this Idempotency-Key got an"
                        + " answer 200 from Domo without a result it could be sure of; "));
    }

    /** As if the process died after recording the outcome: no stored answer, and old enough to count as abandoned. */
    private void forgetTheAnswer(String key) {
        forgetTheAnswer(key, Duration.ofMinutes(5));
    }

    /** As {@link #forgetTheAnswer(String)}, the key claimed this long ago. */
    private void forgetTheAnswer(String key, Duration claimedAgo) {
        OperationRows.execute(dataSource, "UPDATE idempotency_key SET response_status = NULL, response_body = NULL,"
                + " created_at = now() - make_interval(secs => ?) WHERE idempotency_key = ?",
                claimedAgo.toMillis() / 1000.0, key);
    }

    /** Domo answers the reversal of this data source with this status and JSON body. */
    private void domoAnswersReversal(String datasource, int status, String json) {
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/reverse").willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody(json)));
    }

    private static Response migrate(io.restassured.specification.RequestSpecification caller, String datasource,
            String key, String body) {
        return caller.header("Idempotency-Key", key).contentType("application/json").body(body)
                .post("/api/v1/datasources/" + datasource + "/migrations");
    }

    private static Response reverse(String datasource, String key) {
        var request = Api.asOperator();
        if (key != null) {
            request = request.header("Idempotency-Key", key);
        }
        return request.post("/api/v1/datasources/" + datasource + "/reversals");
    }
}
