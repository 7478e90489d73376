package com.domomigrationproxy.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import com.domomigrationproxy.ledger.ChainEvent;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationField;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.ledger.OperationStore;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

/**
 * Writes Operations as CSV (RFC 4180) or NDJSON, and chain events as NDJSON, one row at a time.
 * Written by hand rather than with a CSV library: the formula guard and the cell-by-cell writing
 * of the database's UTF-8 bytes, never decoded into strings (a million-row export spends its time
 * here), are the whole of it. The audit API and the console export through here. Bytes go to the
 * body through a 64 KB buffer ({@link Utf8Writer}).
 */
public final class OperationExport {

    public static final String CSV = "text/csv";
    public static final String NDJSON = "application/x-ndjson";

    /** A CSV column: its header and the field it holds. */
    private record Column(String name, OperationField field) {
    }

    private static final List<Column> COLUMNS = List.of(
            new Column("operationId", OperationField.OPERATION_ID),
            new Column("direction", OperationField.DIRECTION),
            new Column("datasourceId", OperationField.DATASOURCE_ID),
            new Column("accountId", OperationField.ACCOUNT_ID),
            new Column("catalog", OperationField.CATALOG),
            new Column("schema", OperationField.SCHEMA),
            new Column("table", OperationField.TABLE),
            new Column("state", OperationField.STATE),
            new Column("toe", OperationField.TOE),
            new Column("startTime", OperationField.START_TIME),
            new Column("endTime", OperationField.END_TIME),
            new Column("errorMessage", OperationField.ERROR_MESSAGE),
            new Column("requestedBy", OperationField.REQUESTED_BY),
            new Column("requestedAt", OperationField.REQUESTED_AT),
            new Column("completedAt", OperationField.COMPLETED_AT),
            new Column("requestId", OperationField.REQUEST_ID),
            new Column("upstreamStatus", OperationField.UPSTREAM_STATUS),
            new Column("authMethod", OperationField.AUTH_METHOD),
            new Column("clientAddress", OperationField.CLIENT_ADDRESS),
            new Column("durationMs", OperationField.DURATION_MS),
            new Column("reconciledState", OperationField.RECONCILED_STATE),
            new Column("reconciledAt", OperationField.RECONCILED_AT),
            new Column("reconciliationNote", OperationField.RECONCILIATION_NOTE),
            new Column("intentSeq", OperationField.INTENT_SEQ),
            new Column("intentPrevHash", OperationField.INTENT_PREV_HASH),
            new Column("intentHash", OperationField.INTENT_HASH),
            new Column("outcomeSeq", OperationField.OUTCOME_SEQ),
            new Column("outcomePrevHash", OperationField.OUTCOME_PREV_HASH),
            new Column("outcomeHash", OperationField.OUTCOME_HASH),
            new Column("reconciliationSeq", OperationField.RECONCILIATION_SEQ),
            new Column("reconciliationPrevHash", OperationField.RECONCILIATION_PREV_HASH),
            new Column("reconciliationHash", OperationField.RECONCILIATION_HASH),
            new Column("planId", OperationField.PLAN_ID),
            new Column("reconciledBy", OperationField.RECONCILED_BY),
            new Column("reviewReason", OperationField.REVIEW_REASON),
            new Column("reviewFlaggedAt", OperationField.REVIEW_FLAGGED_AT),
            new Column("reviewSeq", OperationField.REVIEW_SEQ),
            new Column("reviewPrevHash", OperationField.REVIEW_PREV_HASH),
            new Column("reviewHash", OperationField.REVIEW_HASH),
            new Column("scopes", OperationField.SCOPES));

    private static final List<OperationField> FIELDS = COLUMNS.stream().map(Column::field).toList();
    private static final String HEADER = String.join(",", COLUMNS.stream().map(Column::name).toList()) + "\r\n";
    /** Per column: true for numbers, which are written bare. */
    private static final boolean[] BARE = new boolean[FIELDS.size()];
    /** Text that a spreadsheet would run as a formula starts with one of these. */
    private static final String FORMULA_START = "=+-@\t\r";

    static {
        for (int i = 0; i < BARE.length; i++) {
            BARE[i] = FIELDS.get(i).number();
        }
    }

    private OperationExport() {
    }

    /**
     * Streams the operations matching the query into the response body, counting the rows written;
     * the writer buffers 64 KB at most. CSV copies the database's text ({@link OperationStore#streamText});
     * NDJSON writes each {@link Operation} as the API does.
     */
    static void writeOperations(String mediaType, OutputStream body, ObjectWriter json, OperationStore operations,
            OperationQuery query, LongAdder written) throws IOException {
        write(body, out -> {
            if (CSV.equals(mediaType)) {
                out.write(HEADER);
                operations.streamText(query, FIELDS, row -> {
                    writeCsvRow(out, row);
                    written.increment();
                });
            } else {
                operations.stream(query, item -> {
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
        void write(Utf8Writer out) throws IOException;
    }

    private static void write(OutputStream body, Body content) throws IOException {
        Utf8Writer out = new Utf8Writer(body, 64 * 1024);
        try {
            content.write(out);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        out.flush();
    }

    private static void writeJsonLine(Utf8Writer out, ObjectWriter json, Object item) {
        try {
            out.write(json.writeValueAsString(item));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One CSV record, written cell by cell from the database's bytes: an export of a million rows spends its time here. */
    private static void writeCsvRow(Utf8Writer out, byte[][] row) {
        try {
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    out.write(',');
                }
                byte[] cell = row[i];
                if (cell == null) {
                    continue;
                }
                if (BARE[i]) {
                    out.writeUtf8(cell, 0, cell.length);
                } else {
                    writeText(out, cell);
                }
            }
            out.write('\r');
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Null is an empty field (above), numbers are bare, text is always quoted (quotes doubled). Text
     * that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR, after any
     * spaces, which spreadsheets skip) gets a leading apostrophe; NDJSON is the lossless format. The text is UTF-8, in which a quote or any
     * of those characters is one byte and never part of another character.
     */
    private static void writeText(Utf8Writer out, byte[] text) throws IOException {
        out.write('"');
        int first = 0;
        while (first < text.length && text[first] == ' ') {
            first++;
        }
        if (first < text.length && FORMULA_START.indexOf(text[first]) >= 0) {
            out.write('\'');
        }
        int start = 0;
        for (int i = 0; i < text.length; i++) {
            if (text[i] == '"') {
                out.writeUtf8(text, start, i + 1 - start);
                out.write('"');
                start = i + 1;
            }
        }
        out.writeUtf8(text, start, text.length - start);
        out.write('"');
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
