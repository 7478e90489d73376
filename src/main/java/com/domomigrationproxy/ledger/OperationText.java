package com.domomigrationproxy.ledger;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import org.postgresql.copy.CopyOut;

import com.domomigrationproxy.security.Scopes;

/**
 * Reads the rows of {@link OperationField#select}, copied out in binary, as the UTF-8 text of
 * each field, one array per row: the bytes as they arrived (every field is of a text type, whose
 * binary form is its text in the connection's encoding, UTF-8 with the JDBC driver), with instants
 * and scopes rewritten as {@link OperationField} says. Not thread-safe: one per COPY.
 */
final class OperationText {

    /** What a binary COPY's data starts with. */
    private static final byte[] SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);

    private final OperationField.Kind[] kinds;
    private final int operationId;
    /** The last scopes read and their canonical text: one caller's grant repeats row after row. */
    private byte[] lastScopes;
    private byte[] lastScopesText;

    OperationText(List<OperationField> fields) {
        this.kinds = fields.stream().map(OperationField::kind).toArray(OperationField.Kind[]::new);
        this.operationId = fields.indexOf(OperationField.OPERATION_ID);
    }

    /**
     * Hands each row of a binary COPY of {@link OperationField#select} to {@code rows}, until the
     * COPY ends. Its data is a header, then per row a field count and each field's length (-1 for
     * null) and bytes, then -1 where the count would be; PostgreSQL sends a row per message, the
     * header with the first one.
     */
    void read(CopyOut copy, Consumer<byte[][]> rows) throws SQLException {
        boolean first = true;
        for (byte[] data = copy.readFromCopy(); data != null; data = copy.readFromCopy()) {
            ByteBuffer in = ByteBuffer.wrap(data);
            if (first) {
                byte[] signature = new byte[SIGNATURE.length];
                in.get(signature);
                if (!Arrays.equals(signature, SIGNATURE)) {
                    throw new SQLException("not a binary COPY");
                }
                in.getInt(); // flags: none is defined that changes the rows
                int extension = in.getInt();
                in.position(in.position() + extension);
                first = false;
            }
            while (in.hasRemaining()) {
                short fields = in.getShort();
                if (fields == -1) {
                    break;
                }
                if (fields != kinds.length) {
                    throw new SQLException("a COPY row of " + fields + " fields where " + kinds.length + " were selected");
                }
                rows.accept(row(in));
            }
        }
    }

    private byte[][] row(ByteBuffer in) throws SQLException {
        byte[][] text = new byte[kinds.length][];
        for (int i = 0; i < kinds.length; i++) {
            int length = in.getInt();
            if (length >= 0) {
                text[i] = new byte[length];
                in.get(text[i]);
            }
        }
        for (int i = 0; i < kinds.length; i++) {
            if (text[i] != null) {
                switch (kinds[i]) {
                    case INSTANT -> text[i] = instant(text[i]);
                    case SCOPES -> text[i] = scopes(text[i], text);
                    default -> {
                    }
                }
            }
        }
        return text;
    }

    /**
     * PostgreSQL's ISO text of a UTC timestamp ({@code 2026-11-30 17:15:44.1234}) as
     * {@link java.time.Instant#toString()} prints it ({@code 2026-11-30T17:15:44.123400Z}: the
     * fraction in groups of three digits, none when it is zero). Years before 1 AD or after 9999
     * go through {@link LocalDateTime}; {@code infinity} stays as PostgreSQL writes it.
     */
    static byte[] instant(byte[] utc) {
        int length = utc.length;
        if ((length == 19 || (length >= 21 && length <= 26 && utc[19] == '.')) && utc[4] == '-' && utc[10] == ' '
                && utc[length - 1] <= '9') { // not " BC"
            int digits = length == 19 ? 0 : length - 20;
            byte[] iso = new byte[digits == 0 ? 20 : digits <= 3 ? 24 : 27];
            System.arraycopy(utc, 0, iso, 0, length);
            iso[10] = 'T';
            Arrays.fill(iso, length, iso.length - 1, (byte) '0');
            iso[iso.length - 1] = 'Z';
            return iso;
        }
        return rareInstant(new String(utc, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
    }

    /** Five-digit years and BC dates ({@code 0044-03-15 12:00:00 BC}), which the driver reads as proleptic years. */
    private static String rareInstant(String utc) {
        if (utc.endsWith("infinity")) {
            return utc;
        }
        boolean bc = utc.endsWith(" BC");
        String time = bc ? utc.substring(0, utc.length() - 3) : utc;
        int dash = time.indexOf('-');
        int year = Integer.parseInt(time.substring(0, dash));
        String rest = time.substring(dash + 1); // MM-DD HH:MM:SS[.ffffff]
        int nanos = rest.length() > 14 ? Integer.parseInt((rest.substring(15) + "00000000").substring(0, 9)) : 0;
        return LocalDateTime.of(bc ? 1 - year : year, Integer.parseInt(rest.substring(0, 2)),
                Integer.parseInt(rest.substring(3, 5)), Integer.parseInt(rest.substring(6, 8)),
                Integer.parseInt(rest.substring(9, 11)), Integer.parseInt(rest.substring(12, 14)), nanos)
                .toInstant(ZoneOffset.UTC).toString();
    }

    /** Canonical, as {@link Scopes#fromJson} and {@link Scopes#toJson} make it; text that is no scopes fails the read. */
    private byte[] scopes(byte[] stored, byte[][] row) throws SQLException {
        if (!Arrays.equals(stored, lastScopes)) {
            try {
                lastScopesText = Scopes.fromJson(new String(stored, StandardCharsets.UTF_8)).toJson()
                        .getBytes(StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new OperationRows.UnreadableRow(operationId < 0 ? null
                        : java.util.UUID.fromString(new String(row[operationId], StandardCharsets.UTF_8)),
                        "has scopes that do not parse", e);
            }
            lastScopes = stored;
        }
        return lastScopesText;
    }
}
