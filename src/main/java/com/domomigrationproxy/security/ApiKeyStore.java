package com.domomigrationproxy.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.hashing.Sha256;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The API keys of PROXY_API_KEYS_FILE, by SHA-256 of the secret. Lookups run on the event loop, so
 * the file is looked at (one stat) at most once per {@link #RECHECK_INTERVAL_NANOS} and re-read when
 * its modification time changes: keys are added, rotated and revoked without a restart. A file
 * that does not parse keeps the previous keys in force.
 */
@ApplicationScoped
class ApiKeyStore {

    /** Longer headers are not keys; refusing them early bounds the hashing work per request. */
    static final int MAX_KEY_LENGTH = 1024;
    static final long RECHECK_INTERVAL_NANOS = 1_000_000_000L;
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Logger LOG = Logger.getLogger(ApiKeyStore.class);

    private final Optional<Path> file;
    private final ObjectMapper json;
    private volatile Loaded loaded = new Loaded(null, Map.of());
    private volatile long lastCheckedNanos;

    @Inject
    ApiKeyStore(ApiKeyConfig config, ObjectMapper json) {
        this.file = config.apiKeysFile();
        this.json = json;
        // Loaded before the first request, so that concurrent first requests never see an empty set.
        file.ifPresent(path -> refresh());
    }

    /** The key whose secret this is, if any. */
    Optional<ApiKey> find(String secret) {
        if (file.isEmpty() || secret == null || secret.isEmpty() || secret.length() > MAX_KEY_LENGTH) {
            return Optional.empty();
        }
        return Optional.ofNullable(current().keysBySha256().get(Sha256.hex(secret)));
    }

    private Loaded current() {
        if (System.nanoTime() - lastCheckedNanos < RECHECK_INTERVAL_NANOS) {
            return loaded;
        }
        return refresh();
    }

    private synchronized Loaded refresh() {
        long now = System.nanoTime();
        if (loaded.modified() != null && now - lastCheckedNanos < RECHECK_INTERVAL_NANOS) {
            return loaded;
        }
        lastCheckedNanos = now;
        Path path = file.get();
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(path);
        } catch (IOException e) {
            LOG.errorf("Cannot read the API key file %s: %s; keeping %d key(s) loaded before", path,
                    e.getClass().getSimpleName(), loaded.keysBySha256().size());
            return loaded;
        }
        Loaded seen = loaded;
        return modified.equals(seen.modified()) ? seen : reload(path, modified);
    }

    private Loaded reload(Path path, FileTime modified) {
        try {
            List<ApiKeyEntry> entries = json.readValue(Files.readString(path, StandardCharsets.UTF_8),
                    new TypeReference<List<ApiKeyEntry>>() {
                    });
            Map<String, ApiKey> keys = new HashMap<>();
            for (int index = 0; index < entries.size(); index++) {
                ApiKeyEntry entry = entries.get(index);
                String problem = entry == null ? "is empty" : entry.problem();
                if (problem != null) {
                    LOG.errorf("API key file %s: entry %d %s; it is ignored", path, index, problem);
                } else {
                    keys.put(entry.sha256(), new ApiKey(entry.name(), Set.copyOf(entry.roles())));
                }
            }
            loaded = new Loaded(modified, Map.copyOf(keys));
            LOG.infof("Loaded %d API key(s) from %s", keys.size(), path);
        } catch (IOException | RuntimeException e) {
            LOG.errorf("API key file %s is not a JSON list of {name, sha256, roles}: %s; keeping %d key(s) loaded before",
                    path, e.getClass().getSimpleName(), loaded.keysBySha256().size());
            loaded = new Loaded(modified, loaded.keysBySha256());
        }
        return loaded;
    }

    record ApiKey(String name, Set<String> roles) {
    }

    record ApiKeyEntry(String name, String sha256, List<String> roles) {

        String problem() {
            if (name == null || name.isBlank()) {
                return "has no name";
            }
            if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
                return "(" + name + ") has no lowercase hex SHA-256";
            }
            if (roles == null || roles.isEmpty() || !Roles.ALL.containsAll(roles)) {
                return "(" + name + ") needs roles among " + Roles.ALL;
            }
            return null;
        }
    }

    private record Loaded(FileTime modified, Map<String, ApiKey> keysBySha256) {
    }
}
