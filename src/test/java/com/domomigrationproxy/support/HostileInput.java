package com.domomigrationproxy.support;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** What the fuzz tests (ContractFuzzTest, ConsoleFuzzTest) send, and how they name it in a failure. */
public final class HostileInput {

    /**
     * Values for any parameter: empty, long, control and non-ASCII characters, markup, injections,
     * addresses elsewhere, numbers out of range.
     */
    public static final List<String> VALUES = List.of("", " ", "x".repeat(1_000), "a\u0000b", "a\nb", "é", "%",
            "%00", "..", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "' OR '1'='1",
            "${jndi:ldap://x}", "{{7*7}}", "-1", "0", "99999999999999999999999", "1e309", "NaN", "null", "true", "[]",
            "{}", "https://evil.example/", "//evil.example", "\uD83D\uDE00");

    private HostileInput() {
    }

    /** The values for a path variable: not empty and not "..", which would make it another path. */
    public static List<String> forPath() {
        return VALUES.stream().filter(value -> !value.isEmpty() && !value.equals("..")).toList();
    }

    /** The values an HTTP client can send in a header at all: printable ASCII, not empty. */
    public static List<String> forHeaders() {
        return VALUES.stream().filter(value -> !value.isEmpty() && value.chars().allMatch(c -> c >= 0x20 && c <= 0x7E))
                .toList();
    }

    /** A value as it goes into a URL's path segment or query. */
    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A value as a failure message shows it: short, with NUL and line breaks visible. */
    public static String quote(String value) {
        String shown = value.length() > 40 ? value.substring(0, 40) + "…(" + value.length() + ")" : value;
        return "\"" + shown.replace("\u0000", "\\0").replace("\n", "\\n") + "\"";
    }

    /** An answer's body as a failure message shows it. */
    public static String abbreviate(String body) {
        return body.length() > 300 ? body.substring(0, 300) + "…" : body;
    }
}
