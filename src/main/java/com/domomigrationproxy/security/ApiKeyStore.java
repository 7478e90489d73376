package com.domomigrationproxy.security;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.scheduler.Scheduled;

/**
 * The API keys of PROXY_API_KEYS_FILE, by SHA-256 of the secret. Lookups run on the event loop and
 * touch memory only: the file is loaded before the first request and then looked at (one stat) by
 * a scheduled job, and re-read when its modification time changes, so keys are added, rotated and
 * revoked without a restart. A file that does not parse keeps the previous keys in force.
 */
@ApplicationScoped
public class ApiKeyStore {

    /** Longer headers are not keys; refusing them early bounds the hashing work per request. */
    static final int MAX_KEY_LENGTH = 1024;
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
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
    private volatile Loaded loaded = new Loaded(null, Map.of(), Set.of());

    @Inject
    ApiKeyStore(ApiKeyConfig config, ObjectMapper json) {
        this.file = config.apiKeysFile();
        this.json = json;
        // Loaded before the first request, so that concurrent first requests never see an empty set.
        reloadIfChanged();
    }

    /** The key whose secret this is, if any: one digest and one hash lookup. */
    Optional<ApiKey> find(String secret) {
        if (file.isEmpty() || secret == null || secret.isEmpty() || secret.length() > MAX_KEY_LENGTH) {
            return Optional.empty();
        }
        byte[] digest = SHA256.get().digest(secret.getBytes(StandardCharsets.UTF_8));
        return Optional.ofNullable(loaded.keysByDigest().get(ByteBuffer.wrap(digest)));
    }

    /** True when an API key of the file carries this name. */
    boolean isKeyName(String name) {
        return loaded.names().contains(name);
    }

    /** Looks at the file and re-reads it when it changed; off the event loop. */
    @Scheduled(identity = "api-key-file-reload", every = "${proxy.api-keys-reload-interval:1s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void reloadIfChanged() {
        if (file.isEmpty()) {
            return;
        }
        Path path = file.get();
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(path);
        } catch (IOException e) {
            LOG.errorf("Cannot read the API key file %s: %s; keeping %d key(s) loaded before", path,
                    e.getClass().getSimpleName(), loaded.keysByDigest().size());
            return;
        }
        if (!modified.equals(loaded.modified())) {
            reload(path, modified);
        }
    }

    private void reload(Path path, FileTime modified) {
        try {
            List<ApiKeyEntry> entries = json.readValue(Files.readString(path, StandardCharsets.UTF_8),
                    new TypeReference<List<ApiKeyEntry>>() {
                    });
            Map<ByteBuffer, ApiKey> keys = new HashMap<>();
            for (int index = 0; index < entries.size(); index++) {
                ApiKeyEntry entry = entries.get(index);
                String problem = entry == null ? "is empty" : entry.problem();
                if (problem != null) {
                    LOG.errorf("API key file %s: entry %d %s; it is ignored", path, index, problem);
                } else {
                    keys.put(ByteBuffer.wrap(HexFormat.of().parseHex(entry.sha256())),
                            new ApiKey(entry.name(), Set.copyOf(entry.roles())));
                }
            }
            loaded = new Loaded(modified, Map.copyOf(keys),
                    Set.copyOf(keys.values().stream().map(ApiKey::name).toList()));
            LOG.infof("Loaded %d API key(s) from %s", keys.size(), path);
        } catch (IOException | RuntimeException e) {
            LOG.errorf("API key file %s is not a JSON list of {name, sha256, roles}: %s; keeping %d key(s) loaded before",
                    path, e.getClass().getSimpleName(), loaded.keysByDigest().size());
            loaded = new Loaded(modified, loaded.keysByDigest(), loaded.names());
        }
    }

    record ApiKey(String name, Set<String> roles) {
    }

    record ApiKeyEntry(String name, String sha256, List<String> roles) {

        String problem() {
            if (name == null || !PrincipalPolicy.recordable(name)) {
                return "has no name of 1 to 255 characters without control characters";
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

    private record Loaded(FileTime modified, Map<ByteBuffer, ApiKey> keysByDigest, Set<String> names) {
    }
}
