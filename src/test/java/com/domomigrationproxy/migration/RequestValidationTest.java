package com.domomigrationproxy.migration;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.TestCredentials;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;

/** Hostile paths and malformed bodies get a 4xx problem, never a 500, and never reach Domo or the audit table. */
@QuarkusTest
class RequestValidationTest {

    private static final String INVALID = "urn:problem-type:domo-migration-proxy:invalid-request";

    @InjectDomo
    WireMockServer domo;

    @Inject
    DataSource dataSource;

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    private long operationsBefore;

    /** The service's log in this test run. */
    private static final java.nio.file.Path TEST_LOG = java.nio.file.Path.of("target", "quarkus-test.log");

    @BeforeEach
    void reset() {
        domo.resetAll();
        operationsBefore = countOperations();
    }

    @AfterEach
    void nothingReachedDomoOrTheAuditTrail() {
        domo.verify(0, anyRequestedFor(anyUrl()));
        assertThat(countOperations()).isEqualTo(operationsBefore);
    }

    /** Raw paths, sent byte for byte (no client-side normalisation or encoding). */
    @ParameterizedTest
    @ValueSource(strings = {
            "/api/v1/accounts/../candidates",
            "/api/v1/accounts/..%2F..%2Ftypes/candidates",
            "/api/v1/accounts/%2e%2e/candidates",
            "/api/v1/accounts/%2E%2E%2Fadmin/candidates",
            "/api/v1/accounts/a%2Fb/candidates",
            "/api/v1/accounts/a%5Cb/candidates",
            "/api/v1/accounts/a%00b/candidates",
            "/api/v1/accounts/a%20b/candidates",
            "/api/v1/accounts/%C3%A9t%C3%A9/candidates",
            "/api/v1/accounts//candidates",
            "/api/v1/accounts/./candidates",
            "/api/v1/integration-types/mysql;x=1/accounts",
            "/api/v1/integration-types/my.sql/accounts",
            "//api/v1/integration-types",
            "/x/../api/v1/integration-types",
            "/%61pi/v1/integration-types",
            "/api/v1/./integration-types",
            "/q/../api/v1/integration-types",
            "/api;x/v1/integration-types",
            "/api;x/v1/datasources/mx-1;y=z/migrations",
            "/console;x/history" })
    void hostilePathsAreRejected(String rawPath) throws Exception {
        HttpResponse<String> response = send("GET", rawPath, null);
        assertThat(response.statusCode()).as(rawPath).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.headers().firstValue("X-Request-Id")).isPresent();
        assertThat(response.body()).contains(INVALID);
    }

    @Test
    void hostilePathsOnPostsAreRejected() throws Exception {
        assertThat(send("POST", "/api/v1/datasources/..%2F..%2Ftypes/reversals", "").statusCode()).isEqualTo(400);
        assertThat(send("POST", "/api/v1/datasources/%2e%2e/migrations",
                "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void identifierOf129CharactersIsRejected() {
        Api.asReader().when().get("/api/v1/accounts/" + "a".repeat(129) + "/candidates")
                .then().statusCode(400)
                .body("type", equalTo(INVALID))
                .body("errors.field", hasItem("accountId"));
        Api.asOperator().when().post("/api/v1/datasources/" + "d".repeat(129) + "/reversals")
                .then().statusCode(400).body("errors.field", hasItem("datasourceId"));
    }

    @Test
    void unicodeIdentifiersAreRejected() {
        Api.asReader().urlEncodingEnabled(true).when().get("/api/v1/integration-types/{type}/accounts", "mysql\u2028x")
                .then().statusCode(400).body("type", equalTo(INVALID));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"schema\":\"s\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\"}",
            "{\"accountId\":1,\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":[\"c\"],\"schema\":\"s\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":null,\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":true}",
            "{\"accountId\":\"1\",\"catalog\":\"\",\"schema\":\"s\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\\u0000\",\"schema\":\"s\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"line\\nbreak\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\\u009b\"}",
            "{\"accountId\":\"../x\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"tabel\":\"t\"}",
            "[]",
            "\"text\"",
            "null",
            "{\"accountId\":\"1\",\"catalog\":\"c\"",
            "{accountId: 1}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"table\":\"u\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"} trailing",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}{\"accountId\":\"2\"}",
            "{\"accountId\":\"1\",\"catalog\":\"\\ud800c\",\"schema\":\"s\",\"table\":\"t\"}",
            "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\\udfff\",\"table\":\"t\"}",
            "" })
    void invalidBodiesAreRejected(String body) {
        Api.asOperator().contentType("application/json").body(body)
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo(INVALID))
                .body("requestId", notNullValue());
    }

    /** Every body that is not one JSON value says so, and where, not only that it "could not be processed". */
    @ParameterizedTest
    @MethodSource("notJson")
    void aBodyThatIsNotJsonSaysSo(String body) throws Exception {
        // Sent by the JDK's client: REST Assured took seven seconds to send the 10,000 brackets.
        HttpResponse<String> response = post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations",
                "application/json", body.getBytes(StandardCharsets.UTF_8), "X-API-Key", TestCredentials.OPERATOR_KEY);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(io.restassured.path.json.JsonPath.from(response.body()).getString("detail"))
                .startsWith("The request body is not valid JSON");
    }

    static java.util.stream.Stream<String> notJson() {
        return java.util.stream.Stream.of(
                "{\"accountId\":\"1\",\"catalog\":\"c\",\"catalog\":\"d\",\"schema\":\"s\",\"table\":\"t\"}",
                "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}x",
                "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\",}",
                "{\"accountId\":NaN}",
                "{\"accountId\":\"1\"} /* comment */",
                "{\"accountId\":\"1\",\"catalog\":\"c\"",
                // Nested too deep, a number too long: the parser's limits.
                "[".repeat(5_000) + "]".repeat(5_000),
                "{\"accountId\":" + "9".repeat(5_000) + "}");
    }

    @Test
    void namesOfMoreThan255CharactersAreRejectedAnd255Accepted() {
        String tooLong = "{\"accountId\":\"1\",\"catalog\":\"" + "c".repeat(256) + "\",\"schema\":\"s\",\"table\":\"t\"}";
        Api.asOperator().contentType("application/json").body(tooLong)
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations")
                .then().statusCode(400)
                .body("errors.find { it.field == 'catalog' }.message", equalTo("must be 1 to 255 characters"));
    }

    @Test
    void everyProblemOfABodyIsReportedAtOnce() {
        Api.asOperator().contentType("application/json").body("{\"accountId\":7,\"schema\":\"\",\"table\":\"t\"}")
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations")
                .then().statusCode(400)
                .body("errors.field", org.hamcrest.Matchers.containsInAnyOrder("accountId", "catalog", "schema"));
    }

    /** JSON is UTF-8: a body Jackson would recognise as UTF-16 or UTF-32 is refused as another charset is. */
    @ParameterizedTest
    @ValueSource(strings = { "UTF-16LE", "UTF-16BE", "UTF-16", "UTF-32LE" })
    void aJsonBodyInAnotherUnicodeEncodingIs415(String encoding) throws Exception {
        byte[] body = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}"
                .getBytes(java.nio.charset.Charset.forName(encoding));
        HttpResponse<String> response = post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations",
                "application/json", body, "X-API-Key", TestCredentials.OPERATOR_KEY);
        assertThat(response.statusCode()).as(encoding).isEqualTo(415);
        assertThat(response.body()).contains("UTF-8");
    }

    /** Thousands of made-up fields are not answered with thousands of errors: ten named, the rest counted. */
    @Test
    void manyUnknownFieldsAreNamedTenThenCounted() {
        StringBuilder body = new StringBuilder("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"");
        for (int i = 0; i < 3_000; i++) {
            body.append(",\"f").append(i).append("\":1");
        }
        String answer = Api.asOperator().contentType("application/json").body(body.append('}').toString())
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations")
                .then().statusCode(400).body("errors", org.hamcrest.Matchers.hasSize(11))
                .body("errors[0].field", equalTo("f0")).body("errors[9].field", equalTo("f9"))
                .body("errors[10].field", equalTo("(2990 more)")).extract().asString();
        assertThat(answer.length()).isLessThan(2_000);
    }

    @Test
    void wrongContentTypeIs415() {
        Api.asOperator().contentType("text/plain").body("accountId=1")
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations")
                .then().statusCode(415).contentType("application/problem+json")
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:unsupported-media-type"));
    }

    @Test
    void hugeBodyIsRejected() {
        String huge = "{\"accountId\":\"1\",\"catalog\":\"" + "c".repeat(200_000) + "\",\"schema\":\"s\",\"table\":\"t\"}";
        int status = Api.asOperator().contentType("application/json").body(huge)
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations")
                .then().extract().statusCode();
        assertThat(status).isEqualTo(413);
    }

    /**
     * A body whose length is announced over HTTP/1.1 is read before the endpoint runs; one sent in
     * chunks, with no length, and one sent over HTTP/2 (cleartext upgrade) reach the endpoint as a
     * stream. All three are judged the same way.
     */
    @ParameterizedTest
    @ValueSource(strings = { "HTTP_1_1 announced", "HTTP_1_1 chunked", "HTTP_2 announced" })
    void aBodyIsJudgedTheSameHoweverItIsSent(String how) throws Exception {
        byte[] body = "{\"accountId\":7,\"schema\":\"\",\"table\":\"t\"}".getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/datasources/"
                        + Api.uniqueDatasourceId() + "/migrations"))
                .version(HttpClient.Version.valueOf(how.split(" ")[0]))
                .header("X-API-Key", TestCredentials.OPERATOR_KEY)
                .header("Content-Type", "application/json")
                .POST(how.endsWith("chunked")
                        ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(how).isEqualTo(400);
        assertThat(response.body()).as(how).contains("\"accountId\"", "\"catalog\"", "\"schema\"");
    }

    /**
     * Without credentials a body is not read, however it is sent: 401 before anything of it is held
     * (read before authentication, half-sent bodies from anyone filled the heap; security review).
     */
    @ParameterizedTest
    @ValueSource(strings = { "HTTP_1_1 announced", "HTTP_1_1 chunked", "HTTP_2 announced" })
    void aBodyWithoutCredentialsIsRefusedUnread(String how) throws Exception {
        byte[] body = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}"
                .getBytes(StandardCharsets.UTF_8);
        String datasource = Api.uniqueDatasourceId();
        for (String key : new String[] { null, "not-a-key" }) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/datasources/" + datasource + "/migrations"))
                    .version(HttpClient.Version.valueOf(how.split(" ")[0])).header("Content-Type", "application/json")
                    .POST(how.endsWith("chunked") ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            if (key != null) {
                request.header("X-API-Key", key);
            }
            HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(how + " " + key).isEqualTo(401);
            assertThat(response.headers().allValues("WWW-Authenticate")).as(how).hasSize(2);
            assertThat(response.body()).as(how).contains("unauthenticated");
        }
        assertThat(OperationRows.forDatasource(dataSource, datasource)).isEmpty();
    }

    /** A body sent in chunks announces no length, and is held to the same 64 KiB as one that does. */
    @Test
    void aChunkedBodyOverTheLimitIsAProblem413() throws Exception {
        byte[] body = ("{\"accountId\":\"1\",\"catalog\":\"" + "c".repeat(100_000) + "\",\"schema\":\"s\",\"table\":\"t\"}")
                .getBytes(StandardCharsets.UTF_8);
        String datasource = Api.uniqueDatasourceId();
        HttpResponse<String> response = sendChunked("/api/v1/datasources/" + datasource + "/migrations",
                "application/json", body, "X-API-Key", TestCredentials.OPERATOR_KEY);
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.body()).contains("payload-too-large");
        assertThat(OperationRows.forDatasource(dataSource, datasource)).isEmpty();

        // A console form announces its length (browsers always do): one sent in chunks is refused unread.
        assertThat(sendChunked("/console/reviews/" + java.util.UUID.randomUUID(), "application/x-www-form-urlencoded",
                "state=COMPLETE&note=n".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(411);
    }

    @Test
    void unknownPathsAndMethodsAreProblems() {
        Api.asReader().when().get("/api/v1/nothing-here").then().statusCode(404)
                .contentType("application/problem+json");
        Api.asReader().when().delete("/api/v1/integration-types").then().statusCode(405)
                .contentType("application/problem+json")
                .header("Allow", equalTo("GET, HEAD"));
        Api.asOperator().when().get("/api/v1/datasources/ds-1/reversals").then().statusCode(405)
                .header("Allow", equalTo("POST"));
        // OPTIONS names the same methods, and knows no path the API does not have.
        io.restassured.RestAssured.given().options("/api/v1/integration-types").then().statusCode(204)
                .header("Allow", equalTo("GET, HEAD"));
        io.restassured.RestAssured.given().options("/api/v1/plans").then().statusCode(204)
                .header("Allow", org.hamcrest.Matchers.allOf(org.hamcrest.Matchers.containsString("GET"),
                        org.hamcrest.Matchers.containsString("POST")));
        io.restassured.RestAssured.given().options("/api/v1/nothing-here").then().statusCode(404)
                .contentType("application/problem+json");
        // A browser's CORS preflight, while CORS is not configured: the same answers, not Quarkus REST's
        // 200 with every method on any path.
        io.restassured.RestAssured.given().header("Access-Control-Request-Method", "GET")
                .options("/api/v1/nothing-here").then().statusCode(404).contentType("application/problem+json");
        io.restassured.RestAssured.given().header("Access-Control-Request-Method", "POST")
                .options("/api/v1/datasources/ds-1/migrations").then().statusCode(204).header("Allow", equalTo("POST"));
    }

    /** RFC 9110 lets whitespace stand before a media range's parameters; Quarkus REST answered those 406. */
    @Test
    void anAcceptHeaderWithSpaceBeforeItsParametersIsUnderstood() {
        Api.asAuditor().header("Accept", "application/json ; q=1").queryParam("limit", "1")
                .get("/api/v1/audit/operations").then().statusCode(200).contentType("application/json");
        Api.asAuditor().header("Accept", "text/csv\t;q=0.9, application/json ;q=0.1").queryParam("limit", "1")
                .get("/api/v1/audit/operations").then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("text/csv"));
        io.restassured.RestAssured.given().header("Accept", "application/jwk+json ; q=1")
                .get("/api/v1/audit/checkpoints/public-key").then().statusCode(org.hamcrest.Matchers.not(406));
    }

    /** A long unknown field's name is cut whole characters at a time: an emoji at the cut is not split. */
    @Test
    void aLongUnknownFieldIsNamedWithoutHalfACharacter() {
        String name = "a".repeat(63) + "\uD83D\uDE00" + "b";
        Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"" + name + "\":1}")
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then().statusCode(400)
                .body("errors.field", hasItem("a".repeat(63) + "\uD83D\uDE00…"));
    }

    /**
     * The same before a body's parameters: a JSON migration and a CSV plan were answered 415. Each
     * body here is read, and refused for what it says (nothing reaches Domo).
     */
    @Test
    void aContentTypeWithSpaceBeforeItsParametersIsUnderstood() {
        Api.asOperator().contentType("application/json ; charset=utf-8").body("{\"accountId\":7}")
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then().statusCode(400)
                .body("type", equalTo(INVALID)).body("errors.field", hasItem("accountId"));
        Api.asOperator().contentType("text/csv\t;charset=UTF-8").queryParam("name", "spaced")
                .body("datasourceId,accountId,catalog,schema,table\n").post("/api/v1/plans").then().statusCode(400)
                .body("type", equalTo(INVALID));
        // Still judged by what it says: a charset other than UTF-8 is refused as before.
        Api.asOperator().contentType("application/json ; charset=latin1").body("{}")
                .post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations").then().statusCode(415);
    }

    @Test
    void anEmptyOrRepeatedIdempotencyKeyIsRejected() {
        Api.asOperator().header("Idempotency-Key", "")
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                .then().statusCode(400).body("errors.field", hasItem("Idempotency-Key"));
        Api.asOperator().header("Idempotency-Key", "k1").header("Idempotency-Key", "k2")
                .when().post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals")
                .then().statusCode(400).body("errors.field", hasItem("Idempotency-Key"));
    }

    /**
     * A query string that is not valid percent-encoding: Quarkus's HTTP layer refuses a request target
     * that is not a URI (400, no body; {@code VertxHttpRecorder}'s root handler) before the router and
     * any of the service's handlers, whoever asks, so nothing reads it or reaches Domo.
     */
    @ParameterizedTest
    @ValueSource(strings = { "/api/v1/audit/integrity?%", "/api/v1/audit/operations?state=%zz",
            "/api/v1/integration-types?x=%4", "/console/history?datasourceId=%G1" })
    void aQueryStringThatDoesNotDecodeIsRefused400(String rawPath) throws Exception {
        for (String key : new String[] { TestCredentials.AUDITOR_KEY, TestCredentials.OPERATOR_KEY }) {
            assertThat(raw("GET " + rawPath + " HTTP/1.1", "X-API-Key: " + key)).as(rawPath)
                    .startsWith("HTTP/1.1 400");
        }
    }

    /**
     * Requests Vert.x fails before the first handler (HTTP/1.1 without a Host, a target that is no
     * path): a problem with a request id and an access line, like any other refusal, and nothing at
     * ERROR (Quarkus's failure handler answered them with a JSON body of its own and logged each).
     */
    @Test
    void aRequestWithoutAHostOrAPathIsAProblem() throws Exception {
        String[][] cases = {
                { "GET /api/v1/integration-types HTTP/1.1\r\nX-API-Key: " + TestCredentials.READER_KEY + "\r\n\r\n",
                        "400", "must name its host" },
                { "POST /api/v1/datasources/" + Api.uniqueDatasourceId() + "/reversals HTTP/1.1\r\nX-API-Key: "
                        + TestCredentials.OPERATOR_KEY + "\r\n\r\n", "400", "must name its host" },
                { "GET ?a=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "400", "must be a path" },
                { "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "404", "No such resource" } };
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (String[] each : cases) {
            String answer = exchange(each[0]);
            assertThat(answer).as(each[0]).startsWith("HTTP/1.1 " + each[1])
                    .contains("Content-Type: application/problem+json").contains(each[2]);
            java.util.regex.Matcher id = java.util.regex.Pattern.compile("X-Request-Id: (\\S+)").matcher(answer);
            assertThat(id.find()).as(each[0]).isTrue();
            ids.add(id.group(1));
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                java.nio.file.Files.readString(TEST_LOG)).contains(ids.stream().map(id -> "requestId=" + id).toList()));
        assertThat(java.nio.file.Files.readAllLines(TEST_LOG))
                .noneMatch(line -> line.contains("'Host' header is required") || line.contains("must start with '/'"));
    }

    /** An Accept header with a line that does not parse: looked past, or a 4xx problem. */
    @Test
    void aMalformedAcceptHeaderIsAProblem() throws Exception {
        for (String path : new String[] { "/api/v1/audit/operations", "/api/v1/audit/checkpoints/public-key",
                "/api/v1/audit/integrity", "/api/v1/audit/events" }) {
            for (String[] accept : new String[][] { { "" }, { "application/json", "foo" }, { "foo", "application/json" },
                    { "application/json, foo" }, { "application/json", "application/json;q=x" },
                    { "application/json", "a/" }, { "application/json", "/" }, { "application/json", "text/csv;;" },
                    { "application/json", "application/json; charset" }, { "application/json;q=abc" },
                    { "application/json", "a/b c" }, { "application/json", "\"a/b\"" } }) {
                // HTTP/1.1: the subject is the Accept header, and the JDK's client misreads some h2c
                // upgrades answered with a large page (docs/api.md, "Java's HttpClient over http://"),
                // as the audit pages are once the suite has written its trail.
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .version(HttpClient.Version.HTTP_1_1).header("X-API-Key", TestCredentials.AUDITOR_KEY);
                for (String line : accept) {
                    request.header("Accept", line);
                }
                HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                        HttpResponse.BodyHandlers.ofString());
                // Looked past (an answer in a type the valid line allows) or refused with a problem; never a 500.
                assertThat(response.statusCode()).as(path + " " + String.join(" | ", accept)).isLessThan(500);
                if (response.statusCode() >= 400) {
                    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                }
            }
        }
    }

    /**
     * A client that goes away before its body has arrived is no error of the service's: nothing is
     * logged at ERROR for it (Quarkus's failure handler logged one with an error id).
     */
    @Test
    void aClientThatLeavesBeforeItsBodyArrivedIsNoError() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(("POST /api/v1/datasources/" + datasource + "/migrations HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nX-API-Key: " + TestCredentials.OPERATOR_KEY + "\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"accountId\"")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            Thread.sleep(200);
        }
        // A request after it, whose line in the log follows whatever the first one left there.
        String marker = java.util.UUID.randomUUID().toString();
        Api.asReader().get("/api/v1/plans/" + marker).then().statusCode(404);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> java.nio.file.Files.readString(TEST_LOG).contains(marker));
        assertThat(java.nio.file.Files.readAllLines(TEST_LOG)).noneMatch(line -> line.contains(datasource)
                && line.contains("ERROR"));
    }

    /** A type given q=0 is one the caller refuses: never the answer's. */
    @Test
    void aTypeTheCallerRefusesWithQualityZeroIsNotAnswered() {
        Api.asAuditor().header("Accept", "text/csv;q=0").get("/api/v1/audit/operations?limit=1")
                .then().statusCode(406).contentType("application/problem+json");
        Api.asAuditor().header("Accept", "application/x-ndjson;q=0, text/csv;q=0.2")
                .get("/api/v1/audit/operations?limit=1").then().statusCode(200).contentType(org.hamcrest.Matchers
                        .startsWith("text/csv"));
        io.restassured.RestAssured.given().header("Accept", "application/x-pem-file;q=0")
                .get("/api/v1/audit/checkpoints/public-key").then().statusCode(406);

        // A refused type is refused even where a wildcard would take it (RFC 9110: the most specific range counts).
        Api.asAuditor().header("Accept", "application/json;q=0, */*").get("/api/v1/audit/operations?limit=1")
                .then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("text/csv"));
        Api.asAuditor().header("Accept", "application/json;q=0, text/csv;q=0, */*").get("/api/v1/audit/events")
                .then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("application/x-ndjson"));
        io.restassured.RestAssured.given().header("Accept", "application/x-pem-file;q=0, */*")
                .get("/api/v1/audit/checkpoints/public-key").then().statusCode(200)
                .contentType(org.hamcrest.Matchers.startsWith("application/jwk+json"));
        io.restassured.RestAssured.given().header("Accept", "application/*;q=0.5, application/json")
                .get("/api/v1/audit/checkpoints/public-key").then().statusCode(200)
                .contentType(org.hamcrest.Matchers.startsWith("application/json"));
        // Every offered type refused, though the header accepts another: nothing to answer in.
        Api.asAuditor().header("Accept", "application/json;q=0, application/x-ndjson;q=0, text/html")
                .get("/api/v1/audit/events").then().statusCode(406).contentType("application/problem+json");
    }

    /**
     * A migration's body is read only as the JSON it must be: without a Content-Type, with a
     * wildcard, in another charset or with two types, 415 before Domo or the trail (checked after
     * each test).
     */
    @Test
    void aBodyWhoseTypeIsNotNamedAsJsonIs415() throws Exception {
        String body = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";
        for (String[] types : new String[][] { {}, { "" }, { "application/*" }, { "*/*" },
                { "application/json; charset=iso-8859-1" }, { "application/json; charset=bogus" },
                { "application/json", "text/plain" } }) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations"))
                    .header("X-API-Key", TestCredentials.OPERATOR_KEY).POST(HttpRequest.BodyPublishers.ofString(body));
            for (String type : types) {
                request.header("Content-Type", type);
            }
            HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(String.join(" | ", types)).isEqualTo(415);
            assertThat(response.body()).contains("unsupported-media-type", "application/json");
        }
        // Credentials come first: a caller without them learns nothing about the body it sent.
        HttpResponse<String> anonymous = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + "/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    /** A parameter read as one value, given twice, is refused; one read as a list may repeat. */
    @Test
    void aQueryParameterGivenTwiceIsRefusedUnlessItIsAList() {
        Api.asAuditor().get("/api/v1/audit/operations?state=COMPLETE&state=FAILED&limit=3&limit=abc").then()
                .statusCode(400).body("type", equalTo(INVALID))
                .body("errors.field", org.hamcrest.Matchers.containsInAnyOrder("state", "limit"));
        Api.asAuditor().get("/api/v1/audit/events?type=INTENT&type=OUTCOME&limit=1").then().statusCode(200);
        // A range that ends before it starts, as for the operations' from and to.
        Api.asAuditor().get("/api/v1/audit/events?fromSeq=10&toSeq=1").then().statusCode(400)
                .body("errors.field", hasItem("fromSeq"));
        // An export ends exactly at its toSeq (the offline verifier holds it to that): none beyond the chain's
        // head, where the verifier took the seqs the chain had not reached for records removed. A page may.
        Api.asAuditor().accept("application/x-ndjson").get("/api/v1/audit/events?toSeq=9000000000000000000").then()
                .statusCode(400).body("errors.field", hasItem("toSeq"))
                .body("errors.message", hasItem(org.hamcrest.Matchers.containsString("beyond the chain's newest event")));
        Api.asAuditor().get("/api/v1/audit/events?toSeq=9000000000000000000&limit=1").then().statusCode(200);
        long head = Api.asAuditor().get("/api/v1/audit/integrity").then().extract().jsonPath().getLong("lastSeq");
        Api.asAuditor().accept("application/x-ndjson").get("/api/v1/audit/events?fromSeq=" + head + "&toSeq=" + head)
                .then().statusCode(200);
        Api.asOperator().contentType("text/csv").body("datasourceId,accountId,catalog,schema,table\nd,1,c,s,t\n")
                .post("/api/v1/plans?name=a&name=b").then().statusCode(400).body("errors.field", hasItem("name"));
    }

    /** The API takes JSON (and CSV plans): a form body it cannot decode is a problem, not an error page. */
    @Test
    void aFormBodyThatDoesNotDecodeIsAProblem() throws Exception {
        for (String body : new String[] { "%", "a=%zz", "a=%" }) {
            HttpResponse<String> response = post("/api/v1/plans/" + java.util.UUID.randomUUID() + "/start",
                    "application/x-www-form-urlencoded", body.getBytes(StandardCharsets.US_ASCII), "X-API-Key",
                    TestCredentials.OPERATOR_KEY);
            assertThat(response.statusCode()).as(body).isBetween(400, 499);
            assertThat(response.headers().firstValue("Content-Type")).as(body).hasValue("application/problem+json");
        }
    }

    /**
     * A form of many fields, urlencoded or multipart, to any endpoint and whatever the caller's role:
     * the same 415 problem as any other type the API does not take (Vert.x decoded it first, and past
     * 256 fields Quarkus answered with its error page and a stack trace).
     */
    @Test
    void aFormOfManyFieldsIsA415Problem() throws Exception {
        String fields = java.util.stream.IntStream.range(0, 300).mapToObj(i -> "a" + i + "=1")
                .collect(java.util.stream.Collectors.joining("&"));
        StringBuilder multipart = new StringBuilder();
        for (int i = 0; i < 1_100; i++) {
            multipart.append("--x\r\nContent-Disposition: form-data; name=\"a").append(i).append("\"\r\n\r\n1\r\n");
        }
        String[][] forms = { { "application/x-www-form-urlencoded", fields },
                { "multipart/form-data; boundary=x", multipart.append("--x--\r\n").toString() } };
        for (String[] form : forms) {
            for (String[] target : new String[][] { { TestCredentials.READER_KEY, "/api/v1/plans/" + java.util.UUID.randomUUID() + "/approvals" },
                    { TestCredentials.OPERATOR_KEY, "/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations" } }) {
                HttpResponse<String> response = post(target[1], form[0], form[1].getBytes(StandardCharsets.US_ASCII),
                        "X-API-Key", target[0]);
                assertThat(response.statusCode()).as(form[0] + " " + target[1]).isEqualTo(415);
                assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                assertThat(response.body()).doesNotContain("Exception").contains("not forms");
            }
        }
    }

    /** A plan announced larger than the limit is refused unread, with the same problem as any body. */
    @Test
    void aPlanOverTheLimitIsAProblem413() throws Exception {
        String answer = raw("POST /api/v1/plans?name=big HTTP/1.1", "X-API-Key: " + TestCredentials.OPERATOR_KEY,
                "Content-Type: text/csv", "Content-Length: " + (9 * 1024 * 1024));
        assertThat(answer).startsWith("HTTP/1.1 413").contains("application/problem+json", "payload-too-large", "MiB");
    }

    /** A plan sent in chunks announces no length: past the limit as it arrives, the same problem. */
    @Test
    void aChunkedPlanOverTheLimitIsAProblem413() throws Exception {
        byte[] line = "ds-1,1,c,s,t\n".getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[9 * 1024 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = line[i % line.length];
        }
        HttpResponse<String> response = sendChunked("/api/v1/plans?name=big", "text/csv", body, "X-API-Key",
                TestCredentials.OPERATOR_KEY);
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.body()).contains("payload-too-large",
                "The plan is too large (at most 8 MiB): split it into plans of fewer items");
        // The rest is not read: the connection closes after the answer.
        assertThat(response.headers().firstValue("Connection")).hasValue("close");
    }

    /** A POST over HTTP/1.1 whose body goes in chunks (it announces no length), with these headers (name, value…). */
    private HttpResponse<String> sendChunked(String pathAndQuery, String contentType, byte[] body, String... headers)
            throws Exception {
        return post(pathAndQuery, contentType, HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)),
                headers);
    }

    /** A POST over HTTP/1.1 that announces its body's length, with these headers (name, value…). */
    private HttpResponse<String> post(String pathAndQuery, String contentType, byte[] body, String... headers)
            throws Exception {
        return post(pathAndQuery, contentType, HttpRequest.BodyPublishers.ofByteArray(body), headers);
    }

    private HttpResponse<String> post(String pathAndQuery, String contentType, HttpRequest.BodyPublisher body,
            String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .version(HttpClient.Version.HTTP_1_1).header("Content-Type", contentType).POST(body);
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request sent byte for byte (nothing the client would refuse or re-encode); the answer's first 4 KiB. */
    private String raw(String requestLine, String... headers) throws Exception {
        StringBuilder request = new StringBuilder(requestLine).append("\r\nHost: 127.0.0.1\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return exchange(request.append("\r\n").toString());
    }

    /** Sends a request's head as it is, not even a Host header added; the answer's first 4 KiB. */
    private String exchange(String head) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            byte[] answer = new byte[4096];
            int read = socket.getInputStream().read(answer);
            return new String(answer, 0, Math.max(read, 0), StandardCharsets.UTF_8);
        }
    }

    private HttpResponse<String> send(String method, String rawPath, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + rawPath))
                .header("X-API-Key", TestCredentials.OPERATOR_KEY)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private long countOperations() {
        return (long) OperationRows.query(dataSource, "SELECT count(*) AS n FROM operation").get(0).get("n");
    }
}
