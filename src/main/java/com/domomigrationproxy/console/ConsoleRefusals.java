package com.domomigrationproxy.console;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.vertx.core.http.HttpServerResponse;

/**
 * The console's page for a request the service turns away before routing (web.RequestFilter: an
 * address that is not canonical, a form too large or without a length): what a person's browser
 * shows is a console page that says what went wrong, with the console's security headers, not the
 * API's problem JSON. It names no person: who sent the request is not known yet.
 */
@ApplicationScoped
public class ConsoleRefusals {

    private final ConsoleHeaders headers;

    @Inject
    ConsoleRefusals(ConsoleHeaders headers) {
        this.headers = headers;
    }

    /** Ends the response with the console's failure page. */
    public void refuse(HttpServerResponse response, int status, String detail) {
        String heading = ConsoleFailures.heading(status);
        String page = Pages.failure(new Frame(heading, Frame.Section.NONE, null, null), status, heading, detail,
                List.of(), null).render();
        headers.set(response.headers(), false);
        response.setStatusCode(status).putHeader("Content-Type", "text/html;charset=UTF-8").end(page);
    }
}
