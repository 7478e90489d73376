package com.domomigrationproxy.plans;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * A plan's report as CSV (RFC 4180): one row per item, with its verdict, state and latest
 * operation. Text cells are quoted; a cell a spreadsheet would run as a formula gets a leading
 * apostrophe, as in the audit export.
 */
public final class PlanReport {

    private record Column(String name, Function<ItemView, Object> value) {
    }

    private static final List<Column> COLUMNS = List.of(
            new Column("itemId", ItemView::itemId),
            new Column("datasourceId", ItemView::datasourceId),
            new Column("accountId", ItemView::accountId),
            new Column("catalog", ItemView::catalog),
            new Column("schema", ItemView::schema),
            new Column("table", ItemView::table),
            new Column("verdict", ItemView::verdict),
            new Column("reason", ItemView::reason),
            new Column("state", ItemView::state),
            new Column("note", ItemView::note),
            new Column("operationId", ItemView::operationId),
            new Column("attempts", ItemView::attempts),
            new Column("sentAt", ItemView::sentAt),
            new Column("finishedAt", ItemView::finishedAt),
            new Column("toe", ItemView::toe),
            new Column("errorMessage", ItemView::errorMessage));

    private PlanReport() {
    }

    /** The report of a plan's items matching the filter, written as it is read, a thousand items at a time. */
    static void write(PlanService plans, UUID planId, PlanItems.Filter filter, OutputStream out) throws IOException {
        Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 16 * 1024);
        try {
            header(writer);
            plans.eachItem(planId, filter, item -> row(writer, item));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        writer.flush();
    }

    /** The report of every item of the plan (the console's download). */
    public static void write(PlanService plans, UUID planId, OutputStream out) throws IOException {
        write(plans, planId, new PlanItems.Filter(null, null), out);
    }

    static void header(Writer out) throws IOException {
        out.write(String.join(",", COLUMNS.stream().map(Column::name).toList()));
        out.write("\r\n");
    }

    static void row(Writer out, ItemView item) {
        try {
            for (int i = 0; i < COLUMNS.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                cell(out, COLUMNS.get(i).value().apply(item));
            }
            out.write("\r\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void cell(Writer out, Object value) throws IOException {
        if (value == null) {
            return;
        }
        if (value instanceof Number) {
            out.write(value.toString());
            return;
        }
        String text = value.toString();
        out.write('"');
        int first = 0;
        while (first < text.length() && text.charAt(first) == ' ') {
            first++; // spreadsheets skip leading spaces before they look for a formula
        }
        if (first < text.length() && "=+-@\t\r".indexOf(text.charAt(first)) >= 0) {
            out.write('\'');
        }
        out.write(text.replace("\"", "\"\""));
        out.write('"');
    }
}
