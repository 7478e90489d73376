package com.domomigrationproxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file holding a secret that every user of the host can read, or any trusted file that others
 * than its owner can change, is named (a WARN at start and at each reload); the modes the chart
 * mounts them with are not.
 */
class SecretFilesTest {

    @TempDir
    Path directory;

    @Test
    void aSecretReadableByEveryUserOrAFileOthersCanChangeIsNamed() throws Exception {
        assertThat(SecretFiles.exposure(file("rw-r--r--"), true)).hasValue(
                "can be read by every user of the host (rw-r--r--)");
        assertThat(SecretFiles.exposure(file("rw-rw-r--"), false)).hasValue(
                "can be changed by users other than its owner (rw-rw-r--)");
        assertThat(SecretFiles.exposure(file("rw-r--rw-"), true)).hasValue(
                "can be changed by users other than its owner (rw-r--rw-)");
    }

    @Test
    void theChartsModesAndAPublicFileThatIsNotSecretPass() throws Exception {
        assertThat(SecretFiles.exposure(file("r--r-----"), true)).isEmpty();
        assertThat(SecretFiles.exposure(file("rw-------"), true)).isEmpty();
        assertThat(SecretFiles.exposure(file("r--r--r--"), false)).isEmpty();
        assertThat(SecretFiles.exposure(directory.resolve("missing"), true)).isEmpty();
    }

    private Path file(String mode) throws Exception {
        Path file = Files.createTempFile(directory, "secret", ".txt");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }
}
