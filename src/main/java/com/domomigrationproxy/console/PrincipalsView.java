package com.domomigrationproxy.console;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import com.domomigrationproxy.ledger.ChainEvent;
import com.domomigrationproxy.security.Principals;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The principals page: who can do what, and the newest of auditors' own accesses to the trail. */
public record PrincipalsView(List<Row> principals, List<Access> accesses, String principal, Long olderBefore,
        boolean paged) {

    /** One principal as the table shows it. */
    public record Row(Principals.Principal principal) {

        public String kind() {
            return switch (principal.authMethod()) {
                case "api-key" -> "API key";
                case "jwt" -> "Bearer JWT";
                case "oidc" -> "Console (OpenID Connect)";
                default -> principal.authMethod();
            };
        }

        public String roles() {
            return principal.roles().isEmpty() ? "none" : String.join(", ", principal.roles());
        }

        /** "any", or each restricted list: "accounts: sales-*, 7; data sources: none". */
        public String scopes() {
            Map<String, List<String>> members = principal.scopes().members();
            if (members.isEmpty()) {
                return "any";
            }
            StringJoiner text = new StringJoiner("; ");
            members.forEach((member, ids) -> text.add(noun(member) + ": " + (ids.isEmpty() ? "none" : String.join(", ",
                    ids))));
            return text.toString();
        }

        /** When an API key expires, and how far off that is; null when it does not. */
        public String expiry() {
            Instant expiresAt = principal.expiresAt();
            if (expiresAt == null) {
                return null;
            }
            if (principal.expired()) {
                return expiresAt + " (expired)";
            }
            long days = Duration.between(Instant.now(), expiresAt).toDays();
            return expiresAt + (days == 0 ? " (within a day)" : " (in " + days + (days == 1 ? " day)" : " days)"));
        }

        /** True when the key expires within two weeks or has expired: the page flags it. */
        public boolean expiresSoon() {
            return principal.expiresAt() != null
                    && principal.expiresAt().isBefore(Instant.now().plus(Duration.ofDays(14)));
        }

        private static String noun(String member) {
            return switch (member) {
                case "integrationTypes" -> "integration types";
                case "datasources" -> "data sources";
                default -> member;
            };
        }
    }

    /**
     * One AUDIT_ACCESS event: who read what, from where, and what came of it; or who was refused
     * ({@code phase} refused), or how many refusals of one source a window counted ({@code
     * refused-summary}: {@code refused}, {@code statuses}, from {@code firstAt} to {@code lastAt}).
     */
    public record Access(long seq, Instant at, String principal, String authMethod, String clientAddress,
            String method, String path, String query, String status, String phase, Long rows, Long refused,
            String firstAt, String lastAt, String sources) {

        static Access of(ChainEvent event, ObjectMapper json) {
            JsonNode payload;
            try {
                payload = json.readTree(event.payload());
            } catch (Exception e) {
                payload = json.createObjectNode();
            }
            StringJoiner query = new StringJoiner(", ");
            payload.path("query").fields().forEachRemaining(entry -> query.add(entry.getKey() + "="
                    + (entry.getValue().isTextual() ? entry.getValue().asText() : entry.getValue().toString())));
            // A refusal that identified nobody names the kind of credential it presented instead.
            String how = payload.hasNonNull("authMethod") ? text(payload, "authMethod")
                    : payload.hasNonNull("credential") ? "credential: " + text(payload, "credential") : null;
            StringJoiner statuses = new StringJoiner(", ");
            payload.path("statuses").fields().forEachRemaining(entry -> statuses.add(entry.getKey() + " ×"
                    + entry.getValue().asLong()));
            String status = statuses.length() > 0 ? statuses.toString()
                    : payload.hasNonNull("status") ? payload.get("status").asText() : null;
            return new Access(event.seq(), event.recordedAt(), text(payload, "principal"), how,
                    text(payload, "clientAddress"), text(payload, "method"), text(payload, "path"),
                    query.length() == 0 ? null : query.toString(), status, text(payload, "phase"),
                    payload.hasNonNull("rows") ? payload.get("rows").asLong() : null,
                    payload.hasNonNull("refused") ? payload.get("refused").asLong() : null, text(payload, "firstAt"),
                    text(payload, "lastAt"), payload.hasNonNull("sources")
                            ? (payload.path("sourcesAtLeast").asBoolean() ? "at least " : "") + payload.get("sources")
                                    .asLong() + " sources"
                            : null);
        }

        private static String text(JsonNode payload, String field) {
            JsonNode value = payload.get(field);
            return value == null || value.isNull() ? null : value.asText();
        }
    }

    public String olderHref() {
        return olderBefore == null ? null
                : ConsoleLinks.PRINCIPALS + new QueryString().with("principal", principal).with("before", olderBefore)
                        .text();
    }

    public String newestHref() {
        return ConsoleLinks.PRINCIPALS + new QueryString().with("principal", principal).text();
    }

    /** The access of one principal, as the filter of this page shows it. */
    public String accessHref(Row row) {
        return ConsoleLinks.PRINCIPALS + new QueryString().with("principal", row.principal().principal()).text()
                + "#access";
    }
}
