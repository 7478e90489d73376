package com.domomigrationproxy.console;

import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.MigrationService;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.Requesters;
import com.domomigrationproxy.security.Roles;
import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * The Domo browser (reader, operator): integration types, their accounts, and an account's
 * candidates with their migration status, read from Domo through the same service as the API's
 * list operations (so through the same circuit breaker, retries and deadlines, and within the
 * person's scopes).
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@RolesAllowed({ Roles.READER, Roles.OPERATOR })
@ConsolePage
@Blocking
public class DomoPages {

    private final MigrationService migrations;
    private final Requesters requesters;
    private final Frames frames;
    private final ConsoleFailures failures;

    @Inject
    DomoPages(MigrationService migrations, Requesters requesters, Frames frames, ConsoleFailures failures) {
        this.migrations = migrations;
        this.requesters = requesters;
        this.frames = frames;
        this.failures = failures;
    }

    @GET
    @Path("/domo")
    public TemplateInstance types() {
        List<DomoType> types = new ArrayList<>();
        migrations.integrationTypes(requesters.current().scopes()).tree().forEach(type -> types.add(new DomoType(type.isTextual() ? type.textValue()
                : type.toString())));
        return Pages.domoTypes(frames.of("Domo", Frame.Section.DOMO), types);
    }

    @GET
    @Path("/domo/types/{integrationType}")
    public TemplateInstance accounts(@PathParam("integrationType") String integrationType) {
        String type = Identifiers.require("integrationType", integrationType);
        List<DomoAccount> accounts = new ArrayList<>();
        migrations.accounts(type, requesters.current().scopes()).tree().forEach(account -> accounts.add(new DomoAccount(text(account, "id"),
                text(account, "name"), text(account, "type"))));
        return Pages.domoAccounts(frames.of("Accounts of " + type, Frame.Section.DOMO), type, accounts);
    }

    @GET
    @Path("/domo/accounts/{accountId}")
    public TemplateInstance candidates(@PathParam("accountId") String accountId,
            @QueryParam("type") String integrationType) {
        String account = Identifiers.require("accountId", accountId);
        String type = Identifiers.valid(integrationType) ? integrationType : null;
        List<DomoCandidate> candidates = new ArrayList<>();
        migrations.candidates(account, requesters.current().scopes()).tree().forEach(candidate -> candidates.add(new DomoCandidate(text(candidate, "id"),
                text(candidate, "name"), candidate.path("migrated").asBoolean(false),
                text(candidate, "migrationDate"))));
        return Pages.domoCandidates(frames.of("Candidates of account " + account, Frame.Section.DOMO), type, account,
                new CandidatesView(candidates));
    }

    /** A field as text, whatever JSON type Domo sent it as; null when absent. */
    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        return value.isValueNode() ? value.asText() : value.toString();
    }

    /** An integration type; one that is no valid identifier is listed but cannot be opened. */
    public record DomoType(String name) {

        public boolean browsable() {
            return Identifiers.valid(name);
        }
    }

    /** An account, with Domo's field names. */
    public record DomoAccount(String id, String name, String type) {

        public boolean browsable() {
            return Identifiers.valid(id);
        }
    }

    /** A candidate, with Domo's field names. */
    public record DomoCandidate(String id, String name, boolean migrated, String migrationDate) {
    }

    /** An account's candidates and how many of them are migrated. */
    public record CandidatesView(List<DomoCandidate> items) {

        public long migrated() {
            return items.stream().filter(DomoCandidate::migrated).count();
        }
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class, ProblemException.class,
            NotFoundException.class, WebApplicationException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
