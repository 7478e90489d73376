package com.domomigrationproxy.domo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

/**
 * The Domo developer token, from DOMO_DEVELOPER_TOKEN_FILE (re-read when the file changes, so a
 * rotated Kubernetes Secret takes effect without a restart) or DOMO_DEVELOPER_TOKEN. The token
 * leaves this class only as the value of the upstream header; it is never logged or wrapped in an
 * exception message.
 */
@ApplicationScoped
public class DomoTokenProvider {

    private static final Logger LOG = Logger.getLogger(DomoTokenProvider.class);

    private final Optional<String> fromEnvironment;
    private final Optional<Path> file;
    private volatile Snapshot snapshot;

    @Inject
    DomoTokenProvider(DomoConfig config) {
        this.fromEnvironment = config.developerToken().map(String::strip).filter(token -> !token.isEmpty());
        this.file = config.developerTokenFile();
    }

    /** True when a token source is configured (the file may still be missing or empty). */
    public boolean configured() {
        return file.isPresent() || fromEnvironment.isPresent();
    }

    /** The current token, or empty when none is configured or the file cannot be read. */
    public Optional<String> current() {
        if (file.isEmpty()) {
            return fromEnvironment;
        }
        Path path = file.get();
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(path);
        } catch (IOException e) {
            LOG.errorf("Cannot read the Domo token file %s: %s", path, e.getClass().getSimpleName());
            return Optional.empty();
        }
        Snapshot seen = snapshot;
        if (seen != null && seen.modified().equals(modified)) {
            return seen.token();
        }
        return reload(path, modified);
    }

    /** Replaces any occurrence of the token in text that came from outside, e.g. an upstream message. */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String redacted = text;
        for (String token : new String[] { fromEnvironment.orElse(null), currentOrNull() }) {
            if (token != null && !token.isEmpty()) {
                redacted = redacted.replace(token, "[redacted]");
            }
        }
        return redacted;
    }

    private String currentOrNull() {
        Snapshot seen = snapshot;
        return seen == null ? null : seen.token().orElse(null);
    }

    private synchronized Optional<String> reload(Path path, FileTime modified) {
        try {
            String content = Files.readString(path, StandardCharsets.UTF_8).strip();
            Optional<String> token = content.isEmpty() ? Optional.empty() : Optional.of(content);
            if (token.isEmpty()) {
                LOG.errorf("The Domo token file %s is empty", path);
            } else if (snapshot != null) {
                LOG.infof("Reloaded the Domo token from %s", path);
            }
            snapshot = new Snapshot(modified, token);
            return token;
        } catch (IOException e) {
            LOG.errorf("Cannot read the Domo token file %s: %s", path, e.getClass().getSimpleName());
            return Optional.empty();
        }
    }

    private record Snapshot(FileTime modified, Optional<String> token) {
    }
}
