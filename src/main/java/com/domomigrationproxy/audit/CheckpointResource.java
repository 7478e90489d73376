package com.domomigrationproxy.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import com.domomigrationproxy.ledger.Checkpoint;
import com.domomigrationproxy.ledger.CheckpointKeys;
import com.domomigrationproxy.ledger.Checkpoints;
import com.domomigrationproxy.migration.AcceptHeader;
import com.domomigrationproxy.migration.QueryParameters;
import com.domomigrationproxy.openapi.ApiDocumentation;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Requesters;
import com.domomigrationproxy.security.Roles;

/**
 * Signed checkpoints of the hash chain (contract, "Evidence"): the auditors' list, the newest one,
 * signing one now, and the public key anyone may fetch to verify them without the service.
 */
@Path(CheckpointResource.PATH)
@Tag(name = ApiDocumentation.AUDIT_TAG)
@AuditedAccess
public class CheckpointResource {

    static final String PATH = "/api/v1/audit/checkpoints";
    /** Public: no credential needed, and no request of it on the record (AuditAccessRecorder). */
    static final String PUBLIC_KEY = "/public-key";

    static final String PEM = "application/x-pem-file";
    static final String JWK = "application/jwk+json";
    /** Audit reads go to their own category, as in {@link AuditResource}. */
    private static final Logger ACCESS = Logger.getLogger("audit.access");
    private static final Pattern KEY_ID = Pattern.compile("[0-9a-f]{16}");
    private static final String CURSOR_SCOPE = "checkpoints";

    private final Checkpoints checkpoints;
    private final CheckpointKeys keys;
    private final Requesters requesters;

