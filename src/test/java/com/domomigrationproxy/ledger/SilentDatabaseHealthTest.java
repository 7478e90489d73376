package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import io.quarkus.test.junit.QuarkusTest;

/**
 * A database that stops answering without closing its connections (its host lost, a network
 * partition): the readiness check says DOWN within the probe's timeout instead of waiting on the
 * socket for as long as the kernel retransmits, and the connection it waited on is broken, so a pool
 * does not fill with connections held by probes.
 */
@QuarkusTest
class SilentDatabaseHealthTest {

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void aDatabaseGoneSilentIsDownWithinTheProbesTimeout() throws Exception {
        URI database = URI.create(System.getProperty("quarkus.datasource.jdbc.url").substring("jdbc:".length()));
        try (SilentRelay relay = new SilentRelay(database.getPort())) {
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setUrl("jdbc:postgresql://127.0.0.1:" + relay.port() + database.getPath());
            dataSource.setUser("postgres");
            try (var connection = dataSource.getConnection()) {
                DatabaseWritableHealthCheck check = new DatabaseWritableHealthCheck(new SingleConnection(connection, false));
                assertThat(check.call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
                assertThat(connection.getNetworkTimeout()).as("the pooled connection's own timeout, given back").isZero();

                relay.goSilent();
                long started = System.nanoTime();
                HealthCheckResponse silent = check.call();
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(6));
                assertThat(silent.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
                assertThat(connection.isClosed()).as("the connection the probe waited on is broken").isTrue();
            }
        }
    }

    /**
     * A query that fails without breaking the connection (cancelled by an administrator, a role's
     * statement_timeout) leaves no timeout on it for its next borrower: the pool does not reset it.
     */
    @Test
    void aFailedQueryLeavesNoTimeoutOnThePooledConnection() throws Exception {
        try (var connection = com.domomigrationproxy.support.PostgresAdmin.ownConnections().getConnection()) {
            DatabaseWritableHealthCheck check = new DatabaseWritableHealthCheck(new SingleConnection(connection, true));
            assertThat(check.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
            assertThat(connection.isClosed()).isFalse();
            assertThat(connection.getNetworkTimeout()).isZero();
        }
    }

    /** A pool of one connection, whose close leaves it open (as a pool's does); its queries may fail as cancelled. */
    private record SingleConnection(java.sql.Connection connection, boolean queriesCancelled)
            implements javax.sql.DataSource {

        @Override
        public java.sql.Connection getConnection() {
            return (java.sql.Connection) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] { java.sql.Connection.class }, (proxy, method, arguments) -> {
                        if (method.getName().equals("close")) {
                            return null;
                        }
                        Object result = invoke(method, arguments);
                        return queriesCancelled && result instanceof java.sql.Statement statement
                                ? cancelling(statement) : result;
                    });
        }

        private static java.sql.Statement cancelling(java.sql.Statement statement) {
            return (java.sql.Statement) java.lang.reflect.Proxy.newProxyInstance(
                    SingleConnection.class.getClassLoader(), new Class<?>[] { java.sql.Statement.class },
                    (proxy, method, arguments) -> {
                        if (method.getName().equals("executeQuery")) {
                            throw new java.sql.SQLException("canceling statement due to user request", "57014");
                        }
                        try {
                            return method.invoke(statement, arguments);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        private Object invoke(java.lang.reflect.Method method, Object[] arguments) throws Throwable {
            try {
                return method.invoke(connection, arguments);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        }

        @Override
        public java.sql.Connection getConnection(String username, String password) {
            return getConnection();
        }

        @Override
        public java.io.PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(java.io.PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public java.util.logging.Logger getParentLogger() {
            return java.util.logging.Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> type) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }

    /** Relays one connection to PostgreSQL until told to go silent: then it swallows every byte, both ways, and closes nothing. */
    private static final class SilentRelay implements AutoCloseable {

        private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final CopyOnWriteArrayList<Socket> sockets = new CopyOnWriteArrayList<>();
        private volatile boolean silent;

        SilentRelay(int target) throws IOException {
            Thread accepting = new Thread(() -> {
                try {
                    while (true) {
                        Socket client = server.accept();
                        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                        sockets.add(client);
                        sockets.add(upstream);
                        pump(client, upstream);
                        pump(upstream, client);
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "silent-relay");
            accepting.setDaemon(true);
            accepting.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void goSilent() {
            silent = true;
        }

        private void pump(Socket from, Socket to) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try (InputStream in = from.getInputStream()) {
                    OutputStream out = to.getOutputStream();
                    int read;
                    while ((read = in.read(buffer)) != -1) {
                        if (!silent) {
                            out.write(buffer, 0, read);
                            out.flush();
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "silent-relay-pump");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
