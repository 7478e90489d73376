package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.support.ConfigMappings;

/**
 * A signing key that cannot serve stops the start with one message that names the setting, the
 * file and the reason: a refused start shows its root cause first, and a bare
 * "NoSuchFileException: /run/secrets/…" named no setting.
 */
class CheckpointKeysTest {

    @Test
    void aSigningKeyThatCannotBeReadIsNamedWithItsReasonInOneMessage(@TempDir Path directory) throws Exception {
        Path missing = directory.resolve("checkpoint-key.pem");
        assertThatThrownBy(() -> keys(missing)).hasNoCause().hasMessage(
                "Cannot read the checkpoint signing key PROXY_AUDIT_SIGNING_KEY_FILE=" + missing + ": no such file");
        Path notAKey = Files.writeString(directory.resolve("not-a-key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                + "-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> keys(notAKey)).hasNoCause().hasMessageStartingWith("PROXY_AUDIT_SIGNING_KEY_FILE="
                + notAKey + " is not an Ed25519 private key in PKCS#8 PEM (openssl genpkey -algorithm ed25519): ");
    }

    private static CheckpointKeys keys(Path signingKey) {
        return new CheckpointKeys(ConfigMappings.of(LedgerConfig.class,
                Map.of("proxy.audit.signing-key-file", signingKey.toString())));
    }
}
