package com.domomigrationproxy.plans;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.MigrationRequest;
import com.domomigrationproxy.migration.RequestBodies;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.DatasourceIds;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads an uploaded plan, as JSON or as CSV, strictly: every field is held to the rules of a
 * single migration ({@link Identifiers}, {@link MigrationRequest#nameProblem}), a datasource may
 * appear once, and everything wrong is reported at once (each bad item or CSV line, the field and
 * why) in one 400. A plan with any error is refused whole.
 */
final class PlanUpload {

    static final int MAX_ITEMS = 10_000;
    static final int MAX_CONCURRENCY = 64;
    static final String CSV_HEADER = "datasourceId,accountId,catalog,schema,table";
    static final String CSV_REVERSAL_HEADER = "datasourceId";
    /** A 10,000-line file with every line wrong would answer megabytes of errors; the first ones are enough. */
    static final int MAX_ERRORS = 1_000;

    static final Set<String> PLAN_FIELDS = Set.of("name", "direction", "maxConcurrency", "items");
    private static final List<String> TARGET_FIELDS = List.of("accountId", "catalog", "schema", "table");
    private static final byte[] BOM = { (byte) 0xEF, (byte) 0xBB, (byte) 0xBF };
    /** Far longer than any line of a plan (five fields of at most a few hundred characters). */
    static final int MAX_LINE = 16 * 1024;

    private PlanUpload() {
    }

    /** The JSON body {@code {"name","direction","maxConcurrency","items":[…]}}. */
    static PlanContent fromJson(JsonNode body, int defaultMaxConcurrency) {
        Errors errors = new Errors();
        RequestBodies.requireObject(body, "The plan must be a JSON object with name, direction, maxConcurrency and"
                + " items");
        RequestBodies.unknownFields(body, PLAN_FIELDS).forEach(name -> errors.add(name, "is not a field of a plan", null));
        String name = name(text(body.get("name"), "name", true, errors, null), errors);
        Direction direction = direction(text(body.get("direction"), "direction", false, errors, null), errors);
        Integer maxConcurrency = maxConcurrency(body.get("maxConcurrency"), defaultMaxConcurrency, errors);
        JsonNode array = body.get("items");
        List<PlanItemSpec> items = new ArrayList<>();
        if (array == null || array.isNull()) {
            errors.add("items", "is required", null);
        } else if (!array.isArray()) {
            errors.add("items", "must be an array", null);
        } else if (array.size() > MAX_ITEMS) {
            throw tooMany(array.size());
        } else if (array.isEmpty()) {
            errors.add("items", "must list at least one item", null);
        } else if (direction != null) {
            Map<String, Integer> seen = new HashMap<>();
            for (int index = 0; index < array.size(); index++) {
                PlanItemSpec item = jsonItem(array.get(index), "items[" + index + "]", direction, errors);
                if (item != null && unique(item.datasourceId(), index, seen, "items[" + index + "].datasourceId",
                        null, "items[%d]", errors)) {
                    items.add(item);
                }
            }
        }
        errors.failIfAny("The plan is invalid");
        return new PlanContent(name, direction, maxConcurrency, List.copyOf(items));
    }

    /**
     * A CSV body (RFC 4180, UTF-8, optional byte order mark) with the header
     * {@code datasourceId,accountId,catalog,schema,table} ({@code datasourceId} alone is accepted for
     * a reversal); the plan's settings come from the query. Empty lines are ignored, before the
     * header too; line numbers count every line of the file from 1.
     */
    static PlanContent fromCsv(byte[] body, String nameParameter, String directionParameter,
            String maxConcurrencyParameter, int defaultMaxConcurrency) {
        Errors errors = new Errors();
        String name = name(nameParameter, errors);
        if (nameParameter == null) {
            errors.add("name", "is required (as a query parameter with a CSV body)", null);
        }
        Direction direction = direction(directionParameter, errors);
        Integer maxConcurrency = maxConcurrencyText(maxConcurrencyParameter, defaultMaxConcurrency, errors);
        Lines split = lines(body);
        List<Line> lines = split.kept();
        if (lines.isEmpty()) {
            errors.add("body", "must start with the header " + CSV_HEADER, 1);
            errors.failIfAny("The plan is invalid");
        }
        long rows = split.rows();
        if (rows > MAX_ITEMS) {
            throw tooMany(rows);
        }
        String header = unquoted(decode(lines.get(0).bytes(), lines.get(0).number(), errors));
        boolean reversalHeader = CSV_REVERSAL_HEADER.equals(header);
        if (header != null && !CSV_HEADER.equals(header) && !(reversalHeader && direction == Direction.V2_TO_V1)) {
            errors.add("header", "must be " + CSV_HEADER + (direction == Direction.V2_TO_V1
                    ? " (or " + CSV_REVERSAL_HEADER + " alone, for a reversal)" : ""), lines.get(0).number());
        }
        if (rows == 0) {
            errors.add("body", "must list at least one item after the header", null);
        }
        errors.failIfAny("The plan is invalid");

        int columns = reversalHeader ? 1 : 5;
        List<PlanItemSpec> items = new ArrayList<>();
        List<Integer> itemLines = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int index = 1; index < lines.size() && !errors.full(); index++) {
            int lineNumber = lines.get(index).number();
            String line = decode(lines.get(index).bytes(), lineNumber, errors);
            if (line == null) {
                continue;
            }
            List<String> fields = fields(line);
            if (fields == null) {
                errors.add("line", "has a quoted field that does not end on this line (a quote must be doubled"
                        + " inside quotes, and no field may hold a line break)", lineNumber);
                continue;
            }
            if (fields.size() != columns) {
                errors.add("line", "has " + fields.size() + " field(s); the header has " + columns, lineNumber);
                continue;
            }
            PlanItemSpec item = csvItem(fields, lineNumber, direction, errors);
            if (item != null && unique(item.datasourceId(), lineNumber, seen, "datasourceId", lineNumber, "line %d",
                    errors)) {
                items.add(item);
                itemLines.add(lineNumber);
            }
        }
        errors.failIfAny("The plan is invalid");
        return new PlanContent(name, direction, maxConcurrency, List.copyOf(items), List.copyOf(itemLines));
    }

    private static PlanItemSpec jsonItem(JsonNode node, String path, Direction direction, Errors errors) {
        if (node == null || !node.isObject()) {
            errors.add(path, "must be a JSON object", null);
            return null;
        }
        int before = errors.count();
        for (Iterator<String> names = node.fieldNames(); names.hasNext();) {
            String field = names.next();
            if (field.equals("datasourceId") || (direction == Direction.V1_TO_V2 && TARGET_FIELDS.contains(field))) {
                continue;
            }
            errors.add(path + "." + RequestBodies.printable(field), direction == Direction.V2_TO_V1 && TARGET_FIELDS.contains(field)
                    ? "is not a field of a reversal item (a reversal names the datasource only)"
                    : "is not a field of a plan item", null);
        }
        String datasourceId = identifier(text(node.get("datasourceId"), path + ".datasourceId", true, errors, null),
                path + ".datasourceId", null, errors);
        if (direction == Direction.V2_TO_V1) {
            return errors.count() == before ? PlanItemSpec.reversal(datasourceId) : null;
        }
        String accountId = identifier(text(node.get("accountId"), path + ".accountId", true, errors, null),
                path + ".accountId", null, errors);
        String catalog = location(text(node.get("catalog"), path + ".catalog", true, errors, null), path + ".catalog",
                null, errors);
        String schema = location(text(node.get("schema"), path + ".schema", true, errors, null), path + ".schema", null,
                errors);
        String table = location(text(node.get("table"), path + ".table", true, errors, null), path + ".table", null,
                errors);
        return errors.count() == before ? new PlanItemSpec(datasourceId, accountId, catalog, schema, table) : null;
    }

    private static PlanItemSpec csvItem(List<String> fields, int line, Direction direction, Errors errors) {
        int before = errors.count();
        String datasourceId = identifier(required(fields.get(0), "datasourceId", line, errors), "datasourceId", line,
                errors);
        if (direction == Direction.V2_TO_V1) {
            for (int column = 1; column < fields.size(); column++) {
                if (!fields.get(column).isEmpty()) {
                    errors.add(TARGET_FIELDS.get(column - 1), "must be empty for a reversal (a reversal names the"
                            + " datasource only)", line);
                }
            }
            return errors.count() == before ? PlanItemSpec.reversal(datasourceId) : null;
        }
        String accountId = identifier(required(fields.get(1), "accountId", line, errors), "accountId", line, errors);
        String catalog = location(required(fields.get(2), "catalog", line, errors), "catalog", line, errors);
        String schema = location(required(fields.get(3), "schema", line, errors), "schema", line, errors);
        String table = location(required(fields.get(4), "table", line, errors), "table", line, errors);
        return errors.count() == before ? new PlanItemSpec(datasourceId, accountId, catalog, schema, table) : null;
    }

    private static boolean unique(String datasourceId, int position, Map<String, Integer> seen, String field,
            Integer line, String firstFormat, Errors errors) {
        // A UUID in either letter case is one data source.
        Integer first = seen.putIfAbsent(DatasourceIds.canonical(datasourceId), position);
        if (first == null) {
            return true;
        }
        errors.add(field, "datasource " + datasourceId + " appears twice in the plan (first at "
                + String.format(firstFormat, first) + ")", line);
        return false;
    }

    private static String required(String value, String field, int line, Errors errors) {
        if (value.isEmpty()) {
            errors.add(field, "is required", line);
            return null;
        }
        return value;
    }

    private static String text(JsonNode value, String field, boolean required, Errors errors, Integer line) {
        if (value == null || value.isNull()) {
            if (required) {
                errors.add(field, "is required", line);
            }
            return null;
        }
        if (!value.isTextual()) {
            errors.add(field, "must be a string", line);
            return null;
        }
        return value.textValue();
    }

    private static String identifier(String value, String field, Integer line, Errors errors) {
        if (value != null && !Identifiers.valid(value)) {
            errors.add(field, Identifiers.RULE, line);
            return null;
        }
        return value;
    }

    private static String location(String value, String field, Integer line, Errors errors) {
        if (value == null) {
            return null;
        }
        String problem = MigrationRequest.nameProblem(value);
        if (problem != null) {
            errors.add(field, problem, line);
            return null;
        }
        return value;
    }

    private static String name(String value, Errors errors) {
        if (value == null) {
            return null;
        }
        String problem = MigrationRequest.nameProblem(value);
        if (problem != null) {
            errors.add("name", problem, null);
            return null;
        }
        return value;
    }

    private static Direction direction(String value, Errors errors) {
        if (value == null) {
            return Direction.V1_TO_V2;
        }
        try {
            return Direction.valueOf(value);
        } catch (IllegalArgumentException e) {
            errors.add("direction", "must be V1_TO_V2 or V2_TO_V1", null);
            return null;
        }
    }

    private static Integer maxConcurrency(JsonNode value, int defaultValue, Errors errors) {
        if (value == null || value.isNull()) {
            return defaultValue;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1
                || value.intValue() > MAX_CONCURRENCY) {
            errors.add("maxConcurrency", "must be an integer from 1 to " + MAX_CONCURRENCY, null);
            return null;
        }
        return value.intValue();
    }

    private static Integer maxConcurrencyText(String value, int defaultValue, Errors errors) {
        if (value == null) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= 1 && parsed <= MAX_CONCURRENCY) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        errors.add("maxConcurrency", "must be an integer from 1 to " + MAX_CONCURRENCY, null);
        return null;
    }

    static ProblemException tooMany(long items) {
        return ProblemException.invalid("A plan has at most " + MAX_ITEMS + " items; this one has " + items,
                List.of(new Problem.FieldError("items", "must list at most " + MAX_ITEMS + " items (" + items
                        + " given)")));
    }

    /** A line of the CSV body and its number (from 1). */
    private record Line(int number, byte[] bytes) {
    }

    /** The header and the rows kept (at most one more than a plan may hold), and how many rows there are. */
    private record Lines(List<Line> kept, long rows) {
    }

    /**
     * The body split at LF (a CR before it dropped), without a leading byte order mark: every line
     * that is not empty, the first of them the header, each with its number.
     * Empty lines are left out as they are read, and rows past what a plan may hold are only
     * counted, so that no body holds more in memory than a full plan does.
     */
    private static Lines lines(byte[] body) {
        int start = body.length >= 3 && body[0] == BOM[0] && body[1] == BOM[1] && body[2] == BOM[2] ? 3 : 0;
        List<Line> lines = new ArrayList<>();
        long rows = 0;
        int number = 0;
        for (int i = start; i <= body.length; i++) {
            if (i == body.length || body[i] == '\n') {
                number++;
                int end = i > start && body[i - 1] == '\r' ? i - 1 : i;
                // The header is the first line that is not empty: an exporter may begin with a blank one.
                boolean header = lines.isEmpty() && end > start;
                if (end - start > MAX_LINE) {
                    // Copied, decoded and split, one 8 MiB line stopped the service on the chart's heap.
                    throw ProblemException.invalid("Line " + number + " is longer than " + MAX_LINE / 1024
                            + " KiB; no line of a plan is", List.of(new Problem.FieldError("line",
                                    "line " + number + ": longer than " + MAX_LINE + " bytes")));
                }
                if (end > start && !header) {
                    rows++;
                }
                if (end > start && (header || rows <= MAX_ITEMS)) {
                    byte[] line = new byte[end - start];
                    System.arraycopy(body, start, line, 0, line.length);
                    lines.add(new Line(number, line));
                }
                start = i + 1;
            }
        }
        return new Lines(lines, rows);
    }

    private static String decode(byte[] line, int lineNumber, Errors errors) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer text = decoder.decode(ByteBuffer.wrap(line));
            return text.toString();
        } catch (CharacterCodingException e) {
            errors.add("line", "is not valid UTF-8 (the file must be UTF-8)", lineNumber);
            return null;
        }
    }

    /** The header's names as they read once their quotes are taken off ({@code "datasourceId","accountId",…}). */
    private static String unquoted(String header) {
        List<String> names = header == null ? null : fields(header);
        return names == null ? header : String.join(",", names);
    }

    /** The fields of one CSV record (RFC 4180 quoting), or null when a quoted field does not end. */
    static List<String> fields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        while (true) {
            if (i < line.length() && line.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= line.length()) {
                        return null;
                    }
                    char c = line.charAt(i++);
                    if (c != '"') {
                        field.append(c);
                    } else if (i < line.length() && line.charAt(i) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        break;
                    }
                }
                // After the closing quote: a separator, the end, or (leniently) more text of the field.
                while (i < line.length() && line.charAt(i) != ',') {
                    field.append(line.charAt(i++));
                }
            } else {
                while (i < line.length() && line.charAt(i) != ',') {
                    field.append(line.charAt(i++));
                }
            }
            fields.add(field.toString());
            field.setLength(0);
            if (i >= line.length()) {
                return fields;
            }
            i++; // the comma
        }
    }

    /** The errors found so far, at most {@link #MAX_ERRORS} of them kept. */
    private static final class Errors {
        private final List<Problem.FieldError> kept = new ArrayList<>();
        private int count;

        void add(String field, String message, Integer line) {
            count++;
            if (kept.size() < MAX_ERRORS) {
                kept.add(new Problem.FieldError(field, message, line));
            }
        }

        int count() {
            return count;
        }

        boolean full() {
            return kept.size() >= MAX_ERRORS;
        }

        void failIfAny(String detail) {
            if (count > 0) {
                throw ProblemException.invalid(full()
                        ? detail + ": at least " + count + " errors, the first " + kept.size() + " listed"
                        : detail + ": " + count + " error(s)", kept);
            }
        }
    }
}
