package com.domomigrationproxy.security;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

import com.domomigrationproxy.problem.LogText;

/**
 * The API keys of PROXY_API_KEYS_FILE, by SHA-256 of the secret. Lookups run on the event loop and
 * touch memory only: the file is loaded before the first request and then looked at (one stat) by
 * a scheduled job, and re-read when it changes ({@link FileVersion}: modification and change
 * time, size, or a new file in its place), so keys are added, rotated and revoked without a restart. A file that does not parse
 * keeps the previous keys in force.
 *
 * <p>An entry may carry {@code scopes} and {@code expiresAt}. Entries are read strictly: an entry
 * with a member of another name, or scopes that do not parse, is ignored (and logged), because
 * reading a misspelt {@code "scope"} as "no scopes" would grant everything. Each key that expires
 * has a gauge of the days it has left ({@code proxy_api_key_days_to_expiry{key=…}}; key names are
 * a short list an operator writes, not caller input).
 */
@ApplicationScoped
public class ApiKeyStore {

    /** Longer headers are not keys; refusing them early bounds the hashing work per request. */
    static final int MAX_KEY_LENGTH = 1024;
    /**
     * The SHA-256 of the key's secret (the file's {@code sha256}), on the identities of its requests:
     * for a request that lasts to ask whether the key still stands ({@link #stands}). Never logged.
     */
    static final String DIGEST_ATTRIBUTE = "apiKeyDigest";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Set<String> MEMBERS = Set.of("name", "sha256", "roles", "scopes", "expiresAt");
    /**
     * The SHA-256 of the four dev keys the README publishes (deploy/dev/api-keys.json, and the Compose
     * example's file): anyone can read their secrets, so a packaged service ignores an entry holding one
     * unless it answers from the Domo sandbox (dev review: the example file, copied, let anyone migrate
     * real data sources as dev-operator).
     */
    private static final Set<String> PUBLISHED_DEV_KEYS = Set.of(
            "839e4fbcc3a237c9545d3c35c8130fbc2183f569e9946037bae854a26bf83e22",
            "7eee78659ab50d4dd820f4242709d188809ca0249506edf83d70022973d5e2ca",
            "46151c35c1c09bca0b049ce55099e4f67fd04efe91716eec70fd1fa8ce898163",
            "816053a94b237cee22a06a5ec01773dfe405682de32fa6bfeeb95b71bfd0096f");
    private static final double SECONDS_PER_DAY = 86_400.0;
    private static final Logger LOG = Logger.getLogger(ApiKeyStore.class);
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    });

    private final Optional<Path> file;
    private final ObjectMapper json;
    private final MeterRegistry registry;
    /** The expiry gauges registered, by key name; touched by the reload job only. */
    private final Map<String, Gauge> expiryGauges = new HashMap<>();
    private volatile Loaded loaded = new Loaded(null, Map.of(), Map.of());

    /** A packaged service that calls the real Domo: the published dev keys are ignored. */
    private final boolean refusePublishedKeys;

    @Inject
    ApiKeyStore(ApiKeyConfig config, ObjectMapper json, MeterRegistry registry) {
        this.file = config.apiKeysFile();
        this.json = json;
        this.registry = registry;
        // Read by name: the Domo client's settings are that package's, which depends on this one.
        this.refusePublishedKeys = LaunchMode.current() == LaunchMode.NORMAL && !ConfigProvider.getConfig()
                .getOptionalValue("domo.sandbox.enabled", Boolean.class).orElse(false);
        // Loaded before the first request, so that concurrent first requests never see an empty set.
        reloadIfChanged();
    }

    /** The key whose secret this is, or null: one digest and one hash lookup. */
    ApiKey find(String secret) {
        if (file.isEmpty() || secret == null || secret.isEmpty() || secret.length() > MAX_KEY_LENGTH) {
            return null;
        }
        byte[] digest = SHA256.get().digest(secret.getBytes(StandardCharsets.UTF_8));
        return loaded.keysByDigest().get(ByteBuffer.wrap(digest));
    }

    /**
     * The name of the API key whose secret this is, or null: for a caller that sends its key where no
     * credential belongs ({@code X-Request-Id}), so that it is neither echoed nor logged.
     */
    public String keyNamed(String secret) {
        ApiKey key = find(secret);
        return key == null ? null : key.name();
    }

    /**
     * True while the key of this digest ({@link #DIGEST_ATTRIBUTE} of its identity) is in the file as
     * loaded now and has not expired: false once it was removed, rotated out or expired.
     */
    boolean stands(ByteBuffer digest) {
        ApiKey key = loaded.keysByDigest().get(digest);
        return key != null && !key.expiredNow();
    }

    /** True when no key is loaded: no string is any key's secret. */
    public boolean none() {
        return loaded.keysByDigest().isEmpty();
    }

    /**
     * True when an API key of the file carries this name, in any letter case and Unicode form ("OP-ALL"
     * and "ｏｐ-ａｌｌ" read as op-all), as the four-eyes rule compares principals.
     */
    boolean isKeyName(String name) {
        return loaded.keyNamesFolded().contains(PrincipalNames.folded(name));
    }

    /** The keys of the file as loaded now, one per name: of two entries of one name, the one expiring later. */
    Collection<ApiKey> keys() {
        return loaded.keysByName().values();
    }

    /** Looks at the file and re-reads it when it changed; off the event loop. */
    @Scheduled(identity = "api-key-file-reload", every = "${proxy.api-keys-reload-interval:1s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void reloadIfChanged() {
        if (file.isEmpty()) {
            return;
        }
        Path path = file.get();
        FileVersion version;
        try {
            version = FileVersion.of(path);
        } catch (IOException e) {
            LOG.errorf("Cannot read the API key file %s: %s; keeping %d key(s) loaded before", path,
                    e.getClass().getSimpleName(), loaded.keysByDigest().size());
            return;
        }
        if (!version.equals(loaded.version())) {
            reload(path, version);
        }
    }

    private static String hex(ByteBuffer digest) {
        byte[] bytes = new byte[digest.remaining()];
        digest.duplicate().get(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private void reload(Path path, FileVersion version) {
        try {
            JsonNode entries = json.readTree(Files.readString(path, StandardCharsets.UTF_8));
            if (entries == null || !entries.isArray()) {
                throw new IllegalArgumentException("not a JSON list");
            }
            Map<ByteBuffer, ApiKey> keys = new HashMap<>();
            Map<ByteBuffer, Integer> entryOf = new HashMap<>();
            Set<ByteBuffer> repeated = new HashSet<>();
            for (int index = 0; index < entries.size(); index++) {
                try {
                    ApiKey key = ApiKey.of(entries.get(index));
                    ByteBuffer digest = key.digest();
                    if (refusePublishedKeys && PUBLISHED_DEV_KEYS.contains(hex(digest))) {
                        LOG.errorf("API key file %s: entry #%d (%s) holds one of the dev keys the README publishes;"
                                + " it is ignored outside dev mode and tests unless the Domo sandbox is on"
                                + " (DOMO_SANDBOX_ENABLED): make keys of your own", path, index + 1, key.name());
                        continue;
                    }
                    Integer first = entryOf.putIfAbsent(digest, index + 1);
                    if (first != null) {
                        // One secret, two entries: whichever came last would decide its name and roles.
                        LOG.errorf("API key file %s: entry #%d (%s) has the sha256 of entry #%d (%s); both are ignored",
                                path, index + 1, key.name(), first, keys.get(digest).name());
                        repeated.add(digest);
                        continue;
                    }
                    keys.put(digest, key);
                } catch (IllegalArgumentException e) {
                    // Counted from 1, as a person counts the entries of the file.
                    LOG.errorf("API key file %s: entry #%d %s; it is ignored", path, index + 1, e.getMessage());
                }
            }
            keys.keySet().removeAll(repeated);
            // During a rotation one name has two entries: the principal lasts as long as the later one.
            Map<String, ApiKey> byName = new HashMap<>();
            for (ApiKey key : keys.values()) {
                ApiKey other = byName.get(key.name());
                if (other != null && !(other.roles().equals(key.roles()) && other.scopes().equals(key.scopes()))) {
                    // A rotation hands out a new secret, not a new grant: both secrets work, but the principals
                    // listing shows one grant, so an auditor would not see the other.
                    LOG.warnf("API key file %s: the entries of %s grant different roles or scopes; both secrets"
                            + " work with their own grant, and /audit/principals shows only the one that expires"
                            + " later: give a rotation's entries the same grant", path, key.name());
                }
                byName.merge(key.name(), key, ApiKey::expiringLater);
            }
            loaded = new Loaded(version, Map.copyOf(keys), Map.copyOf(byName));
            LOG.infof("Loaded %d API key(s) from %s", keys.size(), path);
            SecretFiles.warnIfExposed("PROXY_API_KEYS_FILE", path, false);
        } catch (IOException | RuntimeException e) {
            LOG.errorf("API key file %s is not a JSON list of {name, sha256, roles, scopes, expiresAt}: %s; keeping %d"
                    + " key(s) loaded before", path, e.getClass().getSimpleName(), loaded.keysByDigest().size());
            loaded = new Loaded(version, loaded.keysByDigest(), loaded.keysByName());
        }
        updateExpiryGauges();
    }

    /** One gauge per key that expires; a key removed from the file, or no longer expiring, loses its gauge. */
    private void updateExpiryGauges() {
        Map<String, ApiKey> current = loaded.keysByName();
        for (Iterator<Map.Entry<String, Gauge>> gauges = expiryGauges.entrySet().iterator(); gauges.hasNext();) {
            Map.Entry<String, Gauge> gauge = gauges.next();
            ApiKey key = current.get(gauge.getKey());
            if (key == null || key.expiresAt() == null) {
                registry.remove(gauge.getValue());
                gauges.remove();
            }
        }
        for (ApiKey key : current.values()) {
            if (key.expiresAt() != null && !expiryGauges.containsKey(key.name())) {
                String name = key.name();
                expiryGauges.put(name, Gauge.builder("proxy.api.key.days.to.expiry", this, store -> store.daysToExpiry(name))
                        .description("Days until the API key expires (negative once expired), per key of the file")
                        .tag("key", name)
                        .register(registry));
            }
        }
    }

    private double daysToExpiry(String name) {
        ApiKey key = loaded.keysByName().get(name);
        if (key == null || key.expiresAt() == null) {
            return Double.NaN;
        }
        return Duration.between(Instant.now(), key.expiresAt()).toSeconds() / SECONDS_PER_DAY;
    }

    /**
     * A key of the file: its name (the principal), roles, scopes and expiry (null: never); with the
     * principal's key for its last use and the identity every request with it gets, made once here
     * so that authenticating with it allocates nothing but the digest.
     */
    record ApiKey(String name, Set<String> roles, Scopes scopes, Instant expiresAt, ByteBuffer digest,
            PrincipalActivity.PrincipalKey principal, PrincipalActivity.Grant grant, Uni<SecurityIdentity> identity) {

        /** The latest expiry a key keeps: later ones are as good as never, and beyond what PostgreSQL stores. */
        static final Instant LATEST_EXPIRY = Instant.parse("9999-12-31T23:59:59Z");

        ApiKey(String name, Set<String> roles, Scopes scopes, Instant expiresAt, ByteBuffer digest) {
            this(name, roles, scopes, expiresAt, digest, new PrincipalActivity.PrincipalKey(PrincipalPolicy.API_KEY, name),
                    new PrincipalActivity.Grant(roles, scopes, expiresAt),
                    Uni.createFrom().item(QuarkusSecurityIdentity.builder()
                            .setPrincipal(new QuarkusPrincipal(name))
                            .addRoles(roles)
                            .addAttribute(PrincipalPolicy.AUTH_METHOD_ATTRIBUTE, PrincipalPolicy.API_KEY)
                            .addAttribute(PrincipalPolicy.SCOPES_ATTRIBUTE, scopes)
                            .addAttribute(DIGEST_ATTRIBUTE, digest)
                            .build()));
        }

        boolean expiredAt(Instant now) {
            return expiresAt != null && !now.isBefore(expiresAt);
        }

        /** The same against the wall clock, without making an Instant (once per request). */
        boolean expiredNow() {
            if (expiresAt == null) {
                return false;
            }
            long now = System.currentTimeMillis();
            long expiry = expiresAt.getEpochSecond() * 1000 + expiresAt.getNano() / 1_000_000;
            // Within the expiry's own millisecond, the instants decide.
            return now > expiry || (now == expiry && expiredAt(Instant.now()));
        }

        static ApiKey expiringLater(ApiKey one, ApiKey other) {
            if (one.expiresAt() == null || other.expiresAt() == null) {
                return one.expiresAt() == null ? one : other;
            }
            return one.expiresAt().isAfter(other.expiresAt()) ? one : other;
        }

        /** Reads one entry of the file, or says in the exception what is wrong with it (never the secret's hash). */
        static ApiKey of(JsonNode entry) {
            if (entry == null || !entry.isObject()) {
                throw new IllegalArgumentException("is not a JSON object");
            }
            JsonNode name = entry.get("name");
            if (name == null || !name.isTextual() || !PrincipalPolicy.recordable(name.textValue())) {
                throw new IllegalArgumentException("has no name of 1 to 255 characters without control or invisible characters or a space at either end");
            }
            String label = "(" + name.textValue() + ") ";
            List<String> unknown = new ArrayList<>();
            entry.fieldNames().forEachRemaining(member -> {
                if (!MEMBERS.contains(member)) {
                    unknown.add(LogText.clean(member));
                }
            });
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException(label + "has members other than " + MEMBERS + ": " + unknown);
            }
            JsonNode sha256 = entry.get("sha256");
            if (sha256 == null || !sha256.isTextual() || !SHA256_HEX.matcher(sha256.textValue()).matches()) {
                throw new IllegalArgumentException(label + "has no lowercase hex SHA-256");
            }
            Set<String> roles = new LinkedHashSet<>();
            JsonNode roleList = entry.get("roles");
            if (roleList != null && roleList.isArray()) {
                roleList.forEach(role -> roles.add(role.isTextual() ? role.textValue() : ""));
            }
            if (roles.isEmpty() || !Roles.ALL.containsAll(roles)) {
                throw new IllegalArgumentException(label + "needs roles among " + Roles.ALL);
            }
            Scopes scopes;
            try {
                scopes = entry.has("scopes") ? Scopes.parse(entry.get("scopes")) : Scopes.UNRESTRICTED;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(label + "has invalid scopes: " + e.getMessage());
            }
            Instant expiresAt = null;
            JsonNode expiry = entry.get("expiresAt");
            if (expiry != null) {
                try {
                    expiresAt = Instant.parse(expiry.isTextual() ? expiry.textValue() : "");
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException(label + "has an expiresAt that is not an ISO-8601 instant"
                            + " (e.g. 2027-01-31T00:00:00Z)");
                }
                // Held within 1970 to 9999: an instant of year -300000000 overflowed the millisecond test and
                // let an expired key in, and one past PostgreSQL's year 294276 stopped every last-use write
                // (auth review). Before 1970 is expired all the same, after 9999 as good as never.
                expiresAt = expiresAt.isBefore(Instant.EPOCH) ? Instant.EPOCH
                        : expiresAt.isAfter(LATEST_EXPIRY) ? LATEST_EXPIRY : expiresAt;
            }
            return new ApiKey(name.textValue(), Set.copyOf(roles), scopes, expiresAt,
                    ByteBuffer.wrap(HexFormat.of().parseHex(sha256.textValue())).asReadOnlyBuffer());
        }
    }

    /** The keys read from one version of the file ({@link FileVersion}), by digest and by name. */
    private record Loaded(FileVersion version, Map<ByteBuffer, ApiKey> keysByDigest, Map<String, ApiKey> keysByName,
            Set<String> keyNamesFolded) {

        Loaded(FileVersion version, Map<ByteBuffer, ApiKey> keysByDigest, Map<String, ApiKey> keysByName) {
            this(version, keysByDigest, keysByName, keysByName.keySet().stream()
                    .map(PrincipalNames::folded).collect(Collectors.toUnmodifiableSet()));
        }
    }
}
