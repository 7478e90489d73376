package com.domomigrationproxy.plans;

import java.io.IOException;
import java.util.List;

import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A JSON plan read as a tree no larger than a valid plan's, whatever the body holds. The whole
 * body used to become a tree before the number of items was checked, and 8 MiB of empty objects
 * took hundreds of MiB of heap: one operator's upload stopped the service (security review).
 * Now, as the body streams by:
 * <ul>
 * <li>items past {@link PlanUpload#MAX_ITEMS} are counted, not kept, and the count is refused;</li>
 * <li>where a plan has a string, a number or an item, an object or an array is skipped and an empty
 * one of the same kind stands for it, so {@link PlanUpload#fromJson} names it as it did;</li>
 * <li>the value of a field a plan does not have is skipped (a null stands for it: only its name is
 * reported).</li>
 * </ul>
 * Strings are held to {@value #MAX_STRING} characters and names to {@value #MAX_NAME}, an object to
 * {@value #MAX_FIELDS} fields (a 400 past either): one 8 MiB string, or an object of 400,000
 * fields, stopped the service on the chart's heap too. A duplicate key is refused among the
 * fields kept (the service's parser would also keep every name of a skipped object to find one),
 * and so is content after the plan.
 */
final class PlanJson {

    /** More than a plan or an item may have (four and five). */
    static final int MAX_FIELDS = 16;
    /** Far more than any string of a plan may be (names, identifiers, catalog, schema and table). */
    static final int MAX_STRING = 16 * 1024;
    static final int MAX_NAME = 1024;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private PlanJson() {
    }

    /** The service's parser for a plan: its features, but these limits and no duplicate detection of its own. */
    static JsonFactory factory(ObjectMapper json) {
        return json.getFactory().rebuild().disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_STRING)
                        .maxNameLength(MAX_NAME).build())
                .build();
    }

    static JsonNode read(JsonFactory factory, byte[] body) throws IOException {
        try (JsonParser parser = factory.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return NODES.nullNode();
            }
            JsonNode plan = first == JsonToken.START_OBJECT ? plan(parser) : value(parser);
            if (parser.nextToken() != null) {
                throw new JsonParseException(parser, "Trailing content after the plan");
            }
            return plan;
        }
    }

    private static ObjectNode plan(JsonParser parser) throws IOException {
        ObjectNode plan = NODES.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = field(parser, plan, "A plan");
            JsonToken value = parser.nextToken();
            if (field.equals("items") && value == JsonToken.START_ARRAY) {
                plan.set(field, items(parser));
            } else if (PlanUpload.PLAN_FIELDS.contains(field)) {
                plan.set(field, value(parser));
            } else {
                parser.skipChildren();
                plan.putNull(field);
            }
        }
        return plan;
    }

    /** The next field's name: 400 past {@link #MAX_FIELDS}; a duplicate is invalid JSON, as the service's parser has it. */
    private static String field(JsonParser parser, ObjectNode object, String what) throws IOException {
        String field = parser.currentName();
        if (object.has(field)) {
            throw new JsonParseException(parser, "Duplicate field '" + field + "'");
        }
        if (object.size() >= MAX_FIELDS) {
            throw ProblemException.invalid(what + " has at most " + MAX_FIELDS + " fields",
                    List.of(new Problem.FieldError("body", "an object with more than " + MAX_FIELDS + " fields")));
        }
        return field;
    }

    private static ArrayNode items(JsonParser parser) throws IOException {
        ArrayNode items = NODES.arrayNode();
        long count = 0;
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            count++;
            if (count > PlanUpload.MAX_ITEMS) {
                parser.skipChildren();
            } else if (parser.currentToken() == JsonToken.START_OBJECT) {
                items.add(item(parser));
            } else {
                items.add(value(parser));
            }
        }
        if (count > PlanUpload.MAX_ITEMS) {
            throw PlanUpload.tooMany(count);
        }
        return items;
    }

    private static ObjectNode item(JsonParser parser) throws IOException {
        ObjectNode item = NODES.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = field(parser, item, "A plan item");
            parser.nextToken();
            item.set(field, value(parser));
        }
        return item;
    }

    /** A scalar as a tree holds it; an object or an array skipped, an empty one in its place. */
    private static JsonNode value(JsonParser parser) throws IOException {
        return switch (parser.currentToken()) {
            case START_OBJECT -> {
                parser.skipChildren();
                yield NODES.objectNode();
            }
            case START_ARRAY -> {
                parser.skipChildren();
                yield NODES.arrayNode();
            }
            case VALUE_STRING -> NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
                case INT -> NODES.numberNode(parser.getIntValue());
                case LONG -> NODES.numberNode(parser.getLongValue());
                default -> NODES.numberNode(parser.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(parser.getDecimalValue());
            case VALUE_TRUE, VALUE_FALSE -> NODES.booleanNode(parser.getBooleanValue());
            default -> NODES.nullNode();
        };
    }
}
