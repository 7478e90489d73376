package com.domomigrationproxy.problem;

import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonInclude;

/** An RFC 9457 problem document, the body of every 4xx and 5xx answer. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Problem", description = "RFC 9457 problem details, with this service's extension members")
public record Problem(
        @Schema(description = "Stable identifier of the kind of problem; clients switch on it",
                examples = "urn:problem-type:domo-migration-proxy:invalid-request", required = true) String type,
        @Schema(description = "Short summary of the kind of problem", examples = "The request is invalid",
                required = true) String title,
        @Schema(description = "HTTP status code", examples = "400", minimum = "400", maximum = "599",
                required = true) int status,
        @Schema(description = "What went wrong with this request, for a human",
                examples = "accountId must be 1 to 128 characters of A-Z, a-z, 0-9, '_' or '-'") String detail,
        @Schema(description = "The request path", examples = "/api/v1/accounts/1/candidates") String instance,
        @Schema(description = "The request id, also in the X-Request-Id header; quote it to operators",
                examples = "0f8fad5b-d9cb-469f-a165-70867728950e", required = true) String requestId,
        @Schema(description = "The audited Operation this request created, when it created one") UUID operationId,
        @Schema(description = "Domo's request id (toe), when Domo gave one; Domo support asks for it",
                examples = "DM4X9GT6H5-5ERQX-MPDO6") String domoToe,
        @Schema(description = "The operation that currently holds the datasource (409)") UUID runningOperationId,
        @Schema(description = "The invalid fields (400)") List<FieldError> errors) {

    @Schema(name = "FieldError", description = "One invalid field or parameter")
    public record FieldError(
            @Schema(description = "Field or parameter name", examples = "catalog", required = true) String field,
            @Schema(description = "What is wrong with it", examples = "is required", required = true) String message,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @Schema(description = "Line of an uploaded text body (CSV) the error is on, from 1 (the header)",
                    examples = "17") Integer line) {

        public FieldError(String field, String message) {
            this(field, message, null);
        }
    }
}
