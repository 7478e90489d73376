package com.domomigrationproxy.migration;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.domomigrationproxy.support.DomoWireMock.TOKEN_HEADER;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;

import io.quarkus.test.junit.QuarkusTest;

/** The five operations: what reaches Domo, exactly, and what the caller gets back. */
@QuarkusTest
class MigrationResourceTest {

    private static final String JSON = "application/json";
    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @BeforeEach
    void reset() {
        domo.resetAll();
    }

    @Test
    void listsIntegrationTypesWithTheServiceTokenOnly() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(okJson("[\"mysql-federated\",\"snowflake-federated\"]")));

        Api.asReader()
                .cookie("session", "caller-cookie")
                .header("X-DOMO-Developer-Token", "caller-supplied-token")
                .header("X-DOMO-Anything", "caller")
                .when().get("/api/v1/integration-types")
                .then().statusCode(200)
                .contentType(JSON)
                .header("X-Request-Id", notNullValue())
                .body("$", org.hamcrest.Matchers.contains("mysql-federated", "snowflake-federated"));

        // Reads keep their connections (the hot path); one that breaks is simply asked again.
        domo.verify(1, withOnlyServiceCredentials(getRequestedFor(urlEqualTo(DOMO_PREFIX + "/types")))
                .withoutHeader("Connection"));
        assertThat(domo.getAllServeEvents().get(0).getRequest().getHeaders().keys())
                .noneMatch(name -> name.equalsIgnoreCase("X-DOMO-Anything"));
    }

    @Test
    void listsAccountsPassingDomoFieldsThrough() {
        domo.stubFor(get(DOMO_PREFIX + "/accounts/mysql-federated").willReturn(okJson(
                "[{\"id\":\"2\",\"type\":\"mysql-federated\",\"name\":\"mysql v2 agent\",\"extra\":{\"a\":1}}]")));

        given("Bearer " + Tokens.jwt("alice", "operator"))
                .when().get("/api/v1/integration-types/mysql-federated/accounts")
                .then().statusCode(200)
                .body("[0].id", equalTo("2"))
                .body("[0].type", equalTo("mysql-federated"))
                .body("[0].name", equalTo("mysql v2 agent"))
                .body("[0].extra.a", equalTo(1));

        domo.verify(1, withOnlyServiceCredentials(
                getRequestedFor(urlEqualTo(DOMO_PREFIX + "/accounts/mysql-federated"))));
    }

    @Test
    void listsCandidatesOfANonUuidAccount() {
        domo.stubFor(get(DOMO_PREFIX + "/candidates/F495e28ec-1").willReturn(okJson(
                "[{\"id\":\"495e\",\"name\":\"MySQL Table 1\",\"migrated\":false,\"migrationDate\":null}]")));

        Api.asReader().when().get("/api/v1/accounts/F495e28ec-1/candidates")
                .then().statusCode(200)
                .body("[0].id", equalTo("495e"))
                .body("[0].migrated", equalTo(false))
                .body("[0].migrationDate", nullValue());

        domo.verify(1, withOnlyServiceCredentials(getRequestedFor(urlEqualTo(DOMO_PREFIX + "/candidates/F495e28ec-1"))));
    }

    @Test
    void migratesAndRecordsTheOperation() {
        String datasourceId = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasourceId + "/accounts/1").willReturn(okJson("{\"toe\":\"DM4X9GT6H5-5ERQX\","
                + "\"datasourceId\":\"" + datasourceId + "\",\"direction\":\"V1_TO_V2\",\"startTime\":\"2026-11-28T10:00:00Z\","
                + "\"state\":\"COMPLETE\",\"errorMessage\":null,\"endTime\":\"2026-11-28T10:00:03Z\"}")));

        String operationId = Api.asOperator()
                .header("Authorization", "Basic c29tZW9uZTpzZWNyZXQ=")
                .cookie("JSESSIONID", "caller-cookie")
                .contentType(JSON)
                .body("{\"accountId\":\"1\",\"catalog\":\"MyCatalogName\",\"schema\":\"NULL\",\"table\":\"MyTable\"}")
                .when().post("/api/v1/datasources/" + datasourceId + "/migrations")
                .then().statusCode(200)
                .body("operationId", matchesPattern(UUID_PATTERN))
                .body("direction", equalTo("V1_TO_V2"))
                .body("datasourceId", equalTo(datasourceId))
                .body("accountId", equalTo("1"))
                .body("catalog", equalTo("MyCatalogName"))
                .body("schema", equalTo("NULL"))
                .body("table", equalTo("MyTable"))
                .body("state", equalTo("COMPLETE"))
                .body("toe", equalTo("DM4X9GT6H5-5ERQX"))
                .body("startTime", equalTo("2026-11-28T10:00:00Z"))
                .body("endTime", equalTo("2026-11-28T10:00:03Z"))
                .body("errorMessage", nullValue())
                .body("requestedBy", equalTo("operator-svc"))
                .body("requestedAt", notNullValue())
                .body("completedAt", notNullValue())
                .extract().path("operationId");

        domo.verify(1, withOnlyServiceCredentials(postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasourceId + "/accounts/1"))
                .withHeader("Content-Type", matching("application/json.*"))
                // On a connection of its own: on a kept-alive one that Domo closes as idle just as it is
                // written, a migration breaks after it may have been sent and is left UNKNOWN.
                .withHeader("Connection", WireMock.equalToIgnoreCase("close"))
                .withRequestBody(equalToJson("{\"catalog\":\"MyCatalogName\",\"schema\":\"NULL\",\"table\":\"MyTable\"}"))));

        List<Map<String, Object>> rows = OperationRows.forDatasource(dataSource, datasourceId);
        assertThat(rows).hasSize(1);
        Map<String, Object> row = rows.get(0);
        assertThat(row.get("operation_id")).hasToString(operationId);
        assertThat(row).containsEntry("state", "COMPLETE").containsEntry("direction", "V1_TO_V2")
                .containsEntry("account_id", "1").containsEntry("catalog_name", "MyCatalogName")
                .containsEntry("schema_name", "NULL").containsEntry("table_name", "MyTable")
                .containsEntry("requested_by", "operator-svc").containsEntry("auth_method", "api-key")
                .containsEntry("toe", "DM4X9GT6H5-5ERQX").containsEntry("upstream_status", 200);
        assertThat(row.get("request_id")).isNotNull();
        assertThat(row.get("client_address")).isNotNull();
        assertThat(row.get("completed_at")).isNotNull();
        assertThat(row.get("duration_ms")).isNotNull();
    }

    @Test
    void returnsDomoStateIncompleteAs200() {
        String datasourceId = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasourceId + "/accounts/7").willReturn(okJson("{\"toe\":\"T-1\","
                + "\"datasourceId\":\"" + datasourceId + "\",\"direction\":\"V1_TO_V2\",\"startTime\":\"s\","
                + "\"state\":\"INCOMPLETE\",\"errorMessage\":\"Copy failed half way\",\"endTime\":\"e\"}")));

        Api.asOperator().contentType(JSON)
                .body("{\"accountId\":\"7\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}")
                .when().post("/api/v1/datasources/" + datasourceId + "/migrations")
                .then().statusCode(200)
                .body("state", equalTo("INCOMPLETE"))
                .body("errorMessage", equalTo("Copy failed half way"));

        assertThat(OperationRows.forDatasource(dataSource, datasourceId)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("state", "INCOMPLETE")
                        .containsEntry("error_message", "Copy failed half way"));
    }

    @Test
    void reversesWithAJwtPrincipal() {
        String datasourceId = Api.uniqueDatasourceId();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasourceId + "/reverse").willReturn(okJson("{\"toe\":\"T-2\","
                + "\"datasourceId\":\"" + datasourceId + "\",\"direction\":\"V2_TO_V1\",\"startTime\":\"s\","
                + "\"state\":\"COMPLETE\",\"errorMessage\":null,\"endTime\":\"e\"}")));

        given("Bearer " + Tokens.jwt("carol@example.com", "operator"))
                .when().post("/api/v1/datasources/" + datasourceId + "/reversals")
                .then().statusCode(200)
                .body("direction", equalTo("V2_TO_V1"))
                .body("state", equalTo("COMPLETE"))
                .body("accountId", nullValue())
                .body("catalog", nullValue())
                .body("schema", nullValue())
                .body("table", nullValue())
                .body("requestedBy", equalTo("carol@example.com"));

        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasourceId + "/reverse"))
                .withHeader(TOKEN_HEADER, WireMock.equalTo(CANARY_TOKEN))
                .withHeader("Connection", WireMock.equalToIgnoreCase("close"))
                .withoutHeader("Authorization")
                .withoutHeader("X-API-Key"));
        assertThat(OperationRows.forDatasource(dataSource, datasourceId)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("direction", "V2_TO_V1")
                        .containsEntry("requested_by", "carol@example.com").containsEntry("auth_method", "jwt")
                        .containsEntry("account_id", null));
    }

    @Test
    void echoesAValidRequestIdAndReplacesAnInvalidOne() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(okJson("[]")));

        // No cache on the way keeps an answer given to one caller (an API key is no Authorization header).
        Api.asReader().header("X-Request-Id", "trace-abc_123.4").when().get("/api/v1/integration-types")
                .then().statusCode(200).header("X-Request-Id", "trace-abc_123.4").header("Cache-Control", "no-store");
        Api.asReader().header("X-Request-Id", "bad id\u00e9<script>").when().get("/api/v1/integration-types")
                .then().statusCode(200).header("X-Request-Id", matchesPattern(UUID_PATTERN));
    }

    @Test
    void stampsRequestIdOnProblemsToo() {
        io.restassured.RestAssured.given().header("X-Request-Id", "req-401")
                .when().get("/api/v1/integration-types")
                .then().statusCode(401)
                .header("X-Request-Id", "req-401").header("Cache-Control", "no-store")
                .body("requestId", equalTo("req-401"));
    }

    private static io.restassured.specification.RequestSpecification given(String authorization) {
        return io.restassured.RestAssured.given().header("Authorization", authorization);
    }

    private static RequestPatternBuilder withOnlyServiceCredentials(RequestPatternBuilder request) {
        return request.withHeader(TOKEN_HEADER, WireMock.equalTo(CANARY_TOKEN))
                .withoutHeader("Authorization")
                .withoutHeader("X-API-Key")
                .withoutHeader("Cookie");
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder okJson(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", JSON).withBody(body);
    }
}
