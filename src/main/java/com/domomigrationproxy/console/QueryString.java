package com.domomigrationproxy.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Query strings of console links, from the values that are set, in a stable order. */
final class QueryString {

    private final Map<String, String> values = new LinkedHashMap<>();

    QueryString with(String name, Object value) {
        if (value != null && !value.toString().isEmpty()) {
            values.put(name, value.toString());
        }
        return this;
    }

    QueryString withAll(Map<String, String> more) {
        more.forEach(this::with);
        return this;
    }

    /** "?a=1&b=2", or "" when nothing is set. */
    String text() {
        StringBuilder text = new StringBuilder();
        values.forEach((name, value) -> text.append(text.isEmpty() ? '?' : '&').append(name).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return text.toString();
    }
}
