package com.domomigrationproxy.plans;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Sha256;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * What a plan is: its settings and items, validated. It never changes once stored; any change is
 * a new plan. Its content hash is the SHA-256 (lowercase hex) of the UTF-8 bytes of its canonical
 * JSON:
 *
 * <pre>{"direction":"V1_TO_V2","items":[{"accountId":"2","catalog":"c","datasourceId":"d","schema":"s","table":"t"}],"maxConcurrency":4,"name":"Wave 1"}</pre>
 *
 * members sorted by name, no whitespace, items in upload order, a reversal's items with
 * {@code datasourceId} alone, strings escaped as JSON requires ({@code "} and {@code \}) and
 * nothing else (non-ASCII characters as themselves). docs/plans.md has a worked example.
 */
record PlanContent(String name, Direction direction, int maxConcurrency, List<PlanItemSpec> items) {

    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    String canonicalJson() {
        List<Map<String, String>> canonicalItems = new ArrayList<>(items.size());
        for (PlanItemSpec item : items) {
            Map<String, String> canonical = new TreeMap<>();
            canonical.put("datasourceId", item.datasourceId());
            if (direction == Direction.V1_TO_V2) {
                canonical.put("accountId", item.accountId());
                canonical.put("catalog", item.catalog());
                canonical.put("schema", item.schema());
                canonical.put("table", item.table());
            }
            canonicalItems.add(canonical);
        }
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("direction", direction.name());
        plan.put("items", canonicalItems);
        plan.put("maxConcurrency", maxConcurrency);
        plan.put("name", name);
        try {
            return CANONICAL.writeValueAsString(plan);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A plan's content is plain strings and numbers", e);
        }
    }

    String contentHash() {
        return Sha256.hex(canonicalJson());
    }
}
