package com.domomigrationproxy.console;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.domomigrationproxy.audit.AuditExports;
import com.domomigrationproxy.audit.AuditedAccess;
import com.domomigrationproxy.audit.OperationExport;
import com.domomigrationproxy.ledger.Checkpoint;
import com.domomigrationproxy.ledger.CheckpointKeys;
import com.domomigrationproxy.ledger.Checkpoints;
import com.domomigrationproxy.ledger.EventQuery;
import com.domomigrationproxy.ledger.IntegrityReport;
import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.ledger.LedgerConfig;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Roles;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * Evidence (auditor): the integrity check of the hash chain and its signed checkpoints, run on
 * request; the newest checkpoint and whether it still holds; and what an auditor downloads to
 * prove the trail offline with deploy/audit/verify_export.py (the public key, the checkpoints, the
 * events, the operations), under the names the command on the page uses. Each request is on the
 * record as an AUDIT_ACCESS event, as the audit API's are.
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@RolesAllowed(Roles.AUDITOR)
@AuditedAccess
@ConsolePage
@Blocking
public class EvidencePages {

    static final String KEY_FILE = "checkpoint-key.pem";
    static final String FORMER_KEY_FILE_PREFIX = "checkpoint-key-";
    static final String LATEST_FILE = "checkpoint-latest.json";
    static final String CHECKPOINTS_FILE = "checkpoints.zip";
    static final String EVENTS_FILE = "audit-events.ndjson";
    static final String OPERATIONS_FILE = "operations.ndjson";
    private static final int ZIP_PAGE = 500;
    private static final String NOTICE_SUBJECT = "evidence";

    private final Ledger ledger;
    private final Checkpoints checkpoints;
    private final CheckpointKeys keys;
    private final Frames frames;
    private final ConsoleFailures failures;
    private final AuditExports exports;
    private final String signingInterval;
    private final ConsoleNotices notices;

    @Inject
    EvidencePages(Ledger ledger, Checkpoints checkpoints, CheckpointKeys keys, Frames frames,
            ConsoleFailures failures, AuditExports exports, LedgerConfig config, ConsoleNotices notices) {
        this.notices = notices;
        this.signingInterval = config.checkpointInterval().strip();
        this.ledger = ledger;
        this.checkpoints = checkpoints;
        this.keys = keys;
        this.frames = frames;
        this.failures = failures;
        this.exports = exports;
    }

    @GET
    @Path("/evidence")
    public TemplateInstance evidence(@QueryParam("signed") String signed) {
        // Only after this browser's own signature: a link naming one shows nothing.
        return page(frames.of("Evidence", Frame.Section.EVIDENCE), null,
                "true".equals(signed) && notices.taken(NOTICE_SUBJECT, "signed"));
    }

    /** Runs the check; htmx swaps the result into the page, a plain form post gets the whole page. */
    @POST
    @Path("/evidence/integrity")
    public TemplateInstance integrity(@HeaderParam("HX-Request") String htmx) {
        Frame frame = frames.of("Evidence", Frame.Section.EVIDENCE);
        IntegrityReport report = ledger.verify();
        return htmx != null ? Pages.evidence$integrity(report) : page(frame, report, false);
    }

    /** Signs a checkpoint of the chain as it is now, as POST /api/v1/audit/checkpoints does. */
    @POST
    @Path("/evidence/checkpoints")
    public Response sign() {
        checkpoints.signNow();
        notices.leave(NOTICE_SUBJECT, "signed");
        return Response.seeOther(URI.create(ConsoleLinks.EVIDENCE + "?signed=true#checkpoint")).build();
    }

    @GET
    @Path("/evidence/" + KEY_FILE)
    @Produces("application/x-pem-file")
    public Response publicKey() {
        CheckpointKeys.PublicKeyInfo key = keys.current().orElseThrow(() -> new ProblemException(404,
                ProblemType.NOT_FOUND, "Checkpoints are off: no signing key is configured"));
        return download(key.pem(), "application/x-pem-file", KEY_FILE);
    }

