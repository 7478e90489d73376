package com.domomigrationproxy.security;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

import org.jboss.logging.Logger;

/**
 * Whether a file the service trusts is open to other users of its host: one holding a secret (the
 * Domo token, the checkpoint signing key) that every user can read, or any such file (the API key
 * file too) that users other than its owner can change. A warning, not a refusal: the file may
 * still be the right one, and a Kubernetes Secret mounted with its default mode (0644) is readable
 * by every user of the container only.
 */
public final class SecretFiles {

    private static final Logger LOG = Logger.getLogger(SecretFiles.class);

    private SecretFiles() {
    }

    /** What is wrong with the file's permissions, if anything; empty where the file system has none. */
    public static Optional<String> exposure(Path path, boolean secret) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(path);
        } catch (UnsupportedOperationException | IOException e) {
            return Optional.empty();
        }
        String mode = PosixFilePermissions.toString(permissions);
        if (permissions.contains(PosixFilePermission.OTHERS_WRITE) || permissions.contains(PosixFilePermission.GROUP_WRITE)) {
            return Optional.of("can be changed by users other than its owner (" + mode + ")");
        }
        if (secret && permissions.contains(PosixFilePermission.OTHERS_READ)) {
            return Optional.of("can be read by every user of the host (" + mode + ")");
        }
        return Optional.empty();
    }

    /** Logs {@link #exposure} as a WARN naming the setting, if there is any. */
    public static void warnIfExposed(String variable, Path path, boolean secret) {
        exposure(path, secret).ifPresent(problem -> LOG.warnf("%s=%s %s: let only the service's user (and its group)"
                + " read it, and only its owner change it (chmod 440; the chart mounts it so)", variable, path, problem));
    }

    /** Why a file could not be read, in words that need no stack trace: no such file, permission denied… */
    public static String whyUnreadable(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied for the service's user (" + System.getProperty("user.name") + ")";
        }
        if (e instanceof FileSystemException system && system.getReason() != null) {
            return system.getReason();
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
