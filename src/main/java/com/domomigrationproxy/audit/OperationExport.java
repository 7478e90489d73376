package com.domomigrationproxy.audit;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Writes Operations as CSV (RFC 4180) or NDJSON, one row at a time. */
final class OperationExport {

    static final String CSV = "text/csv";
    static final String NDJSON = "application/x-ndjson";

    private record Column(String name, Function<Operation, Object> value) {
    }

    private static final List<Column> COLUMNS = List.of(
            new Column("operationId", Operation::operationId),
            new Column("direction", Operation::direction),
            new Column("datasourceId", Operation::datasourceId),
            new Column("accountId", Operation::accountId),
            new Column("catalog", Operation::catalog),
            new Column("schema", Operation::schema),
            new Column("table", Operation::table),
            new Column("state", Operation::state),
            new Column("toe", Operation::toe),
            new Column("startTime", Operation::startTime),
            new Column("endTime", Operation::endTime),
            new Column("errorMessage", Operation::errorMessage),
            new Column("requestedBy", Operation::requestedBy),
            new Column("requestedAt", Operation::requestedAt),
            new Column("completedAt", Operation::completedAt),
            new Column("requestId", Operation::requestId),
            new Column("upstreamStatus", Operation::upstreamStatus),
            new Column("authMethod", Operation::authMethod),
            new Column("clientAddress", Operation::clientAddress),
            new Column("durationMs", Operation::durationMs),
            new Column("reconciledState", operation -> operation.reconciliation() == null ? null
                    : operation.reconciliation().state()),
            new Column("reconciledAt", operation -> operation.reconciliation() == null ? null
                    : operation.reconciliation().at()),
            new Column("reconciliationNote", operation -> operation.reconciliation() == null ? null
                    : operation.reconciliation().note()),
            new Column("intentSeq", operation -> link(operation, true, Operation.Link::seq)),
            new Column("intentPrevHash", operation -> link(operation, true, Operation.Link::prevHash)),
            new Column("intentHash", operation -> link(operation, true, Operation.Link::hash)),
            new Column("outcomeSeq", operation -> link(operation, false, Operation.Link::seq)),
            new Column("outcomePrevHash", operation -> link(operation, false, Operation.Link::prevHash)),
            new Column("outcomeHash", operation -> link(operation, false, Operation.Link::hash)),
            new Column("reconciliationSeq", operation -> reconciliationLink(operation, Operation.Link::seq)),
            new Column("reconciliationPrevHash", operation -> reconciliationLink(operation, Operation.Link::prevHash)),
            new Column("reconciliationHash", operation -> reconciliationLink(operation, Operation.Link::hash)));

    private OperationExport() {
    }

    /** Runs the export into the response body; the writer buffers a few KB at most. */
    static void write(String mediaType, OutputStream body, ObjectMapper json, Exporter exporter) throws IOException {
        Writer out = new BufferedWriter(new OutputStreamWriter(body, StandardCharsets.UTF_8), 16 * 1024);
        try {
            if (CSV.equals(mediaType)) {
                out.write(String.join(",", COLUMNS.stream().map(Column::name).toList()));
                out.write("\r\n");
                exporter.run(operation -> writeCsvRow(out, operation));
            } else {
                exporter.run(operation -> {
                    try {
                        writeLine(out, json.writeValueAsString(operation), "\n");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        out.flush();
    }

    interface Exporter {
        void run(java.util.function.Consumer<Operation> sink);
    }

    private static void writeLine(Writer out, String line, String end) {
        try {
            out.write(line);
            out.write(end);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One CSV record, written cell by cell: an export of a million rows spends its time here. */
    private static void writeCsvRow(Writer out, Operation operation) {
        try {
            for (int i = 0; i < COLUMNS.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                writeCell(out, COLUMNS.get(i).value().apply(operation));
            }
            out.write("\r\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Null is an empty field, numbers are bare, text is always quoted (quotes doubled). Text that a
     * spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) gets a leading
     * apostrophe; NDJSON is the lossless format.
     */
    private static void writeCell(Writer out, Object value) throws IOException {
        if (value == null) {
            return;
        }
        if (value instanceof Number) {
            out.write(value.toString());
            return;
        }
        String text = value instanceof Instant instant ? isoInstant(instant) : value.toString();
        out.write('"');
        if (!text.isEmpty() && "=+-@\t\r".indexOf(text.charAt(0)) >= 0) {
            out.write('\'');
        }
        int start = 0;
        for (int quote = text.indexOf('"'); quote >= 0; quote = text.indexOf('"', start)) {
            out.write(text, start, quote + 1 - start);
            out.write('"');
            start = quote + 1;
        }
        out.write(text, start, text.length() - start);
        out.write('"');
    }

    /**
     * {@link Instant#toString()}'s text (ISO-8601 UTC, fraction in groups of three digits), without
     * its formatter: every row has two or three instants, and the formatter was a seventh of an
     * export's time.
     */
    static String isoInstant(Instant instant) {
        LocalDateTime time = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
        if (time.getYear() < 1000 || time.getYear() > 9999) {
            return instant.toString();
        }
        StringBuilder text = new StringBuilder(30);
        text.append(time.getYear()).append('-');
        twoDigits(text, time.getMonthValue()).append('-');
        twoDigits(text, time.getDayOfMonth()).append('T');
        twoDigits(text, time.getHour()).append(':');
        twoDigits(text, time.getMinute()).append(':');
        twoDigits(text, time.getSecond());
        int nanos = instant.getNano();
        if (nanos > 0) {
            if (nanos % 1_000_000 == 0) {
                fraction(text, nanos / 1_000_000, 3);
            } else if (nanos % 1_000 == 0) {
                fraction(text, nanos / 1_000, 6);
            } else {
                fraction(text, nanos, 9);
            }
        }
        return text.append('Z').toString();
    }

    private static StringBuilder twoDigits(StringBuilder text, int value) {
        return text.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }

    private static void fraction(StringBuilder text, int value, int digits) {
        String number = Integer.toString(value);
        text.append('.');
        for (int i = number.length(); i < digits; i++) {
            text.append('0');
        }
        text.append(number);
    }

    private static <T> T reconciliationLink(Operation operation, Function<Operation.Link, T> part) {
        return operation.chain() == null || operation.chain().reconciliation() == null ? null
                : part.apply(operation.chain().reconciliation());
    }

    private static <T> T link(Operation operation, boolean intent, Function<Operation.Link, T> part) {
        if (operation.chain() == null) {
            return null;
        }
        Operation.Link link = intent ? operation.chain().intent() : operation.chain().outcome();
        return link == null ? null : part.apply(link);
    }
}
