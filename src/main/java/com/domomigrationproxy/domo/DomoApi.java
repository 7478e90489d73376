package com.domomigrationproxy.domo;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.rest.client.annotation.ClientHeaderParam;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

import io.smallrye.mutiny.Uni;

/**
 * Domo's five migration endpoints, and nothing else: no caller-supplied path reaches Domo, only
 * identifiers that the client encodes into these templates. Every status comes back as a
 * {@link Response} (see {@link HttpDomoUpstream}) so that {@link DomoClient} translates it.
 */
@RegisterRestClient(configKey = "domo")
@Path("/api/query/migration/federated/v1/to/v2")
@Produces(MediaType.APPLICATION_JSON)
@ClientHeaderParam(name = "User-Agent", value = "domo-migration-proxy")
interface DomoApi {

    String TOKEN_HEADER = "X-DOMO-Developer-Token";

    @GET
    @Path("/types")
    Uni<Response> types(@HeaderParam(TOKEN_HEADER) String token);

    @GET
    @Path("/accounts/{integrationType}")
    Uni<Response> accounts(@HeaderParam(TOKEN_HEADER) String token,
            @PathParam("integrationType") String integrationType);

    @GET
    @Path("/candidates/{accountId}")
    Uni<Response> candidates(@HeaderParam(TOKEN_HEADER) String token, @PathParam("accountId") String accountId);

    @POST
    @Path("/{datasourceId}/accounts/{accountId}")
    @Consumes(MediaType.APPLICATION_JSON)
    Uni<Response> migrate(@HeaderParam(TOKEN_HEADER) String token, @PathParam("datasourceId") String datasourceId,
            @PathParam("accountId") String accountId, DomoMigrationRequest body);

    @POST
    @Path("/{datasourceId}/reverse")
    Uni<Response> reverse(@HeaderParam(TOKEN_HEADER) String token, @PathParam("datasourceId") String datasourceId);
}
