package com.domomigrationproxy.security;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.problem.LogText;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * What a caller may act on, beyond its roles: integration types, V2 accounts and data sources. A
 * missing list (null) means any; an empty list means none. Entries are exact ids, or a prefix
 * followed by {@code *} ({@code "sales-*"}); nothing else is a pattern. Lists are kept sorted and
 * without duplicates, so that one grant has one canonical JSON text (stored with every Operation
 * and in plans, see {@link #toJson()}).
 *
 * <p>Scopes restrict what can be <em>done</em> through Domo; they do not apply to the audit API.
 */
@Schema(name = "Scopes", description = "What a caller may act on: a missing list means any, an empty list none;"
        + " entries are exact ids or a prefix ending in * (a data source's UUID in either letter case). {} is"
        + " unrestricted.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Scopes(
        @Schema(description = "Integration types the caller may list accounts of; absent: any",
                examples = "[\"mysql-*\"]") List<String> integrationTypes,
        @Schema(description = "V2 accounts the caller may list candidates of, migrate to, and reverse from;"
                + " absent: any", examples = "[\"sales-*\", \"7\"]") List<String> accounts,
        @Schema(description = "Data sources the caller may migrate and reverse; absent: any",
                examples = "[\"F495e28ec-77aa-4d6e-8f10-2b3c4d5e6f70\"]") List<String> datasources) {

    /** No restriction: every list missing. */
    public static final Scopes UNRESTRICTED = new Scopes(null, null, null);

    /** The members of the scopes object, by their JSON names. */
    public enum Scope {
        INTEGRATION_TYPES("integrationTypes", "integration type"),
        ACCOUNTS("accounts", "account"),
        DATASOURCES("datasources", "data source");

        private final String member;
        private final String noun;

        Scope(String member, String noun) {
            this.member = member;
            this.noun = noun;
        }

        /** The member's name in the scopes object. */
        public String member() {
            return member;
        }
    }

    /** Why an action is out of scope: which scope refused which id. Names nothing else. */
    public record Refusal(Scope scope, String id, String detail) {

        public ProblemException problem() {
            return new ProblemException(403, ProblemType.OUT_OF_SCOPE, detail);
        }
    }

    /** The most characters of an id, as {@code Identifiers.PATTERN} has it; a prefix has one fewer, for its {@code *}. */
    private static final int ID_LENGTH = 128;
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    public Scopes {
        integrationTypes = canonical(integrationTypes);
        accounts = canonical(accounts);
        datasources = canonical(datasources);
    }

    /**
     * Reads a scopes object strictly, failing closed: anything but an object whose members are
     * among the three and hold lists of valid entries is refused with the reason, never read as
     * "any" (a misspelt {@code "account"} must not grant every account).
     */
    public static Scopes parse(JsonNode scopes) {
        if (scopes == null || !scopes.isObject()) {
            throw new IllegalArgumentException("scopes must be a JSON object");
        }
        Map<String, List<String>> lists = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> members = scopes.fields(); members.hasNext();) {
            Map.Entry<String, JsonNode> member = members.next();
            Scope scope = scope(member.getKey());
            if (scope == null) {
                throw new IllegalArgumentException("scopes may only have integrationTypes, accounts and datasources,"
                        + " not " + printable(member.getKey()));
            }
            lists.put(scope.member(), entries(scope, member.getValue()));
        }
        return new Scopes(lists.get(Scope.INTEGRATION_TYPES.member()), lists.get(Scope.ACCOUNTS.member()),
                lists.get(Scope.DATASOURCES.member()));
    }

    /** Reads the canonical JSON of {@link #toJson()} (as stored with an Operation or a plan). */
    public static Scopes fromJson(String json) {
        try {
            return parse(CANONICAL.readTree(json));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("scopes are not JSON", e);
        }
    }

    /**
     * The canonical JSON: members sorted by name, missing lists left out, each list sorted and
     * without duplicates, no whitespace. {@code {}} is unrestricted.
     */
    public String toJson() {
        try {
            return CANONICAL.writeValueAsString(members());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Scopes are lists of strings", e);
        }
    }

    /** The present lists by member name, for a canonical JSON document that nests them. */
    public Map<String, List<String>> members() {
        Map<String, List<String>> members = new LinkedHashMap<>();
        if (integrationTypes != null) {
            members.put(Scope.INTEGRATION_TYPES.member(), integrationTypes);
        }
        if (accounts != null) {
            members.put(Scope.ACCOUNTS.member(), accounts);
        }
        if (datasources != null) {
            members.put(Scope.DATASOURCES.member(), datasources);
        }
        return members;
    }

    public boolean allowsType(String integrationType) {
        return allows(Scope.INTEGRATION_TYPES, integrationTypes, integrationType);
    }

    public boolean allowsAccount(String accountId) {
        return allows(Scope.ACCOUNTS, accounts, accountId);
    }

    public boolean allowsDatasource(String datasourceId) {
        return allows(Scope.DATASOURCES, datasources, datasourceId);
    }

    /** True when a list restricts accounts (even to none). */
    public boolean restrictsAccounts() {
        return accounts != null;
    }

    public Optional<Refusal> typeRefusal(String integrationType) {
        return refusal(Scope.INTEGRATION_TYPES, integrationTypes, integrationType);
    }

    public Optional<Refusal> accountRefusal(String accountId) {
        return refusal(Scope.ACCOUNTS, accounts, accountId);
    }

    public Optional<Refusal> datasourceRefusal(String datasourceId) {
        return refusal(Scope.DATASOURCES, datasources, datasourceId);
    }

    /** A migration: the target account must be in scope, and the data source. */
    public Optional<Refusal> migrationRefusal(String datasourceId, String accountId) {
        return accountRefusal(accountId).or(() -> datasourceRefusal(datasourceId));
    }

    /**
     * A reversal: the data source must be in scope, and when accounts are restricted, every account
     * it may be taken out of ({@code accounts}: those of its migrations that took effect or may have
     * since its last reversal, as {@code OperationStore.accountsToReverseFrom} reads them; empty when
     * none is recorded, which is then refused: the account cannot be checked).
     */
    public Optional<Refusal> reversalRefusal(String datasourceId, Set<String> accounts) {
        Optional<Refusal> datasource = datasourceRefusal(datasourceId);
        if (datasource.isPresent() || !restrictsAccounts()) {
            return datasource;
        }
        // One detail whether no migration is recorded or it went to an account outside the scope, so
        // that a refusal does not tell the caller what the trail holds about a data source it may not act on.
        Optional<Refusal> refusal = Optional.of(new Refusal(Scope.ACCOUNTS, null, "No migration of data source "
                + datasourceId + " into an account within your accounts scope is recorded, so you may not reverse it"));
        return accounts.isEmpty() || accounts.stream().anyMatch(account -> accountRefusal(account).isPresent())
                ? refusal : Optional.empty();
    }

    /** 403 out-of-scope unless this integration type is in scope. */
    public void requireType(String integrationType) {
        typeRefusal(integrationType).ifPresent(refusal -> {
            throw refusal.problem();
        });
    }

    /** 403 out-of-scope unless this account is in scope. */
    public void requireAccount(String accountId) {
        accountRefusal(accountId).ifPresent(refusal -> {
            throw refusal.problem();
        });
    }

    /** 403 out-of-scope unless this data source is in scope. */
    public void requireDatasource(String datasourceId) {
        datasourceRefusal(datasourceId).ifPresent(refusal -> {
            throw refusal.problem();
        });
    }

    private static Optional<Refusal> refusal(Scope scope, List<String> entries, String id) {
        if (allows(scope, entries, id)) {
            return Optional.empty();
        }
        return Optional.of(new Refusal(scope, id, "The " + scope.noun + " " + id + " is outside your "
                + scope.member + " scope"));
    }

    private static boolean allows(Scope scope, List<String> entries, String id) {
        if (entries == null) {
            return true;
        }
        if (id == null) {
            return false;
        }
        // A datasource's UUID is one id in either letter case (DatasourceIds), in the request and in the entry.
        boolean caseless = scope == Scope.DATASOURCES && DatasourceIds.isUuid(id);
        String asked = caseless ? id.toLowerCase(Locale.ROOT) : id;
        for (String listed : entries) {
            String entry = caseless ? listed.toLowerCase(Locale.ROOT) : listed;
            if (entry.endsWith("*") ? asked.startsWith(entry.substring(0, entry.length() - 1)) : entry.equals(asked)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> canonical(List<String> entries) {
        if (entries == null) {
            return null;
        }
        boolean sorted = true;
        String before = null;
        for (String entry : entries) {
            if (entry == null || !isEntry(entry)) {
                throw new IllegalArgumentException("a scope entry must be an id of [A-Za-z0-9_-], or a prefix of"
                        + " them followed by *");
            }
            sorted = sorted && (before == null || before.compareTo(entry) < 0);
            before = entry;
        }
        // A stored grant is canonical already (sorted, once each): read without sorting it again.
        return List.copyOf(sorted ? entries : new TreeSet<>(entries));
    }

    private static List<String> entries(Scope scope, JsonNode list) {
        if (!list.isArray()) {
            throw new IllegalArgumentException("scopes." + scope.member() + " must be a list of ids");
        }
        List<String> entries = new ArrayList<>();
        for (JsonNode entry : list) {
            if (!entry.isTextual() || !isEntry(entry.textValue())) {
                throw new IllegalArgumentException("scopes." + scope.member() + " holds " + printable(entry.toString())
                        + ", which is neither an id of [A-Za-z0-9_-] nor such a prefix followed by *");
            }
            entries.add(entry.textValue());
        }
        return entries;
    }

    /**
     * An entry: an id of Domo's identifier alphabet, or such a prefix (possibly empty) and a final
     * {@code *}. By hand: the regular expression took 0.5 µs an entry, and every operation row read
     * checks its caller's grant again, 1.4 ms for one of 1,348 data sources (read twice, then made
     * canonical), several times what the rest of the row costs.
     */
    private static boolean isEntry(String entry) {
        int length = entry.length();
        boolean prefix = length > 0 && entry.charAt(length - 1) == '*';
        int id = prefix ? length - 1 : length;
        if (id > (prefix ? ID_LENGTH - 1 : ID_LENGTH) || !prefix && id == 0) {
            return false;
        }
        for (int i = 0; i < id; i++) {
            char c = entry.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static Scope scope(String member) {
        for (Scope scope : Scope.values()) {
            if (scope.member().equals(member)) {
                return scope;
            }
        }
        return null;
    }

    /** Names from a file or a token go into log lines: bounded, without control characters. */
    private static String printable(String text) {
        String bounded = text.length() > 64 ? text.substring(0, 64) + "…" : text;
        return LogText.clean(bounded);
    }
}
