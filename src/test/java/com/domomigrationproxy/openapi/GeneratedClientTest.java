package com.domomigrationproxy.openapi;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.OffsetDateTime;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.openapi.client.ApiClient;
import com.domomigrationproxy.openapi.client.ApiException;
import com.domomigrationproxy.openapi.client.api.AuditApi;
import com.domomigrationproxy.openapi.client.api.MigrationApi;
import com.domomigrationproxy.openapi.client.model.Direction;
import com.domomigrationproxy.openapi.client.model.IntegrationAccount;
import com.domomigrationproxy.openapi.client.model.IntegrityReport;
import com.domomigrationproxy.openapi.client.model.MigrationCandidate;
import com.domomigrationproxy.openapi.client.model.MigrationRequest;
import com.domomigrationproxy.openapi.client.model.Operation;
import com.domomigrationproxy.openapi.client.model.OperationPage;
import com.domomigrationproxy.openapi.client.model.OperationState;
import com.domomigrationproxy.openapi.client.model.Problem;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.TestCredentials;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What an internal service gets from docs/openapi.yaml: the Java client the build generates from it
 * (openapi-generator, java.net.http) drives the five operations and an audit query against the running
 * service, with typed parameters and answers.
 */
@QuarkusTest
class GeneratedClientTest {

    @InjectDomo
    WireMockServer domo;

    @TestHTTPResource("/")
    URI service;

    @BeforeEach
    void reset() {
        domo.resetAll();
    }

    @Test
    void drivesTheFiveOperationsAndAnAuditQuery() throws ApiException {
        String datasourceId = Api.uniqueDatasourceId();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(json("[\"mysql-federated\",\"snowflake-federated\"]")));
        domo.stubFor(get(DOMO_PREFIX + "/accounts/mysql-federated").willReturn(json(
                "[{\"id\":\"2\",\"type\":\"mysql-federated\",\"name\":\"mysql v2 agent\"}]")));
        domo.stubFor(get(DOMO_PREFIX + "/candidates/2").willReturn(json("[{\"id\":\"" + datasourceId
                + "\",\"name\":\"MySQL Table 1\",\"migrated\":false,\"migrationDate\":null}]")));
        domo.stubFor(post(DOMO_PREFIX + "/" + datasourceId + "/accounts/2").willReturn(json(domoResult(datasourceId,
                "V1_TO_V2", "T-migrate"))));
        domo.stubFor(post(DOMO_PREFIX + "/" + datasourceId + "/reverse").willReturn(json(domoResult(datasourceId,
                "V2_TO_V1", "T-reverse"))));
        MigrationApi migration = new MigrationApi(client(TestCredentials.OPERATOR_KEY));

        List<String> types = migration.listIntegrationTypes();
        assertThat(types).containsExactly("mysql-federated", "snowflake-federated");

        List<IntegrationAccount> accounts = migration.listAccounts(types.get(0));
        assertThat(accounts).singleElement().satisfies(account -> {
            assertThat(account.getId()).isEqualTo("2");
            assertThat(account.getName()).isEqualTo("mysql v2 agent");
        });

        List<MigrationCandidate> candidates = migration.listCandidates(accounts.get(0).getId());
        assertThat(candidates).singleElement().satisfies(candidate -> {
            assertThat(candidate.getId()).isEqualTo(datasourceId);
            assertThat(candidate.getMigrated()).isFalse();
            assertThat(candidate.getMigrationDate()).isNull();
        });

        Operation migrated = migration.migrateDatasource(datasourceId, new MigrationRequest().accountId("2")
                .catalog("MyCatalogName").schema("NULL").table("MyTableName"), "client-test-" + datasourceId);
        assertThat(migrated.getOperationId()).isNotNull();
        assertThat(migrated.getDirection()).isEqualTo(Direction.V1_TO_V2);
        assertThat(migrated.getState()).isEqualTo(OperationState.COMPLETE);
        assertThat(migrated.getDatasourceId()).isEqualTo(datasourceId);
        assertThat(migrated.getAccountId()).isEqualTo("2");
        assertThat(migrated.getSchema()).isEqualTo("NULL");
        assertThat(migrated.getToe()).isEqualTo("T-migrate");
        assertThat(migrated.getRequestedBy()).isEqualTo("operator-svc");
        assertThat(migrated.getUpstreamStatus()).isEqualTo(200);
        assertThat(migrated.getCompletedAt()).isAfterOrEqualTo(migrated.getRequestedAt());
        domo.verify(1, postRequestedFor(urlEqualTo(DOMO_PREFIX + "/" + datasourceId + "/accounts/2"))
                .withRequestBody(equalToJson("{\"catalog\":\"MyCatalogName\",\"schema\":\"NULL\",\"table\":\"MyTableName\"}")));

