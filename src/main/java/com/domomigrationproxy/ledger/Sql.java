package com.domomigrationproxy.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Plain JDBC, the one persistence style of the ledger and the stores beside it: the chain link is
 * computed by PostgreSQL in the statement that appends it, outcomes are guarded UPDATEs, and reads
 * stream millions of rows through a server-side cursor; an ORM's persistence context would only
 * sit in between. Connections come from the Agroal pool, so inside a JTA transaction
 * ({@code QuarkusTransaction}) every statement joins it.
 */
public final class Sql {

    /** Maps the current row of a result set. */
    @FunctionalInterface
    public interface Row<T> {
        T map(ResultSet row) throws SQLException;
    }

    private Sql() {
    }

    public static int update(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, parameters);
            return statement.executeUpdate();
        }
    }

    public static <T> List<T> list(Connection connection, String sql, Row<T> row, Object... parameters)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, parameters);
            try (ResultSet rows = statement.executeQuery()) {
                List<T> result = new ArrayList<>();
                while (rows.next()) {
                    result.add(row.map(rows));
                }
                return result;
            }
        }
    }

    public static <T> Optional<T> first(Connection connection, String sql, Row<T> row, Object... parameters)
            throws SQLException {
        List<T> found = list(connection, sql, row, parameters);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** Binds parameters in order: instants as timestamptz, enums by name, the rest as JDBC maps them. */
    public static void bind(PreparedStatement statement, Object... parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            Object value = parameters[i];
            if (value instanceof Instant instant) {
                value = OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
            } else if (value instanceof Enum<?> constant) {
                value = constant.name();
            }
            statement.setObject(i + 1, value);
        }
    }

    /** A timestamptz column as an Instant; OffsetDateTime is the driver's direct path. */
    public static Instant instant(ResultSet row, int column) throws SQLException {
        OffsetDateTime time = row.getObject(column, OffsetDateTime.class);
        return time == null ? null : time.toInstant();
    }

    public static Instant instant(ResultSet row, String column) throws SQLException {
        return instant(row, row.findColumn(column));
    }
}
