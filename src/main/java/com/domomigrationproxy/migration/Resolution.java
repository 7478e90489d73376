package com.domomigrationproxy.migration;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.fasterxml.jackson.databind.JsonNode;

/** What a person found out about an operation whose outcome the service could not tell. */
@Schema(name = "Resolution", description = "How an unresolved operation ended, as a person established it",
        additionalProperties = Schema.False.class)
public record Resolution(
        @Schema(description = "COMPLETE: it took effect; ABORTED: it did not", required = true,
                enumeration = { "COMPLETE", "ABORTED" }) OperationState state,
        @Schema(description = "How it was established, for the auditors: not blank; line breaks (LF) are kept; other"
                + " control characters (U+0000 to U+001F, U+007F to U+009F) and lone surrogates are refused",
                minLength = 1, maxLength = 1000, required = true) String note) {

    public static final int MAX_NOTE = 1000;
    private static final Set<String> FIELDS = Set.of("state", "note");

    static Resolution parse(JsonNode body) {
        RequestBodies.requireObject(body, "A JSON object with state and note is required");
        List<Problem.FieldError> errors = new ArrayList<>();
        RequestBodies.unknownFields(body, FIELDS)
                .forEach(name -> errors.add(new Problem.FieldError(name, "is not a field of this request")));
        JsonNode state = body.get("state");
        JsonNode note = body.get("note");
        return validated(state == null || !state.isTextual() ? null : state.textValue(),
                note == null || !note.isTextual() ? null : note.textValue(), errors);
    }

    /** The same rules for a form's fields (the console's review queue). */
    public static Resolution of(String state, String note) {
        return validated(state, note, new ArrayList<>());
    }

    private static Resolution validated(String state, String note, List<Problem.FieldError> errors) {
        OperationState parsed = null;
        if (state == null || !(state.equals("COMPLETE") || state.equals("ABORTED"))) {
            errors.add(new Problem.FieldError("state", "must be COMPLETE or ABORTED"));
        } else {
            parsed = OperationState.valueOf(state);
        }
        String text = RequestBodies.lineBreaksAsLf(note);
        if (text == null || text.isBlank() || text.codePointCount(0, text.length()) > MAX_NOTE) {
            errors.add(new Problem.FieldError("note", "must be 1 to " + MAX_NOTE + " characters of text"));
        } else if (RequestBodies.unprintableBeyondLineBreaks(text)) {
            errors.add(new Problem.FieldError("note", "must hold no control characters other than line breaks"));
        }
        if (!errors.isEmpty()) {
            throw ProblemException.invalid("The resolution is invalid", errors);
        }
        return new Resolution(parsed, text.strip());
    }
}
