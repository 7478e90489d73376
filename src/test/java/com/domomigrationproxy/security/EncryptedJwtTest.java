package com.domomigrationproxy.security;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.TestCredentials;
import com.domomigrationproxy.support.Tokens;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Tokens signed and then encrypted (MP_JWT_DECRYPT_KEY_LOCATION set, with a verification key): the
 * scopes claim is read as SmallRye decrypted it, not from a payload the service could read itself,
 * and as in a signed token only a JSON object is a grant; a string, a number or a boolean is
 * refused (401), never read as no claim (unrestricted).
 */
@QuarkusTest
@TestProfile(EncryptedJwtTest.Decrypting.class)
class EncryptedJwtTest {

    public static class Decrypting implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mp.jwt.decrypt.key.location", TestCredentials.PRIVATE_KEY.toString());
        }
    }

    @InjectDomo
    WireMockServer domo;

    @Test
    void aScopesClaimThatIsNoObjectIsRefusedInAnEncryptedTokenToo() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(okJson("[\"mysql-federated\"]")));
        String unrestricted = Tokens.encrypted(Tokens.claims("encrypted-reader", "reader"));
        assertThat(unrestricted.split("\\.", -1)).hasSize(5);
        bearer(unrestricted).get("/api/v1/integration-types").then().statusCode(200);

        for (Object notAGrant : new Object[] { "{\"accounts\":[]}", 42, true }) {
            bearer(Tokens.encrypted(Tokens.claims("encrypted-no-grant", "reader").claim("domo_scopes", notAGrant)))
                    .get("/api/v1/integration-types").then().statusCode(401)
                    .body("type", equalTo("urn:problem-type:domo-migration-proxy:unauthenticated"));
        }
        // A claim whose value is null, as a provider may send it: no grant, not "no claim".
        long now = System.currentTimeMillis() / 1000;
        String claims = "{\"iss\":\"" + TestCredentials.ISSUER + "\",\"upn\":\"encrypted-null\",\"groups\":[\"reader\"],"
                + "\"iat\":" + now + ",\"exp\":" + (now + 300);
        bearer(Tokens.encryptedSigned(claims + "}")).get("/api/v1/integration-types").then().statusCode(200);
        String withNull = Tokens.encryptedSigned(claims + ",\"domo_scopes\":null}");
        assertThat(withNull.split("\\.", -1)).hasSize(5);
        bearer(withNull).get("/api/v1/integration-types").then().statusCode(401)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:unauthenticated"));
        // A list whose value is null inside the grant, as SmallRye's claims hand it over: no grant
        // either, never "any account" (a review took it to be dropped), and Domo is not asked.
        bearer(Tokens.encryptedSigned(claims + ",\"domo_scopes\":{\"accounts\":null,\"datasources\":[\"sales-1\"]}}"))
                .get("/api/v1/accounts/other-9/candidates").then().statusCode(401)
                .body("type", equalTo("urn:problem-type:domo-migration-proxy:unauthenticated"));
        domo.verify(0, getRequestedFor(urlPathMatching(".*/other-9(/.*)?")));
        // An object is a grant: the account outside it is refused before Domo is asked.
        bearer(Tokens.encrypted(Tokens.claims("encrypted-scoped", "reader").claim("domo_scopes",
                Map.of("accounts", List.of("sales-1"))))).get("/api/v1/accounts/other-9/candidates").then()
                .statusCode(403);
    }

    private static io.restassured.specification.RequestSpecification bearer(String token) {
        return given().header("Authorization", "Bearer " + token);
    }
}
