package com.domomigrationproxy.support;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The packaged application (target/quarkus-app), started as operators start it: {@code java -jar}
 * with environment variables, on free ports, against the given database; ready when it answers.
 */
public record PackagedApp(Process process, int port, Path log) implements AutoCloseable {

    /** Starts it with {@code settings} on top of its ports and datasource; its output goes to target/{name}.log. */
    public static PackagedApp start(String name, EmbeddedPostgres postgres, Map<String, String> settings)
            throws IOException {
        return start(name, postgres, settings, List.of());
    }

    /** The same, with these options for the JVM (which is the tests' own). */
    public static PackagedApp start(String name, EmbeddedPostgres postgres, Map<String, String> settings,
            List<String> jvmOptions) throws IOException {
        return start(name, postgres, settings, jvmOptions, Path.of("."));
    }

    /** The same, started in {@code workingDirectory} (what the image's is: read-only under the chart). */
    public static PackagedApp start(String name, EmbeddedPostgres postgres, Map<String, String> settings,
            List<String> jvmOptions, Path workingDirectory) throws IOException {
        int port = freePort();
        Path log = Path.of("target", name + ".log").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder(command(jvmOptions)).redirectErrorStream(true)
                .directory(workingDirectory.toFile()).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(freePort()));
        env.put("QUARKUS_DATASOURCE_JDBC_URL", postgres.getJdbcUrl("postgres", "postgres"));
        env.put("QUARKUS_DATASOURCE_USERNAME", "postgres");
        env.putAll(settings);
        return new PackagedApp(builder.start(), port, log);
    }

    /**
     * The command that starts the packaged application on the tests' own JVM with {@code jvmOptions}.
     * Unless they choose a compiler, C1 alone: these tests are about what the application does, not how
     * fast its code runs once warm, and C1 starts it in about three quarters of the time (docs/performance.md,
     * ninth round), which counts when several start at once on CI's two cores (docs/testing.md).
     * AotTrainingIT chooses the image's.
     */
    public static List<String> command(List<String> jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (jvmOptions.stream().noneMatch(option -> option.contains("TieredCompilation")
                || option.contains("TieredStopAtLevel"))) {
            command.add("-XX:TieredStopAtLevel=1");
        }
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath().toString()));
        return command;
    }

    /** Waits until it serves its OpenAPI document (it has started and migrated the database). */
    public PackagedApp awaitReady() {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .failFast("the application exited; see " + log, () -> !process.isAlive())
                .until(() -> given().port(port).get("/q/openapi").statusCode() == 200);
        return this;
    }

    /** Waits (up to two minutes) for a start that must fail, and returns its log. */
    public String awaitRefusedStart() throws IOException, InterruptedException {
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("exited; see " + log).isTrue();
        assertThat(process.exitValue()).as("exit status; see " + log).isNotZero();
        return Files.readString(log);
    }

    /** Kills it at once, as a crash or an OOM kill would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
