package com.domomigrationproxy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The scope rules: missing is any, empty is none, exact ids and a trailing * only; read strictly. */
class ScopesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Scopes scopes(String json) throws Exception {
        return Scopes.parse(JSON.readTree(json));
    }

    @Test
    void aMissingListAllowsAnyAndAnEmptyListNone() throws Exception {
        Scopes accountsOnly = scopes("{\"accounts\":[]}");
        assertThat(accountsOnly.allowsAccount("1")).isFalse();
        assertThat(accountsOnly.allowsType("mysql-federated")).isTrue();
        assertThat(accountsOnly.allowsDatasource("ds-1")).isTrue();
        assertThat(Scopes.UNRESTRICTED.allowsAccount("anything")).isTrue();
        assertThat(scopes("{}")).isEqualTo(Scopes.UNRESTRICTED);
    }

    @Test
    void entriesAreExactIdsOrPrefixes() throws Exception {
        Scopes sales = scopes("{\"accounts\":[\"sales-*\",\"7\"]}");
        assertThat(sales.allowsAccount("sales-eu")).isTrue();
        assertThat(sales.allowsAccount("sales-")).isTrue();
        assertThat(sales.allowsAccount("7")).isTrue();
        assertThat(sales.allowsAccount("77")).isFalse();
        assertThat(sales.allowsAccount("presales-eu")).isFalse();
        assertThat(sales.allowsAccount("Sales-eu")).as("ids are case-sensitive").isFalse();
        assertThat(scopes("{\"accounts\":[\"*\"]}").allowsAccount("x")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = { "[]", "\"sales-*\"", "{\"account\":[\"1\"]}", "{\"accounts\":\"1\"}",
            "{\"accounts\":null}", "{\"accounts\":[1]}", "{\"accounts\":[\"sales-?\"]}", "{\"accounts\":[\"*-eu\"]}",
            "{\"accounts\":[\"a*b*\"]}", "{\"accounts\":[\"\"]}", "{\"accounts\":[\"a b\"]}",
            "{\"accounts\":[\"**\"]}", "{\"accounts\":[\"a\\u00e9\"]}", "{\"accounts\":[\"a/b\"]}",
            "{\"accounts\":[\"a:\"]}", "{\"accounts\":[\"a@*\"]}", "{\"accounts\":[\"a\\u0000\"]}" })
    void anythingElseIsRefusedNeverReadAsAny(String json) {
        assertThatThrownBy(() -> scopes(json)).isInstanceOf(IllegalArgumentException.class);
    }

    /** An id has at most 128 characters, as path parameters do; a prefix 127 and its {@code *}. */
    @Test
    void entriesEndAtTheLengthOfAnId() throws Exception {
        String id = "a".repeat(128);
        assertThat(scopes("{\"accounts\":[\"" + id + "\"]}").allowsAccount(id)).isTrue();
        assertThat(scopes("{\"accounts\":[\"" + id.substring(1) + "*\"]}").allowsAccount(id)).isTrue();
        assertThatThrownBy(() -> scopes("{\"accounts\":[\"" + id + "a\"]}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> scopes("{\"accounts\":[\"" + id + "*\"]}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Scopes(null, java.util.Arrays.asList("7", null), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A datasource's UUID is one id in either letter case, in the request and in the scope's entry
     * (exact or prefix); other ids, and other lists, stay case-sensitive.
     */
    @Test
    void aDatasourceUuidMatchesInEitherLetterCase() throws Exception {
        Scopes scopes = scopes("{\"datasources\":[\"495E28EC-0A3B-4C5E-9A4F-0C6F6B1D2A01\",\"ab12*\",\"Table_A\"],"
                + "\"accounts\":[\"ABCDEF01-0A3B-4C5E-9A4F-0C6F6B1D2A01\"]}");
        assertThat(scopes.allowsDatasource("495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01")).isTrue();
        assertThat(scopes.allowsDatasource("495E28EC-0A3B-4C5E-9A4F-0C6F6B1D2A01")).isTrue();
        assertThat(scopes.allowsDatasource("AB12CDEF-0A3B-4C5E-9A4F-0C6F6B1D2A01")).isTrue();
        assertThat(scopes.allowsDatasource("495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a02")).isFalse();
        assertThat(scopes.allowsDatasource("table_a")).as("not a UUID: case-sensitive").isFalse();
        assertThat(scopes.allowsDatasource("AB12_table")).as("not a UUID: case-sensitive").isFalse();
        assertThat(scopes.allowsAccount("abcdef01-0a3b-4c5e-9a4f-0c6f6b1d2a01")).as("accounts: as written").isFalse();
    }

    @Test
    void oneGrantHasOneCanonicalText() throws Exception {
        Scopes scopes = scopes("{\"datasources\":[\"b\",\"a\",\"b\"],\"integrationTypes\":[\"mysql-*\"],\"accounts\":[]}");
        assertThat(scopes.toJson())
                .isEqualTo("{\"accounts\":[],\"datasources\":[\"a\",\"b\"],\"integrationTypes\":[\"mysql-*\"]}");
        assertThat(Scopes.fromJson(scopes.toJson())).isEqualTo(scopes);
        // In order but repeated, or in order but for one: made canonical all the same.
        assertThat(scopes("{\"datasources\":[\"a\",\"a\",\"b\"]}").datasources()).containsExactly("a", "b");
        assertThat(scopes("{\"datasources\":[\"a\",\"c\",\"b\"]}").datasources()).containsExactly("a", "b", "c");
        assertThat(Scopes.UNRESTRICTED.toJson()).isEqualTo("{}");
    }

    @Test
    void aRefusalNamesTheScopeAndTheIdAskedFor() throws Exception {
        Scopes scopes = scopes("{\"accounts\":[\"sales-*\"],\"datasources\":[\"ds-1\"],\"integrationTypes\":[]}");
        assertThat(scopes.migrationRefusal("ds-1", "hr-1")).get()
                .satisfies(refusal -> assertThat(refusal.scope()).isEqualTo(Scopes.Scope.ACCOUNTS))
                .satisfies(refusal -> assertThat(refusal.detail()).isEqualTo("The account hr-1 is outside your accounts scope"));
        assertThat(scopes.migrationRefusal("ds-2", "sales-1")).get()
                .satisfies(refusal -> assertThat(refusal.scope()).isEqualTo(Scopes.Scope.DATASOURCES));
        assertThat(scopes.migrationRefusal("ds-1", "sales-1")).isEmpty();
        assertThatThrownBy(() -> scopes.requireType("mysql-federated")).isInstanceOfSatisfying(ProblemException.class,
                problem -> {
                    assertThat(problem.status()).isEqualTo(403);
                    assertThat(problem.type()).isEqualTo(ProblemType.OUT_OF_SCOPE);
                    assertThat(problem.detail()).contains("integration type mysql-federated")
                            .contains("integrationTypes scope");
                });
    }

    @Test
    void aReversalNeedsItsDatasourceAndEveryAccountItMayBeIn() throws Exception {
        Scopes sales = scopes("{\"accounts\":[\"sales-*\"]}");
        assertThat(sales.reversalRefusal("ds-1", Set.of("sales-2"))).isEmpty();
        assertThat(sales.reversalRefusal("ds-1", Set.of("sales-2", "sales-3"))).isEmpty();
        assertThat(sales.reversalRefusal("ds-1", Set.of("hr-2", "sales-2"))).isPresent();
        assertThat(sales.reversalRefusal("ds-1", Set.of("hr-2"))).get()
                .satisfies(refusal -> assertThat(refusal.detail()).doesNotContain("hr-2").contains("ds-1"));
        assertThat(sales.reversalRefusal("ds-1", Set.of())).get()
                .satisfies(refusal -> assertThat(refusal.detail()).contains("No migration of data source ds-1"));
        assertThat(scopes("{\"datasources\":[\"ds-1\"]}").reversalRefusal("ds-1", Set.of())).isEmpty();
        assertThat(scopes("{\"datasources\":[\"ds-1\"]}").reversalRefusal("ds-2", Set.of())).get()
                .satisfies(refusal -> assertThat(refusal.scope()).isEqualTo(Scopes.Scope.DATASOURCES));
    }
}
