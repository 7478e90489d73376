package com.domomigrationproxy.ledger;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * One page of rows, in its query's order, and whether rows follow it. A page is read whole (no
 * cursor), so besides its number of rows it ends at {@link #BYTES} of the columns that have no size
 * limit: a caller's scopes (an operation row and its INTENT event repeat them) and an event's
 * payload. 500 rows that each repeat a grant of 1,700 data sources (64 KiB) were 32 MiB twice over
 * (the driver's bytes, then the strings), more than the chart's heap holds, and the audit stream,
 * which reads such pages, then failed on every replica that took it over (SIEM review). A page's
 * first row comes whatever its size; the rest come on the next page, after its last row.
 */
public record RowPage<T>(List<T> items, boolean more) {

    /** The bytes of unbounded columns that a page's rows after its first may bring. */
    public static final long BYTES = 1024 * 1024;
    /** The column that says how many rows the page's own query returned, before the cut. */
    static final String PAGE_ROWS = "page_rows";

    /**
     * The page of {@code size} rows of an ordered query (whose parameters are in {@code parameters}),
     * up to {@link #BYTES} of {@code bytes} (an expression over its columns) before each: it asks
     * one row more, to know whether more follow, and the cut is made in the database, so that rows
     * left out never leave it. {@code order} is the query's order by its output columns. Adds the
     * page's own two parameters (its rows, its byte budget) to {@code parameters}.
     */
    static String bounded(String ordered, List<Object> parameters, int size, String bytes, String order) {
        parameters.add(size + 1);
        parameters.add(BYTES);
        return "SELECT * FROM (SELECT page.*, count(*) OVER () AS " + PAGE_ROWS + ", sum(" + bytes + ") OVER (ORDER BY "
                + order + " ROWS UNBOUNDED PRECEDING) - (" + bytes + ") AS page_bytes_before FROM (" + ordered
                + " LIMIT ?) page) sized WHERE page_bytes_before < ? ORDER BY " + order;
    }

    /**
     * Whether a page of {@code rows} rows, whose unbounded columns hold {@code bytes}, ends before
     * another row: at its {@code size}, or once they pass {@link #BYTES}, as {@link #bounded} cuts
     * (for a page gathered in Java, such as rows kept by a filter).
     */
    public static boolean full(int rows, long bytes, int size) {
        return rows >= size || rows > 0 && bytes >= BYTES;
    }

    /**
     * How many rows a {@link #bounded} query's page had before the cut, as each of its rows says:
     * whether rows were cut, and so whether more follow, when fewer rows than its size came.
     */
    static final class Counted {

        private int pageRows;

        /** A row's item, its row read for the page's count. */
        <T> T row(ResultSet row, T item) throws SQLException {
            pageRows = row.getInt(PAGE_ROWS);
            return item;
        }

        /** The page of {@code size} rows from the items of a query that asked one row more. */
        <T> RowPage<T> page(List<T> read, int size) {
            if (read.size() > size) {
                return new RowPage<>(List.copyOf(read.subList(0, size)), true);
            }
            return new RowPage<>(read, read.size() < pageRows);
        }
    }

    /** The page's last row; only for a page with rows. */
    public T last() {
        return items.get(items.size() - 1);
    }
}
