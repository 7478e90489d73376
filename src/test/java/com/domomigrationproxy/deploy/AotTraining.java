package com.domomigrationproxy.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The training run of the AOT cache that the image ships (deploy/docker/Dockerfile.jvm) and the
 * benchmarks measure. A start without a database stops at Flyway, so its cache misses everything
 * the service loads after that, a second of start-up (docs/performance.md). This run gives the
 * service a throwaway PostgreSQL (the embedded binaries, which the Dockerfile mounts for this one
 * step and never copies into the image) and a Domo stand-in served here over HTTPS in Domo's shapes
 * (not the in-process sandbox, so that the cache holds the service's TLS path to Domo too), so
 * that it starts as in production; it then serves every kind of request, and stops: the JVM
 * writes the cache when it exits (-XX:AOTCacheOutput, in the command or in JAVA_OPTS_APPEND).
 *
 * <p>Usage: {@code AotTraining CACHE LOG -- COMMAND...}, where COMMAND starts the service (the image:
 * run-java.sh; the benchmarks: java with the image's flags). It fails unless CACHE was written.
 * Self-contained (its own free port and key digest, no test support class): the build copies only
 * this class and the embedded PostgreSQL's libraries into target/aot-training.
 */
public final class AotTraining {

    private static final String API_KEY = "aot-training-local-only";
    private static final String DB_ROLE = "aot_training";
    private static final String DB_PASSWORD = "aot-training-db-local-only";
    private static final String STORE_PASSWORD = "aot-training-store-local-only";
    private static final String DATASOURCE = "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01";
    private static final String DOMO_TOKEN = "aot-training-domo-token-local-only";
    private static final String DOMO_API = "/api/query/migration/federated/v1/to/v2/";
    private static final String DOMO_CANDIDATES = """
            [{"id":"%s","name":"MySQL Table 1","migrated":false,"migrationDate":null},
             {"id":"495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a02","name":"MySQL Table 2","migrated":true,
              "migrationDate":"2025-06-30T12:00:00Z"}]""".formatted(DATASOURCE);
    private static final String DOMO_RESULT = """
            {"toe":"TRAINING-%d","datasourceId":"%s","direction":"%s","startTime":"%s","state":"COMPLETE",\
            "errorMessage":null,"endTime":"%s"}""";
    private static final String DOMO_ERROR = """
            {"status":%d,"statusReason":"%s","message":"%s","toe":"TRAINING-ERROR"}""";
    private static final Duration READY_WITHIN = Duration.ofMinutes(3);
    /** Long enough for the GET path's method profiles to land in the cache (JEP 515). */
    private static final Duration GET_LOAD = Duration.ofSeconds(5);

    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4 || !"--".equals(args[2])) {
            System.err.println("usage: AotTraining CACHE LOG -- COMMAND...");
            System.exit(2);
        }
        train(Path.of(args[0]), Path.of(args[1]), List.of(args).subList(3, args.length));
    }

    /** Runs {@code command} against a throwaway database, exercises and stops it; fails unless {@code cache} was written. */
    public static void train(Path cache, Path log, List<String> command) throws IOException, InterruptedException {
        Files.deleteIfExists(cache);
        Path work = Files.createTempDirectory("aot-training");
        try {
            Path store = work.resolve("domo-stand-in.p12");
            certificate(store, STORE_PASSWORD);
            HttpsServer domo = domoStandIn(store);
            try (EmbeddedPostgres postgres = startPostgres()) {
                Path keys = work.resolve("api-keys.json");
                Files.writeString(keys, "[{\"name\":\"aot-training\",\"sha256\":\"" + sha256(API_KEY)
                        + "\",\"roles\":[\"reader\",\"operator\",\"auditor\"]}]");
                int port = freePort();
                int managementPort = freePort();
                ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                Map<String, String> env = builder.environment();
                env.putAll(datasource(postgres));
                env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
                env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
                env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
                env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
                env.put("DOMO_BASE_URL", "https://127.0.0.1:" + domo.getAddress().getPort());
                env.put("DOMO_DEVELOPER_TOKEN", DOMO_TOKEN);
                env.put("PROXY_API_KEYS_FILE", keys.toString());
                // The stand-in's certificate as the JVM's trust store, whatever the command's options.
                env.merge("JAVA_TOOL_OPTIONS", "-Djavax.net.ssl.trustStore=" + store
                        + " -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=" + STORE_PASSWORD,
                        (given, added) -> given + " " + added);
                Process service = builder.start();
                try {
                    new Exercise(URI.create("http://127.0.0.1:" + port),
                            URI.create("http://127.0.0.1:" + managementPort), service, log).run();
                } finally {
                    service.destroy(); // SIGTERM: the JVM exits and writes the cache
                    if (!service.waitFor(5, TimeUnit.MINUTES)) {
                        service.destroyForcibly();
                    }
                }
            } finally {
                domo.stop(0);
            }
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
        if (!Files.isRegularFile(cache) || Files.size(cache) == 0) {
            throw new IllegalStateException("the service wrote no AOT cache to " + cache + "; see " + log);
        }
    }

    /**
     * Writes a new key and self-signed certificate for 127.0.0.1 (and no host name), made by the
     * JDK's keytool, to the PKCS#12 file {@code store}: the Domo stand-in's key store and the
     * service's trust store. Domo is called over https:// in production, so the cache should hold
     * the TLS client too (its handshake, the certificate's checks, the host name's verification).
     * DomoTlsIT makes its certificates here too.
     */
    public static void certificate(Path store, String password) throws IOException, InterruptedException {
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "domo", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", password).redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (keytool.waitFor() != 0) {
            throw new IllegalStateException("keytool made no certificate: " + output);
        }
    }

    /**
     * A throwaway PostgreSQL that asks for a SCRAM-SHA-256 password, as PostgreSQL 14 and later do by
     * default, from every role but its superuser (which sets the service's role up). Against a
     * database that trusts its clients, the driver's SCRAM exchange (its classes, the JDK's PBKDF2 and
     * their method profiles) stayed out of the cache, and every start loaded it from the jars for its
     * first connection (docs/performance.md, twentieth round).
     */
    public static EmbeddedPostgres startPostgres() throws IOException {
        // The C locale: a minimal image may have no other, and initdb refuses a locale it cannot load.
        return EmbeddedPostgres.builder().setPort(freePort()).setLocaleConfig("locale", "C")
                .setServerConfig("password_encryption", "scram-sha-256")
                .setDataDirectoryCustomizer(dataDirectory -> {
                    try {
                        Files.writeString(dataDirectory.toPath().resolve("pg_hba.conf"), """
                                local all all trust
                                host all postgres 127.0.0.1/32 trust
                                host all postgres ::1/128 trust
                                host all all 127.0.0.1/32 scram-sha-256
                                host all all ::1/128 scram-sha-256
                                """);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }).start();
    }

    /** The service's datasource on {@code postgres}: a role and database of its own, signed in to with a password. */
    public static Map<String, String> datasource(EmbeddedPostgres postgres) throws IOException {
        try (Connection admin = postgres.getPostgresDatabase().getConnection();
                Statement sql = admin.createStatement()) {
            sql.execute("CREATE ROLE " + DB_ROLE + " LOGIN PASSWORD '" + DB_PASSWORD + "'");
            sql.execute("CREATE DATABASE " + DB_ROLE + " OWNER " + DB_ROLE);
        } catch (SQLException e) {
            throw new IOException("could not set up the training database's role", e);
        }
        String url = "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + DB_ROLE;
        return Map.of("QUARKUS_DATASOURCE_JDBC_URL", url, "QUARKUS_DATASOURCE_USERNAME", DB_ROLE,
                "QUARKUS_DATASOURCE_PASSWORD", DB_PASSWORD);
    }

    /** The requests of the training: every endpoint the benchmarks and the probes call. */
    private record Exercise(URI base, URI management, Process service, Path log) {

        void run() throws IOException, InterruptedException {
            // HTTP/1.1, as the benchmarks and most clients speak it (the JDK's client would ask for h2c).
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            awaitReady(http);
            expect(http, HttpRequest.newBuilder(management.resolve("/q/health/ready")).build(), 200);
            expect(http, HttpRequest.newBuilder(management.resolve("/q/metrics")).build(), 200);
            expect(http, get("/q/openapi"), 200);
            expect(http, get("/api/v1/integration-types"), 200);
            expect(http, get("/api/v1/integration-types/mysql-federated/accounts"), 200);
            expect(http, HttpRequest.newBuilder(base.resolve("/api/v1/datasources/" + DATASOURCE + "/migrations"))
                    .header("X-API-Key", API_KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"accountId\":\"2\",\"catalog\":\"sales\",\"schema\":\"NULL\",\"table\":\"orders\"}"))
                    .build(), 200);
            expect(http, HttpRequest.newBuilder(base.resolve("/api/v1/datasources/" + DATASOURCE + "/reversals"))
                    .header("X-API-Key", API_KEY).POST(HttpRequest.BodyPublishers.noBody()).build(), 200);
            expect(http, get("/api/v1/audit/operations?limit=5"), 200);
            expect(http, HttpRequest.newBuilder(base.resolve("/api/v1/audit/operations"))
                    .header("X-API-Key", API_KEY).header("Accept", "text/csv").build(), 200);
            loadTheGetPath(http);
        }

        private void awaitReady(HttpClient http) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + READY_WITHIN.toNanos();
            while (System.nanoTime() < deadline) {
                if (!service.isAlive()) {
                    throw new IllegalStateException("the service exited during its training start; see " + log);
                }
                try {
                    if (http.send(candidates(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException notListeningYet) {
                    // still starting
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("the service did not answer within " + READY_WITHIN + "; see " + log);
        }

        /** Four clients for a few seconds: the hot path runs often enough for its profiles to be kept. */
        private void loadTheGetPath(HttpClient http) throws InterruptedException {
            long until = System.nanoTime() + GET_LOAD.toNanos();
            List<Thread> clients = new ArrayList<>();
            List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 4; i++) {
                Thread client = new Thread(() -> {
                    try {
                        while (System.nanoTime() < until) {
                            expect(http, candidates(), 200);
                        }
                    } catch (IOException | RuntimeException e) {
                        failures.add(e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "aot-training-client-" + i);
                client.start();
                clients.add(client);
            }
            for (Thread client : clients) {
                client.join();
            }
            if (!failures.isEmpty()) {
                throw new IllegalStateException("the GET load failed; see " + log, failures.get(0));
            }
        }

        private HttpRequest candidates() {
            return get("/api/v1/accounts/2/candidates");
        }

        private HttpRequest get(String path) {
            return HttpRequest.newBuilder(base.resolve(path)).header("X-API-Key", API_KEY).build();
        }

        private void expect(HttpClient http, HttpRequest request, int status) throws IOException, InterruptedException {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != status) {
                throw new IllegalStateException(request.method() + " " + request.uri().getPath() + " answered "
                        + response.statusCode() + " during the training: " + response.body());
            }
        }
    }

    /**
     * Domo's five operations, answered at once in Domo's shapes (those of the benchmarks' nginx
     * stand-in, deploy/bench/nginx/upstream.conf), for the developer token above only.
     */
    private static HttpsServer domoStandIn(Path store) throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(sslContext(store)));
        server.createContext(DOMO_API, exchange -> {
            exchange.getRequestBody().readAllBytes();
            String[] path = exchange.getRequestURI().getPath().substring(DOMO_API.length()).split("/");
            int status = 200;
            String body;
            if (!DOMO_TOKEN.equals(exchange.getRequestHeaders().getFirst("X-DOMO-Developer-Token"))) {
                status = 401;
                body = DOMO_ERROR.formatted(401, "Unauthorized", "Bad token");
            } else if (path.length == 1 && path[0].equals("types")) {
                body = "[\"mysql-federated\",\"snowflake-federated\"]";
            } else if (path.length == 2 && path[0].equals("accounts")) {
                body = "[{\"id\":\"2\",\"type\":\"mysql-federated\",\"name\":\"mysql v2 agent\"}]";
            } else if (path.length == 2 && path[0].equals("candidates")) {
                body = DOMO_CANDIDATES;
            } else if (path.length == 3 && path[1].equals("accounts")) {
                body = DOMO_RESULT.formatted(System.nanoTime(), path[0], "V1_TO_V2", Instant.now(), Instant.now());
            } else if (path.length == 2 && path[1].equals("reverse")) {
                body = DOMO_RESULT.formatted(System.nanoTime(), path[0], "V2_TO_V1", Instant.now(), Instant.now());
            } else {
                status = 404;
                body = DOMO_ERROR.formatted(404, "Not Found", "No such path");
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (var out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        return server;
    }

    private static SSLContext sslContext(Path store) throws IOException {
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(in, STORE_PASSWORD.toCharArray());
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(keys, STORE_PASSWORD.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(factory.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("could not read the Domo stand-in's certificate", e);
        }
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
