package com.domomigrationproxy.audit;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.security.Principals;

/** Every principal the service knows of: API keys first, then JWT subjects, each by name. */
@Schema(name = "PrincipalList")
public record PrincipalPage(
        @Schema(description = "Principals: the API key file's keys (used or not) and everyone who authenticated",
                required = true) List<Principals.Principal> items) implements AuditAnswer {

    @Override
    public int rows() {
        return items.size();
    }
}
