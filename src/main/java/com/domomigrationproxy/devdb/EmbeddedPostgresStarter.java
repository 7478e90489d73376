package com.domomigrationproxy.devdb;

import static com.domomigrationproxy.devdb.EmbeddedPostgresConfigSource.ADMIN_URL;
import static com.domomigrationproxy.devdb.EmbeddedPostgresConfigSource.DATABASE;
import static com.domomigrationproxy.devdb.EmbeddedPostgresConfigSource.PASSWORD;
import static com.domomigrationproxy.devdb.EmbeddedPostgresConfigSource.URL;
import static com.domomigrationproxy.devdb.EmbeddedPostgresConfigSource.USERNAME;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import org.jboss.logging.Logger;

import io.quarkus.runtime.LaunchMode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/** The only class that touches the embedded binaries; loaded only in dev and test. */
final class EmbeddedPostgresStarter {

    private static final Logger LOG = Logger.getLogger(EmbeddedPostgresStarter.class);

    private EmbeddedPostgresStarter() {
    }

    static synchronized void ensureStarted() {
        if (System.getProperty(URL) != null) {
            return;
        }
        boolean dev = LaunchMode.current() == LaunchMode.DEVELOPMENT;
        try {
            var builder = EmbeddedPostgres.builder().setPort(freePort());
            if (dev) {
                // Dev data survives restarts until `mvn clean`.
                Path dataDir = Path.of("target", "embedded-postgresql").toAbsolutePath();
                Files.createDirectories(dataDir);
                builder.setDataDirectory(dataDir).setCleanDataDirectory(false);
            }
            var postgres = builder.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    postgres.close();
                } catch (IOException e) {
                    LOG.warn("Embedded PostgreSQL did not stop cleanly", e);
                }
            }, "embedded-postgresql-stop"));
            createDatabase(postgres);
            System.setProperty(ADMIN_URL, postgres.getJdbcUrl("postgres", "postgres"));
            System.setProperty(USERNAME, "postgres");
            System.setProperty(PASSWORD, "");
            System.setProperty(URL, postgres.getJdbcUrl("postgres", DATABASE));
            LOG.infof("Started embedded PostgreSQL on port %d (no datasource configured)", postgres.getPort());
        } catch (IOException | RuntimeException e) {
            // A RuntimeException too: on a platform it has no binaries for (arm64 Linux) the library throws
            // an IllegalStateException, which escaped without the hint.
            throw new UncheckedIOException("Could not start the embedded PostgreSQL for " + LaunchMode.current()
                    + " mode (" + e.getMessage() + "); configure QUARKUS_DATASOURCE_JDBC_URL instead",
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    private static void createDatabase(EmbeddedPostgres postgres) {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            var exists = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'");
            if (!exists.next()) {
                statement.execute("CREATE DATABASE " + DATABASE);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create the embedded database " + DATABASE, e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
