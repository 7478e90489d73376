package com.domomigrationproxy.domo;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.rest.client.annotation.ClientHeaderParam;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/**
 * Domo's two migration writes, and nothing else: no caller-supplied path reaches Domo, only
 * identifiers that the client encodes into these templates (the three reads, with the same path,
 * are sent by {@link HttpDomoUpstream} without blocking). Blocking methods returning
 * {@link Response} stream the body instead of buffering it, which is what lets {@link BoundedBody}
 * cut off an answer that is too long; every status comes back as a Response for {@link DomoClient}
 * to translate.
 */
@RegisterRestClient
@Path(DomoApi.PATH)
@Produces(MediaType.APPLICATION_JSON)
@ClientHeaderParam(name = "User-Agent", value = "domo-migration-proxy")
interface DomoApi {

    String TOKEN_HEADER = "X-DOMO-Developer-Token";
    String PATH = "/api/query/migration/federated/v1/to/v2";

    @POST
    @Path("/{datasourceId}/accounts/{accountId}")
    @Consumes(MediaType.APPLICATION_JSON)
    Response migrate(@HeaderParam(TOKEN_HEADER) String token, @PathParam("datasourceId") String datasourceId,
            @PathParam("accountId") String accountId, DomoMigrationRequest body);

    @POST
    @Path("/{datasourceId}/reverse")
    Response reverse(@HeaderParam(TOKEN_HEADER) String token, @PathParam("datasourceId") String datasourceId);
}
