package com.domomigrationproxy.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.TestCredentials;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/** Request framing the service answers at once, whatever the caller holds back (raw sockets). */
@QuarkusTest
class HttpFramingTest {

    @jakarta.inject.Inject
    javax.sql.DataSource dataSource;

    private static final String BODY = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";

    /**
     * RFC 9112 6.3: a request whose last transfer coding is not chunked has no length the server can
     * tell, so it is a 400 and its connection is closed. It held a worker thread until the read
     * timed out, 60 s, and was then answered 500.
     */
    @Test
    void aTransferEncodingThatDoesNotEndInChunkedIsA400AndTheConnectionCloses() throws Exception {
        for (String coding : new String[] { "identity", "xchunked", "chunked, gzip" }) {
            Exchange exchange = send("POST /api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nX-API-Key: " + TestCredentials.OPERATOR_KEY + "\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: " + coding + "\r\n\r\n" + BODY);
            // Netty turns away "chunked, gzip" itself, with an empty 400; the others get the problem.
            assertThat(exchange.answer()).as(coding).startsWith("HTTP/1.1 400");
            if (!coding.startsWith("chunked")) {
                assertThat(exchange.answer()).as(coding).contains("must end in chunked");
            }
            assertThat(exchange.waited()).as(coding).isLessThan(Duration.ofSeconds(5));
        }
        // Checked before the path's: a path refused with such a body closes the connection too.
        Exchange refused = send("POST /api/v1/../q/health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: identity\r\n"
                + "Content-Type: application/json\r\n\r\n" + BODY);
        assertThat(refused.answer()).startsWith("HTTP/1.1 400").contains("must end in chunked");
        assertThat(refused.waited()).isLessThan(Duration.ofSeconds(5));
    }

