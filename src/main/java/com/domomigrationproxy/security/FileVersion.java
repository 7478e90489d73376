package com.domomigrationproxy.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * What tells a secret file's versions apart without reading it: its modification time, size,
 * identity and, where the system keeps one, its change time. The modification time alone misses a
 * copy that keeps it ({@code cp -p}, {@code rsync -t}), with a token of the same length too; the
 * change time moves with every write and no tool sets it back. A Kubernetes Secret's swapped
 * symlink changes the identity.
 */
public record FileVersion(FileTime modified, long size, Object fileKey, Object changed) {

    private static final String UNIX_VIEW = "unix:lastModifiedTime,size,ino,dev,ctime";

    public static FileVersion of(Path path) throws IOException {
        try {
            Map<String, Object> unix = Files.readAttributes(path, UNIX_VIEW);
            return new FileVersion((FileTime) unix.get("lastModifiedTime"), (Long) unix.get("size"),
                    unix.get("dev") + ":" + unix.get("ino"), unix.get("ctime"));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // No unix view (Windows): the basic attributes, without the change time.
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return new FileVersion(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey(), null);
        }
    }
}
