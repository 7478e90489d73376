package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.security.Scopes;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The canonical form and hash rule are exactly docs/audit.md's worked example, which any language can reproduce. */
class HashChainTest {

    private static final Operation EXAMPLE = new Operation(UUID.fromString("3f1c9a52-5a4e-4b7e-9a8e-2f0c1d9b7e21"),
            new OperationIntent(Direction.V1_TO_V2, "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01", "1", "MyCatalogName",
                    "NULL", "Orders é", "billing-svc", Instant.parse("2026-11-28T10:15:29.870123Z"), "req-42", "api-key",
                    "10.1.2.3", null, null),
            new Outcome(OperationState.COMPLETE, "DM4X9GT6H5-5ERQX-MPDO6", "2026-11-28T10:15:30Z",
                    "2026-11-28T10:15:33Z", null, 200, 3120L, Instant.parse("2026-11-28T10:15:33.120Z")),
            null, null, null);

    @Test
    void intentMatchesTheWorkedExample() {
        String payload = HashChain.intentPayload(EXAMPLE);
        assertThat(payload).isEqualTo("{\"accountId\":\"1\",\"authMethod\":\"api-key\",\"catalog\":\"MyCatalogName\","
                + "\"clientAddress\":\"10.1.2.3\",\"datasourceId\":\"495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01\","
                + "\"direction\":\"V1_TO_V2\",\"event\":\"INTENT\",\"operationId\":\"3f1c9a52-5a4e-4b7e-9a8e-2f0c1d9b7e21\","
                + "\"requestId\":\"req-42\",\"requestedAt\":\"2026-11-28T10:15:29.870123Z\",\"requestedBy\":\"billing-svc\","
                + "\"schema\":\"NULL\",\"table\":\"Orders é\"}");
        assertThat(HashChain.hash(HashChain.GENESIS, payload))
                .isEqualTo("da764e88edc87c21d9d34c60c41ac2a7269532fcf4fcb0a571f2e9d1c698e157");
    }

    /**
     * Intents recorded before scopes existed have none and hash as before (the worked example);
     * later ones carry the grant as a nested object, its members and lists sorted.
     */
    @Test
    void theGrantIsPartOfTheIntentOnlyWhenRecorded() {
        Scopes grant = Scopes.parse(new ObjectMapper().createObjectNode()
                .<com.fasterxml.jackson.databind.node.ObjectNode>set("datasources",
                        new ObjectMapper().createArrayNode().add("b-*").add("a"))
                .set("accounts", new ObjectMapper().createArrayNode().add("sales-*")));
        OperationIntent intent = EXAMPLE.intent();
        Operation scoped = new Operation(EXAMPLE.operationId(), new OperationIntent(intent.direction(),
                intent.datasourceId(), intent.accountId(), intent.catalog(), intent.schema(), intent.table(),
                intent.requestedBy(), intent.requestedAt(), intent.requestId(), intent.authMethod(),
                intent.clientAddress(), null, grant), EXAMPLE.outcome(), null, null, null);

        assertThat(HashChain.intentPayload(EXAMPLE)).doesNotContain("scopes");
        assertThat(HashChain.intentPayload(scoped))
                .contains(",\"schema\":\"NULL\",\"scopes\":{\"accounts\":[\"sales-*\"],\"datasources\":[\"a\",\"b-*\"]},"
                        + "\"table\":");
        assertThat(HashChain.intentPayload(new Operation(EXAMPLE.operationId(), new OperationIntent(intent.direction(),
                intent.datasourceId(), intent.accountId(), intent.catalog(), intent.schema(), intent.table(),
                intent.requestedBy(), intent.requestedAt(), intent.requestId(), intent.authMethod(),
                intent.clientAddress(), null, Scopes.UNRESTRICTED), EXAMPLE.outcome(), null, null, null)))
                .contains("\"scopes\":{}");
    }

    @Test
    void outcomeMatchesTheWorkedExample() {
        String payload = HashChain.outcomePayload(EXAMPLE);
        assertThat(payload).isEqualTo("{\"completedAt\":\"2026-11-28T10:15:33.120Z\",\"durationMs\":3120,"
                + "\"endTime\":\"2026-11-28T10:15:33Z\",\"errorMessage\":null,\"event\":\"OUTCOME\","
                + "\"operationId\":\"3f1c9a52-5a4e-4b7e-9a8e-2f0c1d9b7e21\",\"startTime\":\"2026-11-28T10:15:30Z\","
                + "\"state\":\"COMPLETE\",\"toe\":\"DM4X9GT6H5-5ERQX-MPDO6\",\"upstreamStatus\":200}");
        assertThat(HashChain.hash("da764e88edc87c21d9d34c60c41ac2a7269532fcf4fcb0a571f2e9d1c698e157", payload))
                .isEqualTo("674c17b1670ccb88abd5d60211d385009960b5de54171446e019267b50948b18");
    }
}