    /**
     * An answer given before the body has arrived (here a 401) ends a connection whose body is still
     * unfinished a moment later, also when the caller asked for the connection to close after the
     * answer, or spoke HTTP/1.0: those stayed open for as long as the caller held them.
     */
    @Test
    void anEarlyAnswerEndsAConnectionWhoseBodyIsStillArriving() throws Exception {
        for (String start : new String[] { "HTTP/1.1\r\nConnection: close", "HTTP/1.0", "HTTP/1.1" }) {
            Exchange exchange = send("POST /api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations " + start
                    + "\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"ac");
            assertThat(exchange.answer()).as(start).matches("(?s)HTTP/1\\.[01] 401.*");
            assertThat(exchange.waited()).as(start).isLessThan(Duration.ofSeconds(5));
        }
    }

    /**
     * RFC 9112 3.2: one Host, not empty; an empty one made Location headers without a host. HTTP/1.0
     * may leave it out (a load balancer's simple health check does) when it reads: a GET or HEAD
     * outside the console, whose answers build no Location on it.
     */
    @Test
    void aRequestWithAnEmptyHostOrTwoIsA400() throws Exception {
        for (String hosts : new String[] { "Host: \r\n", "Host: 127.0.0.1\r\nHost: example.org\r\n" }) {
            Exchange exchange = send("GET /api/v1/plans?limit=1 HTTP/1.1\r\n" + hosts + "X-API-Key: "
                    + TestCredentials.READER_KEY + "\r\nConnection: close\r\n\r\n");
            assertThat(exchange.answer()).as(hosts).startsWith("HTTP/1.1 400").contains("must name its host once");
        }
        Exchange old = send("GET /api/v1/plans?limit=1 HTTP/1.0\r\nX-API-Key: " + TestCredentials.READER_KEY
                + "\r\n\r\n");
        assertThat(old.answer()).startsWith("HTTP/1.0 200");
        // But not where an answer's Location is built on it: it read "http:/api/v1/plans/…".
        String plan = "{\"name\":\"h10\",\"items\":[{\"datasourceId\":\"" + Api.uniqueDatasourceId()
                + "\",\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}]}";
        Exchange created = send("POST /api/v1/plans HTTP/1.0\r\nX-API-Key: " + TestCredentials.OPERATOR_KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + plan.length() + "\r\n\r\n" + plan);
        assertThat(created.answer()).startsWith("HTTP/1.0 400").contains("must name its host");
        assertThat(send("GET /console/sign-out HTTP/1.0\r\n\r\n").answer()).startsWith("HTTP/1.0 400");
    }

    /**
     * Vert.x takes anything in brackets for an IPv6 address, and Quarkus REST then failed to build a
     * Location on "[x]": a plan was stored and its creator answered 500; the console's sign-out, open
     * to anyone, logged an ERROR for each such request. Refused before anything is done; an IPv6
     * address is a host like any other.
     */
    @Test
    void aHostThatIsNoAddressIsA400BeforeAnythingIsDone() throws Exception {
        String name = "bracketed-host-" + java.util.UUID.randomUUID();
        String plan = "{\"name\":\"" + name + "\",\"items\":[{\"datasourceId\":\"" + Api.uniqueDatasourceId()
                + "\",\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}]}";
        for (String host : new String[] { "[x]", "[::1", "a]b" }) {
            Exchange created = send("POST /api/v1/plans HTTP/1.1\r\nHost: " + host + "\r\nX-API-Key: "
                    + TestCredentials.OPERATOR_KEY + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + plan.length() + "\r\nConnection: close\r\n\r\n" + plan);
            // Vert.x itself turns away an unclosed bracket as naming no host; the filter the others.
            assertThat(created.answer()).as(host).startsWith("HTTP/1.1 400").contains("application/problem+json")
                    .containsPattern("host must be a host name|must name its host");
            Exchange signOut = send("GET /console/sign-out HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
            assertThat(signOut.answer()).as(host).startsWith("HTTP/1.1 400");
        }
        Api.asReader().get("/api/v1/plans?limit=100").then().statusCode(200)
                .body("items.name", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(name)));
        Exchange created = send("POST /api/v1/plans HTTP/1.1\r\nHost: [::1]:8081\r\nX-API-Key: "
                + TestCredentials.OPERATOR_KEY + "\r\nContent-Type: application/json\r\nContent-Length: "
                + plan.length() + "\r\nConnection: close\r\n\r\n" + plan);
        assertThat(created.answer()).startsWith("HTTP/1.1 201").containsPattern("(?i)location: http://\\[::1\\]:8081/api/v1/plans/");
    }

    /**
     * Overlong UTF-8 ("C0 AF" for '/', "E0 80 AE" for '.') is no character: Jackson decoded it as one,
     * so Domo and the audit trail got a catalog the caller's bytes did not spell. Refused, Domo not called.
     */
    @Test
    void aBodyWithOverlongUtf8IsA400() throws Exception {
        for (String overlong : new String[] { "\u00c0\u00af", "\u00e0\u0080\u00ae" }) {
            byte[] bytes = ("{\"accountId\":\"1\",\"catalog\":\"est" + overlong + "ate\",\"schema\":\"s\",\"table\":\"t\"}")
                    .getBytes(StandardCharsets.ISO_8859_1);
            String datasource = Api.uniqueDatasourceId();
            Api.asOperator().contentType("application/json").body(bytes)
                    .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(400)
                    .body("detail", org.hamcrest.Matchers.containsString("not valid UTF-8"));
            byte[] plan = ("{\"name\":\"n\",\"items\":[{\"datasourceId\":\"" + datasource + "\",\"accountId\":\"1\","
                    + "\"catalog\":\"est" + overlong + "ate\",\"schema\":\"s\",\"table\":\"t\"}]}")
                    .getBytes(StandardCharsets.ISO_8859_1);
            Api.asOperator().contentType("application/json").body(plan).post("/api/v1/plans").then().statusCode(400)
                    .body("detail", org.hamcrest.Matchers.containsString("not valid UTF-8"));
        }
    }

    /** An expectation other than 100-continue is refused with a problem, not Vert.x's empty 417; Domo is not called. */
    @Test
    void anExpectationOtherThan100ContinueIsA417Problem() throws Exception {
        String body = "{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\",\"table\":\"t\"}";
        String datasource = Api.uniqueDatasourceId();
        Exchange exchange = send("POST /api/v1/datasources/" + datasource + "/migrations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "X-API-Key: " + TestCredentials.OPERATOR_KEY + "\r\n"
                + "Content-Type: application/json\r\nExpect: something-else\r\nConnection: close\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body);
        assertThat(exchange.answer()).startsWith("HTTP/1.1 417").contains("application/problem+json")
                .contains("The only expectation understood is Expect: 100-continue");
        assertThat(com.domomigrationproxy.support.OperationRows.forDatasource(dataSource, datasource)).isEmpty();

        // Whatever the request carries: a POST without a body (a reversal), a plan upload, which the
        // filter does not hold, and an expectation listed after 100-continue or in a second header.
        String reversed = Api.uniqueDatasourceId();
        String plan = "expect-" + java.util.UUID.randomUUID();
        for (String request : List.of(
                "POST /api/v1/datasources/" + reversed + "/reversals HTTP/1.1\r\nExpect: something-else\r\n",
                "POST /api/v1/datasources/" + reversed + "/reversals HTTP/1.1\r\nExpect: 100-continue, x=1\r\n",
                "POST /api/v1/datasources/" + reversed + "/reversals HTTP/1.1\r\nExpect: 100-continue\r\n"
                        + "Expect: foo\r\n",
                "POST /api/v1/plans?name=" + plan + " HTTP/1.1\r\nExpect: something-else\r\nContent-Type: text/csv\r\n")) {
            String csv = request.contains("/plans") ? "datasourceId,accountId,catalog,schema,table\r\n" : "";
            Exchange refused = send(request + "Host: 127.0.0.1\r\nX-API-Key: " + TestCredentials.OPERATOR_KEY
                    + "\r\nContent-Length: " + csv.length() + "\r\nConnection: close\r\n\r\n" + csv);
            assertThat(refused.answer()).as(request).startsWith("HTTP/1.1 417").contains("application/problem+json");
        }
        assertThat(com.domomigrationproxy.support.OperationRows.forDatasource(dataSource, reversed)).isEmpty();
        Api.asReader().get("/api/v1/plans?limit=100").then().statusCode(200)
                .body("items.name", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(plan)));
    }

    /** Accept on several lines, one with whitespace before its parameters: each is read as sent without it. */
    @Test
    void anAcceptOnSeveralLinesWithSpaceBeforeParametersIsUnderstood() throws Exception {
        Exchange exchange = send("GET /api/v1/audit/operations?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: "
                + TestCredentials.AUDITOR_KEY + "\r\nAccept: text/html\r\nAccept: application/json ; q=1\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(exchange.answer()).startsWith("HTTP/1.1 200").contains("application/json");
    }

    /**
     * A chunk size that is no number: the caller's framing. Vert.x closes the connection (a 400
     * problem goes out first when it still can); Quarkus logged it as the service's own error, with
     * an error id, one ERROR line per such request (review).
     */
    @Test
    void aBodyWithMalformedChunkedFramingIsA400ProblemAndTheConnectionCloses() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(20_000);
            var out = socket.getOutputStream();
            out.write(("POST /api/v1/datasources/" + datasource + "/migrations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "X-API-Key: " + TestCredentials.READER_KEY + "\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(200);
            out.write("zz\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!answer.isEmpty()) {
                assertThat(answer).startsWith("HTTP/1.1 400").contains("its framing is malformed");
            }
        }
        assertThat(com.domomigrationproxy.support.OperationRows.forDatasource(dataSource, datasource)).isEmpty();
        java.nio.file.Path log = java.nio.file.Path.of("target", "quarkus-test.log");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> java.nio.file.Files.readString(log)
                .contains("path=/api/v1/datasources/" + datasource + "/migrations"));
        assertThat(java.nio.file.Files.readAllLines(log)).filteredOn(line -> line.contains(datasource))
                .noneMatch(line -> line.contains("ERROR")).noneMatch(line -> line.contains("status=500"));
    }

    private record Exchange(String answer, Duration waited) {
    }

    /** Sends the bytes, holds the socket open, and reads until the service closes it. */
    private static Exchange send(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            long sent = System.nanoTime();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Exchange(answer, Duration.ofNanos(System.nanoTime() - sent));
        }
    }
}
