package com.domomigrationproxy.plans;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
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
 * reported), and an item keeps at most {@value #ITEM_FIELDS} fields.</li>
 * </ul>
 * The parser is the service's (StrictJson): a duplicate key fails as before, and so does content
 * after the plan.
 */
final class PlanJson {

    /** More than an item may have (five); past them, fields are only skipped. */
    static final int ITEM_FIELDS = 16;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private PlanJson() {
    }

    static JsonNode read(ObjectMapper json, byte[] body) throws IOException {
        try (JsonParser parser = json.createParser(body)) {
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
            String field = parser.currentName();
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
            String field = parser.currentName();
            parser.nextToken();
            if (item.size() < ITEM_FIELDS) {
                item.set(field, value(parser));
            } else {
                parser.skipChildren();
            }
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
