package com.domomigrationproxy.plans;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.migration.RequestBodies;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.fasterxml.jackson.databind.JsonNode;

/** Body of POST /api/v1/plans/{planId}/approvals. */
@Schema(name = "PlanDecision", description = "An approver's decision on the exact content it saw",
        additionalProperties = Schema.False.class)
public record ApprovalRequest(
        @Schema(description = "APPROVE or REJECT", required = true) Decision decision,
        @Schema(description = "The plan's contentHash as the approver saw it; a different one is a 409",
                pattern = "^[0-9a-f]{64}$", required = true) String contentHash,
        @Schema(description = "Why; kept in the audit trail. Line breaks are kept (as LF); other control characters"
                + " (U+0000 to U+001F, U+007F to U+009F) and lone surrogates are refused",
                maxLength = ApprovalRequest.MAX_COMMENT, nullable = true) String comment) {

    public static final int MAX_COMMENT = 1000;
    private static final Pattern HASH = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Set<String> FIELDS = Set.of("decision", "contentHash", "comment");

    /** Reads a decision strictly: 400 listing every bad field. The console builds the same object from its form. */
    public static ApprovalRequest parse(JsonNode body) {
        RequestBodies.requireObject(body, "A JSON object with decision, contentHash and comment is required");
        List<Problem.FieldError> errors = new ArrayList<>();
        RequestBodies.unknownFields(body, FIELDS)
                .forEach(name -> errors.add(new Problem.FieldError(name, "is not a field of a decision")));
        Decision decision = null;
        JsonNode value = body.get("decision");
        if (value == null || !value.isTextual()) {
            errors.add(new Problem.FieldError("decision", "must be APPROVE or REJECT"));
        } else {
            try {
                decision = Decision.valueOf(value.textValue());
            } catch (IllegalArgumentException e) {
                errors.add(new Problem.FieldError("decision", "must be APPROVE or REJECT"));
            }
        }
        String contentHash = null;
        value = body.get("contentHash");
        if (value == null || !value.isTextual()) {
            errors.add(new Problem.FieldError("contentHash", "must be the plan's contentHash: 64 hex digits"));
        } else {
            // Any other string is a hash that differs from the plan's: 409, as the contract has it. Hex in
            // capitals is the same hash, kept as the plan shows it.
            contentHash = HASH.matcher(value.textValue()).matches() ? value.textValue().toLowerCase(Locale.ROOT)
                    : value.textValue();
        }
        String comment = null;
        value = body.get("comment");
        if (value != null && !value.isNull()) {
            String text = value.isTextual() ? RequestBodies.lineBreaksAsLf(value.textValue()) : null;
            // Characters are code points, as the OpenAPI document's maxLength counts them (not UTF-16 units).
            if (text == null || text.codePointCount(0, text.length()) > MAX_COMMENT
                    || RequestBodies.unprintableBeyondLineBreaks(text)) {
                errors.add(new Problem.FieldError("comment", "must be text of at most " + MAX_COMMENT
                        + " characters without control characters other than line breaks"));
            } else {
                comment = text;
            }
        }
        if (!errors.isEmpty()) {
            throw ProblemException.invalid("The decision is invalid", errors);
        }
        return new ApprovalRequest(decision, contentHash, comment);
    }
}
