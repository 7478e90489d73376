package com.domomigrationproxy.domo;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * The Domo token never leaves the upstream header: not in a response (even when Domo echoes it),
 * not in the log, not in an audit row, not in the OpenAPI document or health output.
 */
@QuarkusTest
class TokenSecrecyTest {

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @TestHTTPResource(value = "/health", management = true)
    URL health;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL readiness;

    @TestHTTPResource(value = "/health/live", management = true)
    URL liveness;

    @TestHTTPResource(value = "/health/started", management = true)
    URL started;

    @TestHTTPResource(value = "/health/group/domo", management = true)
    URL domoHealth;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Test
    void theCanaryTokenAppearsNowhere() throws Exception {
        domo.resetAll();
        String echo = "{\"status\":400,\"statusReason\":\"Bad Request\",\"message\":\"Token " + CANARY_TOKEN
                + " is not allowed here\",\"toe\":\"" + CANARY_TOKEN + "\"}";
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[\"mysql-federated\"]")));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/accounts/.*")).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withBody(echo)));
        domo.stubFor(get(urlMatching(DOMO_PREFIX + "/candidates/.*")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json").withBody(echo)));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/.*")).willReturn(aResponse().withStatus(422)
                .withHeader("Content-Type", "application/json").withBody(echo)));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"ABORTED\",\"errorMessage\":\"token "
                        + CANARY_TOKEN + " rejected\",\"toe\":\"T1\"}")));

        List<Response> responses = new ArrayList<>();
        responses.add(Api.asReader().get("/api/v1/integration-types"));
        responses.add(Api.asReader().get("/api/v1/integration-types/mysql-federated/accounts"));
        responses.add(Api.asReader().get("/api/v1/accounts/1/candidates"));
        String datasourceId = Api.uniqueDatasourceId();
        // With an Idempotency-Key, so that the answer is stored for repeats too.
        responses.add(Api.asOperator().contentType("application/json").header("Idempotency-Key",
                "secrecy-" + datasourceId)
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasourceId + "/migrations"));
        responses.add(Api.asOperator().post("/api/v1/datasources/" + datasourceId + "/reversals"));
        responses.add(given().get("/q/openapi"));
        responses.add(given().get(health.toString()));
        responses.add(given().get(metrics.toString()));
        responses.add(given().get("/api/v1/integration-types"));
        responses.add(given().get(readiness.toString()));
        responses.add(given().get(liveness.toString()));
        responses.add(given().get(started.toString()));
        responses.add(given().get(domoHealth.toString()));

        assertThat(responses.get(3).statusCode()).isEqualTo(422);
        assertThat(responses.get(4).jsonPath().getString("errorMessage")).isEqualTo("token [redacted] rejected");
        assertThat(responses.get(5).statusCode()).isEqualTo(200);
        assertThat(responses.get(6).statusCode()).as(health.toString()).isEqualTo(200);
        assertThat(responses.get(7).statusCode()).isEqualTo(200);
        for (Response healthResponse : responses.subList(9, 13)) {
            assertThat(healthResponse.statusCode()).isEqualTo(200);
        }
        for (Response response : responses) {
            assertThat(response.asString()).doesNotContain(CANARY_TOKEN);
            assertThat(response.headers().toString()).doesNotContain(CANARY_TOKEN);
        }

        // Every table that keeps what Domo said: operations, the chain, stored answers, plan items and their events.
        for (String table : List.of("operation", "audit_event", "idempotency_key", "plan_item", "plan_event")) {
            long rowsWithToken = (long) OperationRows.query(dataSource, "SELECT count(*) AS n FROM " + table
                    + " t WHERE t::text LIKE ?", "%" + CANARY_TOKEN + "%").get(0).get("n");
            assertThat(rowsWithToken).as(table).isZero();
        }
        assertThat(OperationRows.query(dataSource, "SELECT response_body FROM idempotency_key WHERE idempotency_key = ?",
                "secrecy-" + datasourceId)).singleElement().extracting(row -> row.get("response_body")).asString()
                .contains("[redacted]");
        assertThat(OperationRows.forDatasource(dataSource, datasourceId)).hasSize(2);

        String log = Files.readString(Path.of("target", "quarkus-test.log"));
        assertThat(log).contains(datasourceId).doesNotContain(CANARY_TOKEN);
    }

    /** Domo quoting the token cut short: no run of twelve of its characters gets out either. */
    @Test
    void aTokenDomoCutsShortIsRedactedToo() {
        domo.resetAll();
        String head = CANARY_TOKEN.substring(0, 20);
        String middle = CANARY_TOKEN.substring(6, 19).toUpperCase();
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/accounts/.*")).willReturn(aResponse().withStatus(422)
                .withHeader("Content-Type", "application/json").withBody("{\"message\":\"Token '" + head
                        + "...' may not migrate\",\"toe\":\"" + middle + "\"}")));
        domo.stubFor(post(urlMatching(DOMO_PREFIX + "/.*/reverse")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"ABORTED\",\"errorMessage\":"
                        + "\"token " + head + "\u2026 rejected\",\"toe\":\"T2\"}")));
        String datasourceId = Api.uniqueDatasourceId();

        Response migration = Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .post("/api/v1/datasources/" + datasourceId + "/migrations");
        Response reversal = Api.asOperator().post("/api/v1/datasources/" + datasourceId + "/reversals");

        assertThat(migration.statusCode()).isEqualTo(422);
        assertThat(migration.jsonPath().getString("detail")).isEqualTo("Token '[redacted]...' may not migrate");
        assertThat(migration.jsonPath().getString("domoToe")).isEqualTo("[redacted]");
        assertThat(reversal.jsonPath().getString("errorMessage")).isEqualTo("token [redacted]\u2026 rejected");
        List<String> kept = new ArrayList<>(List.of(migration.asString(), reversal.asString()));
        OperationRows.query(dataSource, "SELECT t::text AS row FROM operation t WHERE datasource_id = ?", datasourceId)
                .forEach(row -> kept.add((String) row.get("row")));
        assertThat(kept).hasSize(4);
        OperationRows.query(dataSource, "SELECT t::text AS row FROM audit_event t WHERE t::text LIKE ?",
                "%" + datasourceId + "%").forEach(row -> kept.add((String) row.get("row")));
        for (String text : kept) {
            for (int at = 0; at + 12 <= CANARY_TOKEN.length(); at++) {
                assertThat(text.toLowerCase()).doesNotContain(CANARY_TOKEN.substring(at, at + 12).toLowerCase());
            }
        }
    }
}
