package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.LoopbackServer;
import com.domomigrationproxy.support.OperationRows;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A Domo (or a proxy) that answers a migration's headers and then trickles its body for ever: the
 * migration is UNKNOWN at its deadline, and the service lets go of the connection then, instead of
 * reading the answer to its end in the background.
 */
@QuarkusTest
@Tag("timing")
@TestProfile(DomoTricklingAnswerTest.Trickling.class)
class DomoTricklingAnswerTest {

    /** Answers one request at a time: headers promising 100,000 bytes, then one byte every 50 ms. */
    static final class Trickler {
        /** Completes when the service closes the connection: the time it did. */
        static final CompletableFuture<Long> CLOSED_AT = new CompletableFuture<>();
        static final LoopbackServer SERVER = LoopbackServer.start("trickling-domo", socket -> {
            try (socket) {
                trickle(socket);
            }
        });

        private static void trickle(Socket socket) throws IOException {
            InputStream in = socket.getInputStream();
            int ends = 0;
            while (ends < 4) { // the request's head, up to its blank line; its body is ignored
                int b = in.read();
                if (b < 0) {
                    return;
                }
                ends = (b == '\r' || b == '\n') ? ends + 1 : 0;
            }
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            try {
                for (int i = 0; i < 100_000; i++) {
                    out.write(' ');
                    out.flush();
                    Thread.sleep(50);
                }
            } catch (IOException e) {
                CLOSED_AT.complete(System.nanoTime());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public static class Trickling implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("domo.base-url", "http://127.0.0.1:" + Trickler.SERVER.port());
        }
    }

    @Inject
    DataSource dataSource;

    @AfterAll
    static void close() throws IOException {
        Trickler.SERVER.close();
    }

    @Test
    void theConnectionIsLetGoAtTheDeadline() throws Exception {
        String datasource = Api.uniqueDatasourceId();
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(504)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:domo-timeout"));
        long answered = System.nanoTime();
        assertThat(OperationRows.forDatasource(dataSource, datasource)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("state", "UNKNOWN"));
        // Writes after a reset fail within a write or two; without the reset the body is read for ever.
        long closed = Trickler.CLOSED_AT.get(5, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(closed - answered)).isLessThan(2_000);
    }
}
