package com.domomigrationproxy.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Set;

import io.smallrye.jwt.algorithm.KeyEncryptionAlgorithm;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;

/** Mints JWTs with the test key pair of {@link TestCredentials}. */
public final class Tokens {

    private Tokens() {
    }

    public static String jwt(String principal, String... roles) {
        return claims(principal, roles).sign(privateKey());
    }

    public static JwtClaimsBuilder claims(String principal, String... roles) {
        return Jwt.issuer(TestCredentials.ISSUER).upn(principal).groups(Set.of(roles)).expiresIn(300);
    }

    /**
     * A JWT whose payload is exactly this JSON, signed RS256 by hand: what an issuer sends, members
     * with a null value included (SmallRye's builder would leave them out).
     */
    public static String signed(String payloadJson) {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
                + "." + base64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8));
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(privateKey());
            signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + base64.encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Test JWT not signed", e);
        }
    }

    /**
     * A JWT whose payload is exactly this JSON ({@link #signed}), then encrypted to the test key pair's
     * public key: a provider's nested JWT with members whose value is null.
     */
    public static String encryptedSigned(String payloadJson) {
        org.jose4j.jwe.JsonWebEncryption encryption = new org.jose4j.jwe.JsonWebEncryption();
        encryption.setPayload(signed(payloadJson));
        encryption.setAlgorithmHeaderValue(org.jose4j.jwe.KeyManagementAlgorithmIdentifiers.RSA_OAEP);
        encryption.setEncryptionMethodHeaderParameter(org.jose4j.jwe.ContentEncryptionAlgorithmIdentifiers.AES_256_GCM);
        encryption.setContentTypeHeaderValue("JWT");
        encryption.setKey(publicKey());
        try {
            return encryption.getCompactSerialization();
        } catch (org.jose4j.lang.JoseException e) {
            throw new IllegalStateException("Test JWT not encrypted", e);
        }
    }

    /**
     * The claims signed and then encrypted to the test key pair's public key: a nested JWT of five
     * parts, as a provider sends when the service is configured with a decryption key.
     */
    public static String encrypted(JwtClaimsBuilder claims) {
        return claims.innerSign(privateKey()).keyAlgorithm(KeyEncryptionAlgorithm.RSA_OAEP).encrypt(publicKey());
    }

    public static PublicKey publicKey() {
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der(TestCredentials.PUBLIC_KEY)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Test JWT public key not readable", e);
        }
    }

    public static PrivateKey privateKey() {
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der(TestCredentials.PRIVATE_KEY)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Test JWT key not readable", e);
        }
    }

    /** The key a PEM file holds. */
    private static byte[] der(Path pem) {
        try {
            return Base64.getDecoder().decode(Files.readString(pem).replaceAll("-----[A-Z ]+-----", "")
                    .replaceAll("\\s", ""));
        } catch (IOException e) {
            throw new UncheckedIOException("Test JWT key not readable: " + pem, e);
        }
    }
}
