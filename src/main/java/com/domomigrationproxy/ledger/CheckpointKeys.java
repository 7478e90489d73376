package com.domomigrationproxy.ledger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.security.SecretFiles;

/**
 * The checkpoint signing key (an Ed25519 PKCS#8 PEM file outside the database) and the public keys
 * that checkpoints are verified with: the signing key's own, and those of former signing keys in
 * PROXY_AUDIT_VERIFY_KEYS_DIR. Trust comes only from these files, never from the database, which an
 * attacker may control. Read once at start; a rotation is a restart. A configured key that cannot
 * be read stops the start: an auditor would rather see a failed deployment than unsigned weeks.
 */
@ApplicationScoped
public class CheckpointKeys {

    private static final Logger LOG = Logger.getLogger(CheckpointKeys.class);
    private static final String ALGORITHM = "Ed25519";
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
    /** The DER header of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw 32-byte key follows it. */
    private static final int SPKI_HEADER = 12;

    private final Signer signer;
    private final Map<String, PublicKeyInfo> trusted;

    @Inject
    CheckpointKeys(LedgerConfig config) {
        this.signer = config.signingKeyFile().map(CheckpointKeys::loadSigner).orElse(null);
        Map<String, PublicKeyInfo> keys = new LinkedHashMap<>();
        if (signer != null) {
            keys.put(signer.key().keyId(), signer.key());
        }
        config.verifyKeysDir().ifPresent(directory -> loadPublicKeys(directory, keys));
        this.trusted = Collections.unmodifiableMap(keys);
    }

    /** A signing key and its public half. */
    record Signer(PrivateKey privateKey, PublicKeyInfo key) {

        String sign(String text) {
            try {
                Signature signature = Signature.getInstance(ALGORITHM);
                signature.initSign(privateKey);
                signature.update(text.getBytes(StandardCharsets.UTF_8));
                return Base64.getEncoder().encodeToString(signature.sign());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Ed25519 signing failed", e);
            }
        }
    }

    /** A public key that checkpoints verify with, by its key id. */
    public record PublicKeyInfo(String keyId, PublicKey publicKey) {

        /** PEM of the SubjectPublicKeyInfo, as {@code openssl pkey -pubout} writes it. */
        public String pem() {
            return "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder(64, new byte[] { '\n' }).encodeToString(publicKey.getEncoded())
                    + "\n-----END PUBLIC KEY-----\n";
        }

        /** RFC 8037 JWK. */
        public Map<String, String> jwk() {
            byte[] spki = publicKey.getEncoded();
            Map<String, String> jwk = new LinkedHashMap<>();
            jwk.put("kty", "OKP");
            jwk.put("crv", ALGORITHM);
            jwk.put("x", Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(Arrays.copyOfRange(spki, SPKI_HEADER, spki.length)));
            jwk.put("kid", keyId);
            jwk.put("use", "sig");
            jwk.put("alg", "EdDSA");
            return jwk;
        }

        boolean verifies(String text, String signatureBase64) {
            try {
                Signature signature = Signature.getInstance(ALGORITHM);
                signature.initVerify(publicKey);
                signature.update(text.getBytes(StandardCharsets.UTF_8));
                return signature.verify(Base64.getDecoder().decode(signatureBase64));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                return false;
            }
        }
    }

    /** Whether checkpoints are signed (a signing key is configured). */
    public boolean signing() {
        return signer != null;
    }

    /** The signing key's public half, if checkpoints are signed. */
    public Optional<PublicKeyInfo> current() {
        return Optional.ofNullable(signer).map(Signer::key);
    }

    /** A trusted public key by its id: the signing key's or a former one's. */
    public Optional<PublicKeyInfo> find(String keyId) {
        return Optional.ofNullable(trusted.get(keyId));
    }

    /** Every trusted key, the signing key first. */
    public Iterable<PublicKeyInfo> trusted() {
        return trusted.values();
    }

    Optional<Signer> signer() {
        return Optional.ofNullable(signer);
    }

    /** First 16 hex digits of sha256 over the SubjectPublicKeyInfo DER: {@code openssl pkey -pubin -outform DER | sha256sum}. */
    static String keyId(PublicKey key) {
        return Sha256.hex(key.getEncoded()).substring(0, 16);
    }

    private static Signer loadSigner(Path file) {
        try {
            byte[] der = pem(Files.readString(file, StandardCharsets.US_ASCII), "PRIVATE KEY", file);
            PrivateKey privateKey = KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
            PublicKey publicKey = publicHalf(privateKey);
            Signer signer = new Signer(privateKey, new PublicKeyInfo(keyId(publicKey), publicKey));
            if (!signer.key().verifies("probe", signer.sign("probe"))) {
                throw new IllegalStateException("The checkpoint signing key in " + file + " does not verify its own signature");
            }
            LOG.infof("Checkpoints are signed with Ed25519 key %s", signer.key().keyId());
            SecretFiles.warnIfExposed("PROXY_AUDIT_SIGNING_KEY_FILE", file, true);
            return signer;
        } catch (IOException e) {
            // The whole reason in one message, without a cause: a refused start shows its root cause first,
            // and "NoSuchFileException: /run/…" alone named no setting.
            throw new IllegalStateException("Cannot read the checkpoint signing key PROXY_AUDIT_SIGNING_KEY_FILE=" + file
                    + ": " + SecretFiles.whyUnreadable(e));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("PROXY_AUDIT_SIGNING_KEY_FILE=" + file
                    + " is not an Ed25519 private key in PKCS#8 PEM (openssl genpkey -algorithm ed25519): "
                    + e.getMessage());
        }
    }

    /**
     * The JDK derives an Ed25519 public key only while generating a pair: the generator is handed
     * the private key's 32 bytes as its "random" seed, which is exactly what RFC 8032 generation does.
     */
    private static PublicKey publicHalf(PrivateKey privateKey) throws GeneralSecurityException {
        byte[] seed = ((EdECPrivateKey) privateKey).getBytes()
                .orElseThrow(() -> new GeneralSecurityException("the private key's bytes are not available"));
        KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
        generator.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                System.arraycopy(seed, 0, bytes, 0, Math.min(seed.length, bytes.length));
            }
        });
        KeyPair pair = generator.generateKeyPair();
        return pair.getPublic();
    }

    private static void loadPublicKeys(Path directory, Map<String, PublicKeyInfo> keys) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.pem")) {
            for (Path file : files) {
                PublicKey key = publicKey(file);
                keys.putIfAbsent(keyId(key), new PublicKeyInfo(keyId(key), key));
                LOG.infof("Checkpoints signed with key %s (%s) verify", keyId(key), file.getFileName());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read PROXY_AUDIT_VERIFY_KEYS_DIR=" + directory, e);
        } catch (DirectoryIteratorException e) {
            throw new UncheckedIOException("Cannot read PROXY_AUDIT_VERIFY_KEYS_DIR=" + directory, e.getCause());
        }
    }

    private static PublicKey publicKey(Path file) {
        try {
            byte[] der = pem(Files.readString(file, StandardCharsets.US_ASCII), "PUBLIC KEY", file);
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the checkpoint verification key " + file, e);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException(file + " is not an Ed25519 public key in PEM (openssl pkey -pubout)", e);
        }
    }

    private static byte[] pem(String text, String type, Path file) {
        Matcher matcher = PEM.matcher(text);
        while (matcher.find()) {
            if (matcher.group(1).equals(type)) {
                return Base64.getMimeDecoder().decode(matcher.group(2));
            }
        }
        throw new IllegalArgumentException(file + " holds no PEM block " + type);
    }
}
