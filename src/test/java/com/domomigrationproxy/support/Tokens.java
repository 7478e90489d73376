package com.domomigrationproxy.support;

import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Set;

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

    public static PrivateKey privateKey() {
        try {
            String pem = Files.readString(TestCredentials.PRIVATE_KEY)
                    .replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        } catch (Exception e) {
            throw new IllegalStateException("Test JWT key not readable", e);
        }
    }
}
