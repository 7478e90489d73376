package com.domomigrationproxy.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.support.PackagedApp;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The image's AOT cache recipe, run as the Dockerfile runs it: AotTraining with the options of the
 * Dockerfile's training line, then a start with the image's run options, whose classes must come
 * from the cache, including those a start without a database never reaches (Flyway's migration,
 * Hibernate's session factory, the service's own resources and its HTTP client to Domo), and those
 * of a password sign-in and of TLS, which the training's database and Domo stand-in ask for. Needs the
 * JDK the image runs (25): .ci/run's second pass runs the suite on it; on JDK 17 it is skipped.
 */
class AotTrainingIT {

    private static final Path DOCKERFILE = Path.of("deploy", "docker", "Dockerfile.jvm");
    private static final String IMAGE_CACHE = "/deployments/app.aot";

    @Test
    void theImagesCacheHoldsWhatTheServiceLoadsOnceItHasADatabase(@TempDir Path work) throws Exception {
        assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs the image's JDK 25");
        String dockerfile = Files.readString(DOCKERFILE);
        Path cache = work.resolve("app.aot");
        List<String> gc = options(dockerfile, "ENV GC_CONTAINER_OPTIONS=\"([^\"]*)\"", cache);

        List<String> training = new ArrayList<>(
                options(dockerfile, "JAVA_OPTS_APPEND=\"(-XX:AOTCacheOutput=[^\"]*)\"", cache));
        training.addAll(gc);
        AotTraining.train(cache, Path.of("target", "aot-training-it.log"), PackagedApp.command(training));
        assertThat(cache).isNotEmptyFile();

        Path classes = work.resolve("classes.log");
        List<String> run = new ArrayList<>(options(dockerfile, "ENV JAVA_OPTS_APPEND=\"([^\"]*)\"", cache));
        run.addAll(gc);
        run.add("-Xlog:class+load=info:file=" + classes);
        try (EmbeddedPostgres postgres = AotTraining.startPostgres()) {
            Map<String, String> settings = new HashMap<>(AotTraining.datasource(postgres));
            settings.put("DOMO_BASE_URL", "http://127.0.0.1:9");
            settings.put("DOMO_DEVELOPER_TOKEN", "aot-it-token");
            try (PackagedApp app = PackagedApp.start("aot-cache-it", postgres, settings, run)) {
                app.awaitReady();
            }
            List<String> loaded = Files.readAllLines(classes);
            assertThat(loaded).as("the JVM used the cache").anyMatch(line -> line.contains("source: shared objects file"));
            for (String name : List.of("org.flywaydb.core.internal.command.DbMigrate",
                    "org.hibernate.internal.SessionFactoryImpl",
                    "com.domomigrationproxy.migration.MigrationResource",
                    "com.domomigrationproxy.domo.HttpDomoUpstream",
                    // the first connection's password exchange, as against PostgreSQL's default authentication
                    "org.postgresql.core.v3.ScramAuthenticator", "com.sun.crypto.provider.PBKDF2KeyImpl",
                    // the TLS client to Domo (the JVM loads every class of the cache at start)
                    "sun.security.ssl.ClientHello")) {
                assertThat(loaded).as(name + " comes from the cache")
                        .anyMatch(line -> line.contains(" " + name + " source: shared objects file"));
            }
            long fromCache = loaded.stream().filter(line -> line.contains("source: shared objects file")).count();
            assertThat(fromCache).as("classes from the cache, of " + loaded.size() + " loaded")
                    .isGreaterThan(loaded.size() * 95L / 100);
        }
    }

    /** The options of the Dockerfile line that {@code pattern} finds, with the cache at {@code cache}. */
    private static List<String> options(String dockerfile, String pattern, Path cache) {
        Matcher matcher = Pattern.compile(pattern).matcher(dockerfile);
        assertThat(matcher.find()).as(DOCKERFILE + " has " + pattern).isTrue();
        return Arrays.stream(matcher.group(1).replace(IMAGE_CACHE, cache.toString()).split("\\s+"))
                .filter(option -> !option.isEmpty()).toList();
    }
}
