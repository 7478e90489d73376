package com.domomigrationproxy.http;

import static com.domomigrationproxy.support.DomoWireMock.CANARY_TOKEN;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.TestCredentials;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * A credential a caller sends where none belongs (an API key's secret, the Domo token in any form)
 * is refused with a 400 that names the field and never quotes it: nothing is stored, Domo is not
 * called, and neither the log, the answer nor the audit trail carries it.
 */
@QuarkusTest
class CallerCredentialsTest {

    private static final Path LOG = Path.of("target", "quarkus-test.log");
    private static final String SECRET = TestCredentials.OPERATOR_KEY;
    private static final String AUDITORS = TestCredentials.AUDITOR_KEY;

    @InjectDomo
    WireMockServer domo;

    private long logged;
    private long lastSeq;

    @BeforeEach
    void mark() throws Exception {
        domo.resetAll();
        logged = Files.size(LOG);
        Long last = Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).extract().jsonPath()
                .getObject("lastSeq", Long.class);
        lastSeq = last == null ? 0 : last;
    }

    @Test
    void aMigrationWhoseFieldsCarryACredentialIsRefusedBeforeAnythingIsRecorded() throws Exception {
        String datasourceId = Api.uniqueDatasourceId();
        String base64Token = Base64.getEncoder().encodeToString(CANARY_TOKEN.getBytes(StandardCharsets.UTF_8));
        Response refused = Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"" + AUDITORS + "\",\"schema\":\"s\",\"table\":\"sales "
                        + base64Token + "\"}")
                .post("/api/v1/datasources/" + datasourceId + "/migrations");
        refused.then().statusCode(400).contentType("application/problem+json")
                .body("errors.field", equalTo(java.util.List.of("catalog", "table")));
        assertNotEchoed(refused);
        assertThat(refused.asString()).doesNotContain(AUDITORS);
        domo.verify(0, anyRequestedFor(anyUrl()));
        Api.asAuditor().get("/api/v1/audit/operations?datasourceId=" + datasourceId).then().statusCode(200)
                .body("items.size()", equalTo(0));
        // Said once per key and place: this class's other tests paste the operator's key, not the auditor's.
        assertLogClean("A field of a request body or form carried the secret of API key auditor-svc");
        assertThat(logSinceMark()).doesNotContain(AUDITORS);
    }

    @Test
    void anIdempotencyKeyThatIsASecretIsRefused() throws Exception {
        Response refused = Api.asOperator().header("Idempotency-Key", SECRET)
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals");
        refused.then().statusCode(400).body("errors.field", hasItem("Idempotency-Key"));
        assertNotEchoed(refused);
        domo.verify(0, anyRequestedFor(anyUrl()));
        assertLogClean("Idempotency-Key carried the secret of API key operator-svc");
    }

    /** A credential in a second Idempotency-Key is named as one, not only as a second key (idempotency review). */
    @Test
    void aSecondIdempotencyKeyThatIsASecretIsRefusedAsOne() throws Exception {
        Response refused = Api.asOperator().header("Idempotency-Key", "k-" + java.util.UUID.randomUUID())
                .header("Idempotency-Key", AUDITORS)
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals");
        refused.then().statusCode(400).body("errors.field", hasItem("Idempotency-Key"))
                .body("errors.message", hasItem(com.domomigrationproxy.http.CallerSecrets.RULE));
        assertNotEchoed(refused);
        assertThat(refused.asString()).doesNotContain(AUDITORS);
        domo.verify(0, anyRequestedFor(anyUrl()));
        assertThat(logSinceMark()).contains("Idempotency-Key carried the secret of API key").doesNotContain(AUDITORS);
    }

    /** In the path, the credential is refused before routing; the log line and the problem show the path without it. */
    @Test
    void aPathOrQueryThatCarriesACredentialIsRefusedAndNeverShown() throws Exception {
        String upper = CANARY_TOKEN.toUpperCase(Locale.ROOT);
        Response inPath = Api.asReader().get("/api/v1/integration-types/" + upper + "/accounts");
        inPath.then().statusCode(400).body("instance", equalTo("/api/v1/integration-types/[redacted]/accounts"))
                .body("errors.field", hasItem("path"));
        assertNotEchoed(inPath);
        String requestId = inPath.header("X-Request-Id");

        Response keyInPath = Api.asOperator().post("/api/v1/datasources/" + SECRET + "/reversals");
        keyInPath.then().statusCode(400).body("instance", equalTo("/api/v1/datasources/[redacted]/reversals"));
        assertNotEchoed(keyInPath);

        Response inQuery = Api.asAuditor().get("/api/v1/audit/operations?requestedBy=" + SECRET);
        inQuery.then().statusCode(400).body("errors.field", hasItem("query"));
        assertNotEchoed(inQuery);
        // Percent-encoded, as a client's URL builder sends it.
        Api.asAuditor().urlEncodingEnabled(false).get("/api/v1/audit/operations?requestedBy=x%20"
                + CANARY_TOKEN.replace("-", "%2D")).then().statusCode(400);

        // Where the JAX-RS decoder splits a query, too.
        Api.asAuditor().urlEncodingEnabled(false).get("/api/v1/audit/operations?limit=10;requestedBy=" + SECRET)
                .then().statusCode(400).body("errors.field", hasItem("query"));
        // A path refused for another reason shows it without the credential all the same.
        Response notCanonical = Api.asAuditor().get("/api/v1/audit/operations/" + SECRET + "/");
        notCanonical.then().statusCode(400).body("instance", equalTo("/api/v1/audit/operations/[redacted]/"));
        assertThat(notCanonical.asString()).doesNotContain(SECRET);

        // An audit path is on the record even when refused at the edge: with the path shown in its place.
        Response auditPath = Api.asAuditor().get("/api/v1/audit/operations/" + SECRET);
        auditPath.then().statusCode(400);
        assertNotEchoed(auditPath);

        domo.verify(0, anyRequestedFor(anyUrl()));
        String log = logSinceMark();
        assertThat(log).contains("requestId=" + requestId).contains("path=/api/v1/integration-types/[redacted]/accounts");
        assertLogClean("The path carried the Domo developer token");
        // The audit API's refusal is logged, and recorded (in the tests, the first few refusals of
        // callers nobody identified are; the rest are counted), with the path it is shown as.
        assertThat(log).contains("answered 400 before it was served: GET /api/v1/audit/operations/[redacted]");
        Thread.sleep(500); // a refusal on the event loop is appended to the chain off it
        String events = Api.asAuditor().get("/api/v1/audit/events?fromSeq=" + (lastSeq + 1) + "&limit=500").then()
                .statusCode(200).extract().asString();
        assertThat(events).doesNotContain(SECRET).doesNotContainIgnoringCase(CANARY_TOKEN);
    }

    @Test
    void aPlanWithACredentialInAnItemIsRefusedNamingTheItem() throws Exception {
        String json = "{\"name\":\"wave\",\"direction\":\"V1_TO_V2\",\"items\":["
                + "{\"datasourceId\":\"" + Api.uniqueDatasourceId() + "\",\"accountId\":\"1\",\"catalog\":\"c\","
                + "\"schema\":\"s\",\"table\":\"t\"},"
                + "{\"datasourceId\":\"" + Api.uniqueDatasourceId() + "\",\"accountId\":\"1\",\"catalog\":\"c\","
                + "\"schema\":\"s\",\"table\":\"" + SECRET + "\"}]}";
        Response refused = Api.asOperator().contentType("application/json").body(json).post("/api/v1/plans");
        refused.then().statusCode(400).body("errors.field", equalTo(java.util.List.of("items[1].table")));
        assertNotEchoed(refused);

        String csv = "datasourceId,accountId,catalog,schema,table\n"
                + Api.uniqueDatasourceId() + ",1,c,s,t\n"
                + Api.uniqueDatasourceId() + ",1,c,\"note: " + CANARY_TOKEN + "\",t\n"
                // Quotes inside a field are taken out as the upload reads it.
                + Api.uniqueDatasourceId() + ",1,c,s,\"" + SECRET.substring(0, 5) + "\"" + SECRET.substring(5) + "\r\n";
        Response csvRefused = Api.asOperator().contentType("text/csv; charset=utf-8").body(csv).post("/api/v1/plans?name=wave");
        csvRefused.then().statusCode(400).body("errors.field", equalTo(java.util.List.of("line", "line")))
                .body("errors.line", equalTo(java.util.List.of(3, 4)));
        assertNotEchoed(csvRefused);
        domo.verify(0, anyRequestedFor(anyUrl()));
        assertLogClean(null);
    }

    /** Free text: a secret pasted among other words, with a sentence's full stop after it. */
    @Test
    void aNoteOrCommentThatCarriesACredentialIsRefused() throws Exception {
        Response note = resolve("checked with key " + SECRET + ".");
        note.then().statusCode(400).body("errors.field", equalTo(java.util.List.of("note")));
        assertNotEchoed(note);
        // As a word beside '=' or after a URL's many '/', and as a whole value with a full stop after it.
        for (String pasted : new String[] { "old PROXY_KEY=" + SECRET, SECRET + ".",
                "see https://h/a/b/c/d/e/f/g/h/i/" + SECRET }) {
            resolve(pasted).then().statusCode(400);
        }
        // A word that merely contains a secret is not one.
        resolve("checked " + SECRET + "-and-more").then().statusCode(404);

        Response comment = given().auth().oauth2(Tokens.jwt("approver-credentials", "approver"))
                .contentType("application/json")
                .body("{\"decision\":\"APPROVE\",\"contentHash\":\"" + "0".repeat(64) + "\",\"comment\":\"token "
                        + CANARY_TOKEN + "\"}")
                .post("/api/v1/plans/" + UUID.randomUUID() + "/approvals");
        comment.then().statusCode(400).body("errors.field", equalTo(java.util.List.of("comment")));
        assertNotEchoed(comment);
        assertLogClean(null);
    }

    /** A resolution of an operation that does not exist, with this note. */
    private static Response resolve(String note) {
        return Api.asOperator().contentType("application/json")
                .body("{\"state\":\"ABORTED\",\"note\":\"" + note + "\"}")
                .post("/api/v1/operations/" + UUID.randomUUID() + "/reconciliation");
    }

    private static void assertNotEchoed(Response response) {
        assertThat(response.asString()).doesNotContain(SECRET).doesNotContainIgnoringCase(CANARY_TOKEN)
                .contains("carries a credential");
    }

    private void assertLogClean(String warning) throws Exception {
        String log = logSinceMark();
        if (warning != null) {
            assertThat(log).contains(warning);
        }
        assertThat(log).doesNotContain(SECRET).doesNotContainIgnoringCase(CANARY_TOKEN);
    }

    private String logSinceMark() throws Exception {
        byte[] all = Files.readAllBytes(LOG);
        return new String(all, (int) logged, all.length - (int) logged, StandardCharsets.UTF_8);
    }
}
