package com.domomigrationproxy.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * What tells a secret file's versions apart without reading it: its modification time, size and
 * identity. The time alone misses a copy that keeps it ({@code cp -p}, {@code rsync -t}) and a
 * rewrite within one tick of the clock; a Kubernetes Secret's swapped symlink changes the identity.
 */
public record FileVersion(FileTime modified, long size, Object fileKey) {

    public static FileVersion of(Path path) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        return new FileVersion(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
    }
}
