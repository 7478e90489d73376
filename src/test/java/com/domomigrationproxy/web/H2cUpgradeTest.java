package com.domomigrationproxy.web;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.TestCredentials;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;

/**
 * An answer larger than HTTP/2's first 64 KiB window, to the request that upgrades a clear-text
 * connection to HTTP/2 (h2c), arrives whole and in well-formed frames, whether it is written from a
 * worker thread (the OpenAPI document) or from the event loop (a list passed through from Domo).
 * Read with Vert.x's client, whose frame parser is Netty's: Java's own HttpClient fails some such
 * upgrades on its side (docs/api.md, "Java's HttpClient over http://").
 */
@QuarkusTest
class H2cUpgradeTest {

    private static final int UPGRADES = 100;

    /** Domo's list for the account {@code h2c-large}: 3,000 candidates, about 138 KB. */
    private static final String LARGE_CANDIDATES = IntStream.range(0, 3_000)
            .mapToObj(i -> "{\"id\":\"" + i + "\",\"name\":\"data source " + i + "\",\"migrated\":false}")
            .collect(Collectors.joining(",", "[", "]"));

    @Inject
    Vertx vertx;

    @InjectDomo
    WireMockServer domo;

    /**
     * A HEAD over HTTP/2 has no body, as a GET has none: the public key's HEAD needs no credentials
     * there either (it was held as a body, and so asked for them: 401).
     */
    @org.junit.jupiter.api.Test
    void anAnonymousHeadOverHttp2IsNoBodyToHold() throws Exception {
        int overHttp11 = RestAssured.given().head("/api/v1/audit/checkpoints/public-key").statusCode();
        assertThat(overHttp11).isIn(200, 404);
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false).setDefaultHost("127.0.0.1").setDefaultPort(RestAssured.port));
        try {
            int status = client.request(HttpMethod.HEAD, "/api/v1/audit/checkpoints/public-key")
                    .compose(request -> request.send().map(response -> {
                        assertThat(response.version()).isEqualTo(HttpVersion.HTTP_2);
                        return response.statusCode();
                    })).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(status).isEqualTo(overHttp11);
        } finally {
            client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** A GET of the public key that carries a body is public all the same (it was a 401); the body is dropped. */
    @org.junit.jupiter.api.Test
    void anAnonymousGetOfThePublicKeyWithABodyIsPublic() throws Exception {
        int without = RestAssured.given().get("/api/v1/audit/checkpoints/public-key").statusCode();
        assertThat(without).isIn(200, 404);
        RestAssured.given().contentType("application/json").body("{\"ignored\":true}")
                .get("/api/v1/audit/checkpoints/public-key").then().statusCode(without);
        // Its body is not held, nor waited for: nothing of the bodies' budget goes to a caller nobody knows.
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(3_000);
            socket.getOutputStream().write(("GET /api/v1/audit/checkpoints/public-key HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 65536\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] status = socket.getInputStream().readNBytes(12);
            assertThat(new String(status, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 " + without);
        }
        // Credentials sent with it are not looked at, with a body as without one.
        RestAssured.given().header("X-API-Key", "not-a-key").contentType("application/json").body("{}")
                .get("/api/v1/audit/checkpoints/public-key").then().statusCode(without);
        RestAssured.given().contentType("application/json").body("{\"ignored\":true}")
                .get("/api/v1/audit/checkpoints/latest").then().statusCode(401);
    }

    @ParameterizedTest
    @CsvSource({ "/q/openapi", "/api/v1/accounts/h2c-large/candidates" })
    void aLargeAnswerToTheUpgradingRequestArrivesWhole(String path) throws Exception {
        domo.stubFor(get(urlEqualTo(DOMO_PREFIX + "/candidates/h2c-large")).willReturn(okJson(LARGE_CANDIDATES)));
        byte[] overHttp11 = Api.asReader().get(path).then().statusCode(200).extract().asByteArray();
        assertThat(overHttp11.length).as("more than the first window").isGreaterThan(64 * 1024);

        for (int i = 0; i < UPGRADES; i++) {
            // A client of its own for each: every request is the first on a new connection, so each upgrades.
            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(true).setDefaultHost("127.0.0.1").setDefaultPort(RestAssured.port));
            try {
                Buffer body = client.request(HttpMethod.GET, path).compose(request -> request
                        .putHeader("X-API-Key", TestCredentials.READER_KEY).send().compose(response -> {
                            assertThat(response.version()).isEqualTo(HttpVersion.HTTP_2);
                            assertThat(response.statusCode()).isEqualTo(200);
                            return response.body();
                        })).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertThat(body.getBytes()).as("upgrade %d", i).isEqualTo(overHttp11);
            } finally {
                client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
