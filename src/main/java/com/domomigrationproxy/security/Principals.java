package com.domomigrationproxy.security;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * Every principal the service knows of, for auditors: the keys of the API key file (used or not)
 * and every principal that ever authenticated (API key names, JWT subjects, people signed in to
 * the console), with what they may do and when they last did something.
 */
@ApplicationScoped
public class Principals {

    /** One principal as auditors see it. */
    @Schema(name = "Principal", description = "A principal: an API key of the file, or anyone who authenticated")
    public record Principal(
            @Schema(description = "JWT principal or API key name", required = true, examples = "billing-svc")
            String principal,
            @Schema(description = "How it authenticates: jwt, api-key, or oidc (a person signed in to the console)",
                    required = true, examples = "api-key")
            String authMethod,
            @Schema(description = "Roles: the API key file's, or those of the JWT last seen", required = true)
            Set<String> roles,
            @Schema(description = "Scopes: the API key file's, or those of the JWT last seen; {} is unrestricted",
                    required = true) Scopes scopes,
            @Schema(description = "When the API key expires (for a key since removed, as it was at its last use);"
                    + " null when it does not (and for JWT subjects)", nullable = true) Instant expiresAt,
            @Schema(description = "True when the API key has expired", required = true) boolean expired,
            @Schema(description = "True when the API key is in the API key file now (false for JWT subjects and for"
                    + " keys since removed)", required = true) boolean inKeyFile,
            @Schema(description = "True when the principal never authenticated successfully", required = true)
            boolean neverUsed,
            @Schema(description = "First successful authentication recorded", nullable = true) Instant firstSeenAt,
            @Schema(description = "Last successful authentication (recorded at most once a minute)", nullable = true)
            Instant lastUsedAt,
            @Schema(description = "Client address of the last successful authentication", nullable = true)
            String lastClientAddress) {
    }

    private final ApiKeyStore keys;
    private final PrincipalActivity activity;

    @Inject
    Principals(ApiKeyStore keys, PrincipalActivity activity) {
        this.keys = keys;
        this.activity = activity;
    }

    /** API keys first, then JWT subjects, each by name. 503 when the database cannot be read. */
    public List<Principal> list() {
        Map<PrincipalActivity.PrincipalKey, PrincipalActivity.LastUse> uses;
        try {
            uses = activity.lastUses();
        } catch (SQLException e) {
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The principals' last use cannot be read;"
                    + " retry later", e);
        }
        Instant now = Instant.now();
        List<Principal> principals = new ArrayList<>();
        for (ApiKeyStore.ApiKey key : keys.keys()) {
            PrincipalActivity.LastUse use = uses.remove(new PrincipalActivity.PrincipalKey(PrincipalPolicy.API_KEY,
                    key.name()));
            principals.add(new Principal(key.name(), PrincipalPolicy.API_KEY, new TreeSet<>(key.roles()), key.scopes(),
                    key.expiresAt(), key.expiredAt(now), true, use == null, use == null ? null : use.firstSeenAt(),
                    use == null ? null : use.lastUsedAt(), use == null ? null : use.clientAddress()));
        }
        for (PrincipalActivity.LastUse use : uses.values()) {
            // Not in the key file (any more): the expiry it last authenticated with, so that a key that expired
            // and was then removed is not shown as one that never expires.
            principals.add(new Principal(use.key().principal(), use.key().authMethod(), new TreeSet<>(use.roles()),
                    use.scopes(), use.expiresAt(), use.expiresAt() != null && !now.isBefore(use.expiresAt()), false,
                    false, use.firstSeenAt(), use.lastUsedAt(), use.clientAddress()));
        }
        principals.sort(Comparator.comparing((Principal principal) -> !PrincipalPolicy.API_KEY.equals(principal.authMethod()))
                .thenComparing(Principal::principal));
        return principals;
    }
}