    @Inject
    CheckpointResource(Checkpoints checkpoints, CheckpointKeys keys, Requesters requesters) {
        this.checkpoints = checkpoints;
        this.keys = keys;
        this.requesters = requesters;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.AUDITOR)
    @SecurityRequirement(name = ApiDocumentation.JWT)
    @SecurityRequirement(name = ApiDocumentation.API_KEY)
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "listCheckpoints",
            summary = "List signed checkpoints",
            description = "Checkpoints newest first, a page at a time (keyset `cursor`). Each is the service's Ed25519"
                    + " signature over the chain's hash at a sequence number; docs/audit.md gives the signed text."
                    + " Role: auditor.")
    @APIResponse(responseCode = "200", description = "A page of checkpoints",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = CheckpointPage.class)))
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "401", ref = ApiDocumentation.UNAUTHORIZED)
    @APIResponse(responseCode = "403", ref = ApiDocumentation.FORBIDDEN)
    @APIResponse(responseCode = "503", ref = ApiDocumentation.UNAVAILABLE)
    public CheckpointPage list(
            @Parameter(description = "Page size", schema = @Schema(type = SchemaType.INTEGER, format = "int32",
                    minimum = "1", maximum = "500", defaultValue = "50")) @QueryParam("limit") String limit,
            @Parameter(description = "nextCursor of the previous page", schema = @Schema(type = SchemaType.STRING))
            @QueryParam("cursor") String cursor) {
        List<Problem.FieldError> errors = new ArrayList<>();
        int pageSize = OperationFilter.limit(limit, errors);
        Long beforeId = cursor == null ? null : PageCursor.seq(cursor, CURSOR_SCOPE, errors);
        QueryParameters.failOn(errors);
        ACCESS.infof("Audit read by %s: checkpoints, cursor %s", principal(), cursor != null);
        Checkpoints.Page page = checkpoints.page(beforeId, pageSize);
        return new CheckpointPage(page.items(),
                page.nextBeforeId() == null ? null : PageCursor.after(page.nextBeforeId(), CURSOR_SCOPE));
    }

    @GET
    @Path("/latest")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.AUDITOR)
    @SecurityRequirement(name = ApiDocumentation.JWT)
    @SecurityRequirement(name = ApiDocumentation.API_KEY)
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "getLatestCheckpoint",
            summary = "The newest signed checkpoint",
            description = "What an auditor downloads with an export: the export must reach its seq and pass through its"
                    + " hash. Role: auditor.")
    @APIResponse(responseCode = "200", description = "The newest checkpoint",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Checkpoint.class)))
    @APIResponse(responseCode = "401", ref = ApiDocumentation.UNAUTHORIZED)
    @APIResponse(responseCode = "403", ref = ApiDocumentation.FORBIDDEN)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "503", ref = ApiDocumentation.UNAVAILABLE)
    public Checkpoint latest() {
        ACCESS.infof("Audit read by %s: latest checkpoint", principal());
        return checkpoints.latest().orElseThrow(() -> new ProblemException(404, ProblemType.NOT_FOUND,
                "No checkpoint has been signed yet"));
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.AUDITOR)
    @SecurityRequirement(name = ApiDocumentation.JWT)
    @SecurityRequirement(name = ApiDocumentation.API_KEY)
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "signCheckpoint",
            summary = "Sign a checkpoint now",
            description = "Signs the chain's current head, stores the checkpoint, writes its file and appends its"
                    + " CHECKPOINT event (which the next checkpoint covers). No body. Role: auditor.")
    @APIResponse(responseCode = "201", description = "The checkpoint just signed",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Checkpoint.class)))
    @APIResponse(responseCode = "401", ref = ApiDocumentation.UNAUTHORIZED)
    @APIResponse(responseCode = "403", ref = ApiDocumentation.FORBIDDEN)
    @APIResponse(responseCode = "409", description = "Checkpoints are off: no signing key is configured"
            + " (checkpoints-off); or the chain no longer holds the hash the newest checkpoint signed at its seq, or"
            + " its head is not its last event, so nothing is signed over it (chain-altered)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem")))
    @APIResponse(responseCode = "503", ref = ApiDocumentation.UNAVAILABLE)
    public Response sign() {
        Checkpoint checkpoint = checkpoints.signNow();
        ACCESS.infof("Checkpoint signed at the request of %s: seq %d", principal(), checkpoint.seq());
        return Response.status(201).entity(checkpoint).type(MediaType.APPLICATION_JSON).build();
    }

    @GET
    @Path(CheckpointResource.PUBLIC_KEY)
    @Produces({ PEM, JWK, MediaType.APPLICATION_JSON })
    @PermitAll
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "getCheckpointPublicKey",
            summary = "The public key that verifies checkpoints",
            description = "Public, no credentials: anyone may verify. PEM (SubjectPublicKeyInfo) by default; a JWK"
                    + " (RFC 8037, with `kid`) with `format=jwk` or `Accept: application/jwk+json`. Without `keyId`,"
                    + " the current signing key; with it, any key checkpoints verify with, former ones included.")
    @APIResponse(responseCode = "200", description = "The public key",
            content = {
                    @Content(mediaType = PEM, schema = @Schema(type = SchemaType.STRING)),
                    @Content(mediaType = JWK, schema = @Schema(implementation = PublicJwk.class)),
                    @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PublicJwk.class)) })
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    public Response publicKey(
            @Parameter(description = "A key id (16 hex digits) of a current or former signing key",
                    schema = @Schema(type = SchemaType.STRING, pattern = "^[0-9a-f]{16}$")) @QueryParam("keyId") String keyId,
            @Parameter(description = "`pem` or `jwk`; overrides Accept",
                    schema = @Schema(type = SchemaType.STRING, enumeration = { "pem", "jwk" }))
            @QueryParam("format") String format,
            @Context HttpHeaders headers) {
        List<Problem.FieldError> errors = new ArrayList<>();
        if (keyId != null && !KEY_ID.matcher(keyId).matches()) {
            errors.add(new Problem.FieldError("keyId", "must be 16 lowercase hex digits"));
        }
        if (format != null && !format.equals("pem") && !format.equals("jwk")) {
            errors.add(new Problem.FieldError("format", "must be pem or jwk"));
        }
        QueryParameters.failOn(errors);
        CheckpointKeys.PublicKeyInfo key = (keyId == null ? keys.current() : keys.find(keyId))
                .orElseThrow(() -> new ProblemException(404, ProblemType.NOT_FOUND, keyId == null
                        ? "Checkpoints are off: no signing key is configured"
                        : "No checkpoint key with id " + keyId + " is known here"));
        // PEM unless a JWK is asked for, by format or by Accept (as application/jwk+json or plain JSON).
        String type = format != null ? (format.equals("jwk") ? JWK : PEM)
                : AcceptHeader.choose(headers, PEM, JWK, MediaType.APPLICATION_JSON);
        if (!type.equals(PEM)) {
            var jwk = key.jwk();
            return Response.ok(new PublicJwk(jwk.get("kty"), jwk.get("crv"), jwk.get("x"), jwk.get("kid"), jwk.get("use"),
                    jwk.get("alg")), type).build();
        }
        return Response.ok(key.pem(), PEM)
                .header("Content-Disposition", "inline; filename=\"checkpoint-key-" + key.keyId() + ".pem\"").build();
    }

    /** An Ed25519 public key as an RFC 8037 JWK. */
    @Schema(name = "CheckpointPublicKey")
    public record PublicJwk(
            @Schema(description = "Key type", required = true, enumeration = "OKP") String kty,
            @Schema(description = "Curve", required = true, enumeration = "Ed25519") String crv,
            @Schema(description = "The public key, base64url", required = true) String x,
            @Schema(description = "Key id, as in checkpoints", required = true) String kid,
            @Schema(description = "Use", required = true, enumeration = "sig") String use,
            @Schema(description = "Algorithm", required = true, enumeration = "EdDSA") String alg) {
    }

    private String principal() {
        return requesters.current().principal();
    }
}