    /** A former key still trusted (PROXY_AUDIT_VERIFY_KEYS_DIR): the chain holds checkpoints it signed. */
    @GET
    @Path("/evidence/" + FORMER_KEY_FILE_PREFIX + "{keyId}.pem")
    @Produces("application/x-pem-file")
    public Response formerKey(@PathParam("keyId") String keyId) {
        CheckpointKeys.PublicKeyInfo key = Optional.of(keyId).filter(id -> id.matches("[0-9a-f]{16}")).flatMap(keys::find)
                .filter(found -> keys.current().map(signing -> !signing.keyId().equals(keyId)).orElse(true))
                .orElseThrow(() -> new ProblemException(404, ProblemType.NOT_FOUND, "No former key " + keyId
                        + " is trusted"));
        return download(key.pem(), "application/x-pem-file", formerKeyFile(keyId));
    }

    @GET
    @Path("/evidence/" + LATEST_FILE)
    @Produces(MediaType.APPLICATION_JSON)
    public Response latestCheckpoint() {
        Checkpoint latest = checkpoints.latest().orElseThrow(() -> new ProblemException(404, ProblemType.NOT_FOUND,
                "No checkpoint has been signed yet"));
        return download(Checkpoints.fileContent(latest), MediaType.APPLICATION_JSON, LATEST_FILE);
    }

    /** Every stored checkpoint, one file each as in PROXY_AUDIT_CHECKPOINT_DIR: unzip for --checkpoints-dir. */
    @GET
    @Path("/evidence/" + CHECKPOINTS_FILE)
    @Produces("application/zip")
    public Response everyCheckpoint() {
        StreamingOutput body = out -> {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                Long before = null;
                do {
                    Checkpoints.Page page = checkpoints.page(before, ZIP_PAGE);
                    for (Checkpoint checkpoint : page.items()) {
                        putEntry(zip, Checkpoints.fileName(checkpoint));
                        zip.write(Checkpoints.fileContent(checkpoint));
                        zip.closeEntry();
                    }
                    before = page.nextBeforeId();
                } while (before != null);
            }
        };
        return download(body, "application/zip", CHECKPOINTS_FILE);
    }

    /**
     * The entry of a checkpoint file; a second row of the same name (the application role may insert a
     * copy of one) gets its own, {@code -copy-2} and so on, where the zip refused it and cut the download
     * short: the verifier checks every file the archive holds, a genuine copy passes and a forged one fails.
     */
    private static void putEntry(ZipOutputStream zip, String fileName) throws java.io.IOException {
        String stem = fileName.substring(0, fileName.length() - ".json".length());
        for (int copy = 1;; copy++) {
            try {
                zip.putNextEntry(new ZipEntry("checkpoints/" + (copy == 1 ? fileName : stem + "-copy-" + copy + ".json")));
                return;
            } catch (java.util.zip.ZipException refused) {
                // The name is taken (nothing of this entry was written yet); anything else is no name's fault.
                if (refused.getMessage() == null || !refused.getMessage().startsWith("duplicate entry")) {
                    throw refused;
                }
            }
        }
    }

    /** Every event of the chain, in sequence order, as the audit API's unfiltered events export. */
    @GET
    @Path("/evidence/" + EVENTS_FILE)
    @Produces(OperationExport.NDJSON)
    public Response events() {
        return download(exports.events(EventQuery.ALL), OperationExport.NDJSON, EVENTS_FILE);
    }

    /** Every operation, as the audit API's unfiltered NDJSON export: the verifier's --operations. */
    @GET
    @Path("/evidence/" + OPERATIONS_FILE)
    @Produces(OperationExport.NDJSON)
    public Response operations() {
        return download(exports.operations(OperationExport.NDJSON, OperationQuery.ALL), OperationExport.NDJSON,
                OPERATIONS_FILE);
    }

    private TemplateInstance page(Frame frame, IntegrityReport report, boolean signed) {
        Optional<Checkpoint> latest = checkpoints.latest();
        String current = keys.current().map(CheckpointKeys.PublicKeyInfo::keyId).orElse(null);
        List<String> former = new ArrayList<>();
        keys.trusted().forEach(key -> {
            if (!key.keyId().equals(current)) {
                former.add(key.keyId());
            }
        });
        return Pages.evidence(frame, new EvidenceView(report, checkpoints.enabled(), latest.orElse(null),
                latest.flatMap(checkpoints::failure).orElse(null), signed, signingInterval, List.copyOf(former)));
    }

    static String formerKeyFile(String keyId) {
        return FORMER_KEY_FILE_PREFIX + keyId + ".pem";
    }

    private static Response download(Object body, String type, String name) {
        return Response.ok(body, type).header("Content-Disposition", "attachment; filename=\"" + name + "\"").build();
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class, ProblemException.class,
            NotFoundException.class, WebApplicationException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
