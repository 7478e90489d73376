package com.domomigrationproxy.ledger;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A cursor's fetch size, set by the size of the rows it brings: the first fetch is {@value #FIRST}
 * rows, later ones about {@value #BYTES} bytes, from 1 to {@value #MOST} rows. A caller's scopes
 * have no size limit, and every row of its operations (and their events) repeats them: 1,000 rows a
 * fetch, as before, that repeat a grant of 64 KiB were 64 MiB of the driver's bytes, more than a
 * pod's heap. The size follows rows already read, so the fetch that brings the first of a run of
 * large rows still holds {@value #MOST} of them: 100 rows of a 64 KiB grant are 6.4 MiB (an event
 * with its operation, twice that). By hand: pgjdbc's adaptiveFetch needs maxResultBuffer set on the
 * whole connection, where it also fails every unpaged read larger than that, and follows the rows
 * already read as this does.
 */
final class FetchSize {

    /** Rows of the first fetch, before any row's size is known (the statement's fetch size). */
    static final int FIRST = 50;
    private static final int MOST = 100;
    private static final long BYTES = 4L * 1024 * 1024;
    /** What a row brings besides its unbounded columns: ids, times, hashes, names. */
    private static final long ROW = 1_024;

    private final ResultSet rows;
    private int size = FIRST;
    /** The largest row since the size was last set, and how many rows that was. */
    private long largest;
    private int read;

    FetchSize(ResultSet rows) {
        this.rows = rows;
    }

    /**
     * A row whose unbounded columns (scopes, payload) hold this many characters was read. A large
     * one makes the next fetches smaller at once; once about a fetch's worth of rows were read, the
     * size follows the largest of them, so that a few large rows do not slow the rest of a long read.
     */
    void read(long unbounded) throws SQLException {
        long row = ROW + unbounded;
        largest = Math.max(largest, row);
        read++;
        int wanted = fitting(largest);
        if (wanted < size || read >= size) {
            if (wanted != size) {
                rows.setFetchSize(wanted);
                size = wanted;
            }
            largest = 0;
            read = 0;
        }
    }

    private static int fitting(long row) {
        return (int) Math.max(1, Math.min(MOST, BYTES / row));
    }
}