        Operation reversed = migration.reverseMigration(datasourceId, null);
        assertThat(reversed.getDirection()).isEqualTo(Direction.V2_TO_V1);
        assertThat(reversed.getState()).isEqualTo(OperationState.COMPLETE);
        assertThat(reversed.getAccountId()).isNull();
        assertThat(reversed.getToe()).isEqualTo("T-reverse");

        AuditApi audit = new AuditApi(client(TestCredentials.AUDITOR_KEY));
        OperationPage page = audit.listOperations(AuditApi.APIListOperationsRequest.newBuilder()
                .datasourceId(datasourceId)
                .direction(Direction.V1_TO_V2)
                .state(OperationState.COMPLETE)
                .from(migrated.getRequestedAt().minusSeconds(1))
                .to(OffsetDateTime.now().plusMinutes(1))
                .limit(10)
                .build());
        assertThat(page.getItems()).singleElement().satisfies(operation -> {
            assertThat(operation.getOperationId()).isEqualTo(migrated.getOperationId());
            assertThat(operation.getChain()).isNotNull();
            assertThat(operation.getChain().getIntent().getHash()).matches("[0-9a-f]{64}");
        });
        assertThat(page.getNextCursor()).isNull();
        assertThat(audit.getOperation(reversed.getOperationId()).getDirection()).isEqualTo(Direction.V2_TO_V1);

        IntegrityReport integrity = audit.verifyIntegrity();
        assertThat(integrity.getValid()).isTrue();
        assertThat(integrity.getFirstInvalid()).isNull();
    }

    @Test
    void answersProblemsTheClientCanRead() {
        MigrationApi migration = new MigrationApi(client(TestCredentials.OPERATOR_KEY));

        ApiException invalid = catchThrowableOfType(ApiException.class, () -> migration.migrateDatasource(
                Api.uniqueDatasourceId(), new MigrationRequest().accountId("2").catalog("").schema("s").table("t"),
                null));

        assertThat(invalid.getCode()).isEqualTo(400);
        Problem problem = readProblem(invalid);
        assertThat(problem.getType()).isEqualTo("urn:problem-type:domo-migration-proxy:invalid-request");
        assertThat(problem.getStatus()).isEqualTo(400);
        assertThat(problem.getErrors()).anySatisfy(error -> assertThat(error.getField()).isEqualTo("catalog"));
        assertThat(domo.getAllServeEvents()).isEmpty();

        ApiException forbidden = catchThrowableOfType(ApiException.class,
                () -> new AuditApi(client(TestCredentials.READER_KEY)).verifyIntegrity());
        assertThat(forbidden.getCode()).isEqualTo(403);
        assertThat(readProblem(forbidden).getStatus()).isEqualTo(403);
    }

    private ApiClient client(String apiKey) {
        ApiClient client = new ApiClient();
        // As docs/api.md advises over http://: no h2c upgrade, which Java's client sometimes misreads.
        client.setHttpClientBuilder(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1));
        client.updateBaseUri(service.toString().replaceAll("/$", ""));
        client.setRequestInterceptor(request -> request.header("X-API-Key", apiKey));
        return client;
    }

    private static Problem readProblem(ApiException exception) {
        try {
            return new ApiClient().getObjectMapper().readValue(exception.getResponseBody(), Problem.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError("not a problem document: " + exception.getResponseBody(), e);
        }
    }

    private static String domoResult(String datasourceId, String direction, String toe) {
        return "{\"toe\":\"" + toe + "\",\"datasourceId\":\"" + datasourceId + "\",\"direction\":\"" + direction
                + "\",\"startTime\":\"2026-11-28T10:00:00Z\",\"state\":\"COMPLETE\",\"errorMessage\":null,"
                + "\"endTime\":\"2026-11-28T10:00:03Z\"}";
    }

    private static ResponseDefinitionBuilder json(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }
}
