package com.domomigrationproxy.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;

import jakarta.ws.rs.core.StreamingOutput;

import com.domomigrationproxy.ledger.ChainEvent;
import com.domomigrationproxy.ledger.Operation;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

/**
 * Writes Operations as CSV (RFC 4180) or NDJSON, and chain events as NDJSON, one row at a time.
 * Written by hand rather than with a CSV library: the formula guard and the cell-by-cell writing
 * (a million-row export spends its time here) are the whole of it. The audit API and the console
 * export through here. Bytes go to the body through a 64 KB buffer ({@link Utf8Writer}).
 */
public final class OperationExport {

    public static final String CSV = "text/csv";
    public static final String NDJSON = "application/x-ndjson";

    private record Column(String name, Function<Operation, Object> value) {
    }

    private static final List<Column> COLUMNS = List.of(
            new Column("operationId", Operation::operationId),
            new Column("direction", operation -> operation.intent().direction()),
            new Column("datasourceId", operation -> operation.intent().datasourceId()),
            new Column("accountId", operation -> operation.intent().accountId()),
            new Column("catalog", operation -> operation.intent().catalog()),
            new Column("schema", operation -> operation.intent().schema()),
            new Column("table", operation -> operation.intent().table()),
            new Column("state", operation -> operation.outcome().state()),
            new Column("toe", operation -> operation.outcome().toe()),
            new Column("startTime", operation -> operation.outcome().startTime()),
            new Column("endTime", operation -> operation.outcome().endTime()),
            new Column("errorMessage", operation -> operation.outcome().errorMessage()),
            new Column("requestedBy", operation -> operation.intent().requestedBy()),
            new Column("requestedAt", operation -> operation.intent().requestedAt()),
            new Column("completedAt", operation -> operation.outcome().completedAt()),
            new Column("requestId", operation -> operation.intent().requestId()),
            new Column("upstreamStatus", operation -> operation.outcome().upstreamStatus()),
            new Column("authMethod", operation -> operation.intent().authMethod()),
            new Column("clientAddress", operation -> operation.intent().clientAddress()),
            new Column("durationMs", operation -> operation.outcome().durationMs()),
            new Column("reconciledState", operation -> reconciliation(operation, Operation.Reconciliation::state)),
            new Column("reconciledAt", operation -> reconciliation(operation, Operation.Reconciliation::at)),
            new Column("reconciliationNote", operation -> reconciliation(operation, Operation.Reconciliation::note)),
            new Column("intentSeq", operation -> link(operation, Operation.Chain::intent, Operation.Link::seq)),
            new Column("intentPrevHash", operation -> link(operation, Operation.Chain::intent, Operation.Link::prevHash)),
            new Column("intentHash", operation -> link(operation, Operation.Chain::intent, Operation.Link::hash)),
            new Column("outcomeSeq", operation -> link(operation, Operation.Chain::outcome, Operation.Link::seq)),
            new Column("outcomePrevHash", operation -> link(operation, Operation.Chain::outcome, Operation.Link::prevHash)),
            new Column("outcomeHash", operation -> link(operation, Operation.Chain::outcome, Operation.Link::hash)),
            new Column("reconciliationSeq",
                    operation -> link(operation, Operation.Chain::reconciliation, Operation.Link::seq)),
            new Column("reconciliationPrevHash",
                    operation -> link(operation, Operation.Chain::reconciliation, Operation.Link::prevHash)),
            new Column("reconciliationHash",
                    operation -> link(operation, Operation.Chain::reconciliation, Operation.Link::hash)),
            new Column("planId", operation -> operation.intent().planId()),
            new Column("reconciledBy", operation -> reconciliation(operation, Operation.Reconciliation::by)),
            new Column("reviewReason", operation -> operation.review() == null ? null : operation.review().reason()),
            new Column("reviewFlaggedAt",
                    operation -> operation.review() == null ? null : operation.review().flaggedAt()),
            new Column("reviewSeq", operation -> link(operation, Operation.Chain::review, Operation.Link::seq)),
            new Column("reviewPrevHash", operation -> link(operation, Operation.Chain::review, Operation.Link::prevHash)),
            new Column("reviewHash", operation -> link(operation, Operation.Chain::review, Operation.Link::hash)),
            new Column("scopes", operation -> operation.intent().scopes() == null ? null
                    : operation.intent().scopes().toJson()));

    private OperationExport() {
    }

    /**
     * The export of these operations as a response body, its rows counted: an {@link AuditedAccess}
     * resource's answer is recorded before its first byte and again when it ends.
     */
    public static StreamingOutput operations(String mediaType, ObjectWriter json,
            Consumer<Consumer<Operation>> export) {
        return new AuditedExport((out, written) -> writeOperations(mediaType, out, json, export, written));
    }

    /** The export of these chain events as NDJSON, as {@link #operations} does it for operations. */
    public static StreamingOutput events(ObjectWriter json, Consumer<Consumer<ChainEvent>> export) {
        return new AuditedExport((out, written) -> writeEvents(out, json, export, written));
    }

    /** Streams operations into the response body, counting the rows written; the writer buffers 64 KB at most. */
    static void writeOperations(String mediaType, OutputStream body, ObjectWriter json,
            Consumer<Consumer<Operation>> export, LongAdder written) throws IOException {
        write(body, out -> {
            if (CSV.equals(mediaType)) {
                out.write(String.join(",", COLUMNS.stream().map(Column::name).toList()));
                out.write("\r\n");
                export.accept(operation -> {
                    writeCsvRow(out, operation);
                    written.increment();
                });
            } else {
                export.accept(item -> {
                    writeJsonLine(out, json, item);
                    written.increment();
                });
            }
        });
    }

    /** Streams chain events as NDJSON, counting the rows written. */
    static void writeEvents(OutputStream body, ObjectWriter json, Consumer<Consumer<ChainEvent>> export,
            LongAdder written) throws IOException {
        write(body, out -> export.accept(event -> {
            writeJsonLine(out, json, event);
            written.increment();
        }));
    }

    /**
     * The JSON writer of exports: U+2028 and U+2029 are escaped, since JavaScript-based line readers
     * take them for line ends.
     */
    public static ObjectWriter jsonLines(ObjectMapper json) {
        return json.writer().with(new LineSeparatorEscapes());
    }

    private interface Body {
        void write(Writer out) throws IOException;
    }

    private static void write(OutputStream body, Body content) throws IOException {
        Writer out = new Utf8Writer(body, 64 * 1024);
        try {
            content.write(out);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        out.flush();
    }

    private static void writeJsonLine(Writer out, ObjectWriter json, Object item) {
        try {
            out.write(json.writeValueAsString(item));
            out.write('\n');
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

    private static <T> T reconciliation(Operation operation, Function<Operation.Reconciliation, T> part) {
        return operation.reconciliation() == null ? null : part.apply(operation.reconciliation());
    }

    private static <T> T link(Operation operation, Function<Operation.Chain, Operation.Link> which,
            Function<Operation.Link, T> part) {
        if (operation.chain() == null) {
            return null;
        }
        Operation.Link link = which.apply(operation.chain());
        return link == null ? null : part.apply(link);
    }

    /** Jackson's standard escapes, plus U+2028 and U+2029. */
    private static final class LineSeparatorEscapes extends CharacterEscapes {

        private static final int[] ASCII = CharacterEscapes.standardAsciiEscapesForJSON();

        @Override
        public int[] getEscapeCodesForAscii() {
            return ASCII;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch == 0x2028) {
                return new SerializedString("\\u2028");
            }
            if (ch == 0x2029) {
                return new SerializedString("\\u2029");
            }
            return null;
        }
    }
}
