package com.domomigrationproxy.security;

import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.util.Optional;

/**
 * Whether a file named as the CA a peer's certificate must chain to can serve as one: a readable
 * file holding at least one PEM certificate. Checked at start, since a CA file that cannot serve
 * would otherwise fail every connection it is meant for, one handshake at a time.
 */
public final class CaFiles {

    private CaFiles() {
    }

    /** What is wrong with the file, naming the variable that set it; empty if it holds a certificate. */
    public static Optional<String> problem(String variable, Path ca) {
        if (!Files.isRegularFile(ca) || !Files.isReadable(ca)) {
            return Optional.of(variable + " " + ca + " is not a readable file");
        }
        try {
            byte[] content = Files.readAllBytes(ca);
            // The clients read PEM blocks only; the JDK's factory would also accept DER or PKCS#7,
            // and a start that passed here would then fail at the first connection.
            if (!new String(content, StandardCharsets.ISO_8859_1).contains("-----BEGIN CERTIFICATE-----")
                    || CertificateFactory.getInstance("X.509")
                            .generateCertificates(new ByteArrayInputStream(content)).isEmpty()) {
                return Optional.of(variable + " " + ca + " holds no PEM certificate");
            }
            return Optional.empty();
        } catch (IOException | GeneralSecurityException e) {
            return Optional.of(variable + " " + ca + " holds no PEM certificate (" + e.getMessage() + ")");
        }
    }
}
