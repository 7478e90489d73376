package com.domomigrationproxy.support;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The packaged application (target/quarkus-app), started as operators start it: {@code java -jar}
 * with environment variables, against the given database; ready when it answers. Unless the settings
 * name them, it binds ports the system chooses (0) and its start-up line says which: a port a test found
 * free and passed on could be taken by another process before the application bound it.
 */
public final class PackagedApp implements AutoCloseable {

    /** Quarkus's start-up line: "Listening on: http://0.0.0.0:38963. Management interface listening on http://0.0.0.0:44107." */
    private static final Pattern LISTENING = Pattern.compile("Listening on: https?://[^ \"]*:(\\d+)"
            + "(?:[^\"]*Management interface listening on https?://[^ \"]*:(\\d+))?");

    private final Process process;
    private final Path log;
    private volatile int port;
    private volatile int managementPort;

    private PackagedApp(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

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
        Path log = Path.of("target", name + ".log").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder(command(jvmOptions)).redirectErrorStream(true)
                .directory(workingDirectory.toFile()).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("QUARKUS_HTTP_PORT", "0");
        env.put("QUARKUS_MANAGEMENT_PORT", "0");
        env.put("QUARKUS_DATASOURCE_JDBC_URL", postgres.getJdbcUrl("postgres", "postgres"));
        env.put("QUARKUS_DATASOURCE_USERNAME", "postgres");
        env.putAll(settings);
        return new PackagedApp(builder.start(), log);
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

    /** Waits until it has said where it listens and serves its OpenAPI document (it has started and migrated the database). */
    public PackagedApp awaitReady() {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .failFast("the application exited; see " + log, () -> !process.isAlive())
                .until(() -> listening() && given().port(port).get("/q/openapi").statusCode() == 200);
        return this;
    }

    public Process process() {
        return process;
    }

    /** Its output (standard output and error). */
    public Path log() {
        return log;
    }

    /** The HTTP port it bound; known once {@link #awaitReady()} returned. */
    public int port() {
        assertThat(port).as("the port is known once awaitReady() returned; see " + log).isPositive();
        return port;
    }

    /** The management interface's port (metrics, health); known once {@link #awaitReady()} returned. */
    public int managementPort() {
        assertThat(managementPort).as("the management interface's port is known once awaitReady() returned; see " + log)
                .isPositive();
        return managementPort;
    }

    private boolean listening() {
        if (port > 0) {
            return true;
        }
        try {
            Matcher started = LISTENING.matcher(Files.readString(log));
            if (!started.find()) {
                return false;
            }
            managementPort = started.group(2) == null ? 0 : Integer.parseInt(started.group(2));
            port = Integer.parseInt(started.group(1));
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
}
