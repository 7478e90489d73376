package com.domomigrationproxy.migration;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.fasterxml.jackson.databind.JsonNode;

/** Body of a migration: where in the V2 account the V1 data source's table lives. Case is preserved. */
@Schema(name = "MigrationRequest", description = "Target of a migration; all four fields required, case-sensitive",
        additionalProperties = Schema.False.class)
public record MigrationRequest(
        @Schema(description = "Target V2 account id (from the accounts list)", pattern = Identifiers.ANCHORED_PATTERN,
                examples = "1", required = true) String accountId,
        @Schema(description = "Catalog, case-sensitive" + MigrationRequest.NAME_RULE, minLength = 1,
                maxLength = MigrationRequest.MAX_LENGTH, examples = "MyCatalogName", required = true) String catalog,
        @Schema(description = "Schema, case-sensitive; may be the literal NULL" + MigrationRequest.NAME_RULE,
                minLength = 1, maxLength = MigrationRequest.MAX_LENGTH, examples = "MySchemaName", required = true)
        String schema,
        @Schema(description = "Table, case-sensitive" + MigrationRequest.NAME_RULE, minLength = 1,
                maxLength = MigrationRequest.MAX_LENGTH, examples = "MyTableName", required = true) String table) {

    static final int MAX_LENGTH = 255;
    /**
     * The rule {@link #nameProblem} adds to the lengths, said in the OpenAPI document's words. Not as
     * a pattern: a tighter request pattern is a breaking change to v1, though the rule always held.
     */
    public static final String NAME_RULE = "; no control characters (U+0000 to U+001F, U+007F to U+009F) and no"
            + " lone surrogates";
    private static final Set<String> FIELDS = Set.of("accountId", "catalog", "schema", "table");

    /**
     * Reads the body strictly: a JSON object with exactly the four string fields. Everything wrong
     * is reported at once, so a caller fixes the request in one go.
     */
    static MigrationRequest parse(JsonNode body) {
        if (body == null || body.isMissingNode() || body.isNull()) {
            throw ProblemException.invalid("A JSON body with accountId, catalog, schema and table is required",
                    List.of(new Problem.FieldError("body", "is required")));
        }
        RequestBodies.requireObject(body, "The body must be a JSON object");
        List<Problem.FieldError> errors = new ArrayList<>();
        RequestBodies.unknownFields(body, FIELDS)
                .forEach(name -> errors.add(new Problem.FieldError(name, "is not a field of this request")));
        String accountId = text(body, "accountId", errors);
        if (accountId != null && !Identifiers.valid(accountId)) {
            errors.add(new Problem.FieldError("accountId", Identifiers.RULE));
        }
        String catalog = name(body, "catalog", errors);
        String schema = name(body, "schema", errors);
        String table = name(body, "table", errors);
        if (!errors.isEmpty()) {
            throw ProblemException.invalid("The migration request is invalid", errors);
        }
        return new MigrationRequest(accountId, catalog, schema, table);
    }

    private static String text(JsonNode body, String field, List<Problem.FieldError> errors) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            errors.add(new Problem.FieldError(field, "is required"));
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new Problem.FieldError(field, "must be a string"));
            return null;
        }
        return value.textValue();
    }

    private static String name(JsonNode body, String field, List<Problem.FieldError> errors) {
        String value = text(body, field, errors);
        if (value == null) {
            return null;
        }
        String problem = nameProblem(value);
        if (problem != null) {
            errors.add(new Problem.FieldError(field, problem));
            return null;
        }
        return value;
    }

    /**
     * Why a catalog, schema or table is not acceptable, or null when it is: the one rule for a
     * single migration and for the items of a plan.
     */
    public static String nameProblem(String value) {
        int length = value.codePointCount(0, value.length());
        if (length < 1 || length > MAX_LENGTH) {
            return "must be 1 to " + MAX_LENGTH + " characters";
        }
        if (value.codePoints().anyMatch(Character::isISOControl)) {
            return "must not contain control characters";
        }
        if (value.codePoints().anyMatch(RequestBodies::loneSurrogate)) {
            return "must be valid Unicode (a lone surrogate is not)";
        }
        return null;
    }

}
