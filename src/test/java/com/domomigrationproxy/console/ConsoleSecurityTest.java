package com.domomigrationproxy.console;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import java.net.URI;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.ConsoleSessions;
import com.domomigrationproxy.support.ConsoleSessions.Session;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.FuzzEstate;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * Signing in to the console through the OpenID Connect code flow (Dev Services' provider), and what
 * it must not change: the API authenticates exactly as before and never takes the console's
 * session. Cookies, CSRF, roles and security headers of the console.
 */
@QuarkusTest
class ConsoleSecurityTest {

    @TestHTTPResource("/")
    java.net.URL root;

    @jakarta.inject.Inject
    io.vertx.core.Vertx vertx;

    @InjectDomo
    WireMockServer domo;

    @jakarta.inject.Inject
    com.domomigrationproxy.ledger.OperationStore store;

    @ConfigProperty(name = "quarkus.oidc.auth-server-url")
    String provider;

    @BeforeEach
    void domo() {
        domo.resetAll();
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("[\"mysql-federated\"]")));
    }

    @Test
    void aPersonNotSignedInIsSentToTheProviderAndBackToThePageAskedFor() {
        Response challenge = given().redirects().follow(false).get("/console/history?state=COMPLETE");
        assertThat(challenge.statusCode()).isEqualTo(302);
        URI location = URI.create(challenge.header("Location"));
        assertThat(location.toString()).startsWith(provider + "/authorize?");
        assertThat(location.getQuery()).contains("response_type=code", "code_challenge_method=S256",
                "redirect_uri=http://localhost:" + location.getQuery().replaceAll(".*redirect_uri=http://localhost:(\\d+).*",
                        "$1") + "/console/sign-in");
        String remembered = challenge.cookie("console-next");
        assertThat(ConsoleSessions.setCookie(challenge, "console-next")).singleElement().asString()
                .containsIgnoringCase("Path=/console").containsIgnoringCase("HttpOnly")
                .containsIgnoringCase("SameSite=Lax");
        // The sign-in page sends a person on to that page with a navigation of its own.
        Session session = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        session.request().cookie("console-next", remembered).get("/console/sign-in").then()
                .statusCode(200).body(containsString("url=/console/history?state=COMPLETE"));
        // Only console paths: an address elsewhere is never where sign-in leads.
        String elsewhere = java.util.Base64.getUrlEncoder().encodeToString("https://evil.example/".getBytes());
        session.request().cookie("console-next", elsewhere).get("/console/sign-in").then()
                .statusCode(200).body(containsString("url=/console/\"")).body(not(containsString("evil")));
        // Nor a download that a planted cookie names (an audited export at the next sign-in), nor sign-in itself
        // (which would send the person on to itself for ever).
        for (String planted : new String[] { "/console/history/export.csv", "/console/history/export.csv/",
                "/console/sign-in", "/console/sign-out" }) {
            String cookie = java.util.Base64.getUrlEncoder().encodeToString(planted.getBytes());
            session.request().cookie("console-next", cookie).get("/console/sign-in").then().statusCode(200)
                    .body(containsString("url=/console/\"")).body(not(containsString("url=" + planted)));
        }
    }

    /**
     * Another site's page (a sibling subdomain's, on which the SameSite session cookie still comes)
     * may link to a console page, but not fetch one, nor start a download or a stream in the
     * person's name; a browser that sends no Sec-Fetch-Site, and the console's own pages, may.
     */
    @Test
    void anotherSiteMayLinkToAPageButNotFetchOneOrStartADownload() {
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        for (String site : new String[] { "same-site", "cross-site" }) {
            auditor.request().header("Sec-Fetch-Site", site).header("Sec-Fetch-Mode", "navigate")
                    .header("Sec-Fetch-Dest", "document").get("/console/history").then().statusCode(200);
            auditor.request().header("Sec-Fetch-Site", site).header("Sec-Fetch-Mode", "no-cors").get("/console/history")
                    .then().statusCode(403).body(containsString("Open it from the console"));
            // A page loaded into another site's (hidden) frame is a navigation too: refused before the
            // audited read is done and recorded in the person's name.
            auditor.request().header("Sec-Fetch-Site", site).header("Sec-Fetch-Mode", "navigate")
                    .header("Sec-Fetch-Dest", "iframe").get("/console/history?requestedBy=someone-else").then()
                    .statusCode(403).body(containsString("Open it from the console"));
            // With a trailing slash too, which the router serves as the same download.
            for (String download : new String[] { "/console/history/export.csv", "/console/history/export.csv/",
                    "/console/evidence/audit-events.ndjson", "/console/evidence/audit-events.ndjson/",
                    "/console/plans/" + java.util.UUID.randomUUID() + "/events",
                    "/console/plans/" + java.util.UUID.randomUUID() + "/events/" }) {
                auditor.request().header("Sec-Fetch-Site", site).header("Sec-Fetch-Mode", "navigate")
                        .header("Sec-Fetch-Dest", "document").get(download).then().statusCode(403);
                auditor.request().header("Sec-Fetch-Site", site).header("Sec-Fetch-Mode", "no-cors").head(download)
                        .then().statusCode(403);
            }
        }
        // A link from another site, on which the browser withholds the SameSite=Strict CSRF cookie: refused
        // without a new token, which would have broken the forms of the person's open tabs.
        Response withheld = given().redirects().follow(false).cookie("q_session", auditor.cookies().get("q_session"))
                .header("Sec-Fetch-Site", "cross-site").header("Sec-Fetch-Mode", "navigate")
                .get("/console/history/export.csv");
        assertThat(withheld.statusCode()).isEqualTo(403);
        assertThat(ConsoleSessions.setCookie(withheld, "console-csrf")).isEmpty();
        auditor.request().header("Sec-Fetch-Site", "same-origin").header("Sec-Fetch-Mode", "navigate")
                .get("/console/history/export.csv?requestedBy=nobody-at-all").then().statusCode(200);
        auditor.request().get("/console/history/export.csv?requestedBy=nobody-at-all").then().statusCode(200);
    }

    /**
     * A plan page's event stream ends after PROXY_CONSOLE_EVENT_STREAM_MAX (4 s in tests) though the
     * plan waits on, and the browser opens it again with its session as it then is: a stream no
     * longer outlives a sign-out in another tab, an expired session or a role taken away.
     */
    @Test
    void aPlansEventStreamEndsForTheBrowserToOpenItAgainSignedIn() throws Exception {
        DomoWireMock.answersEverything(domo, "stream-cap");
        String planId = FuzzEstate.create("stream cap").planId();
        Session reader = ConsoleSessions.signIn(ConsoleSessions.READER);
        String cookies = reader.cookies().entrySet().stream().map(cookie -> cookie.getKey() + "=" + cookie.getValue())
                .collect(java.util.stream.Collectors.joining("; "));
        long started = System.nanoTime();
        // Read as it comes (RestAssured would wait for the whole body), and given up once it ran too long:
        // a stream that never ends sends a comment every 15 s.
        java.net.http.HttpResponse<java.io.InputStream> stream = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(root.toURI().resolve("console/plans/" + planId + "/events"))
                        .header("Cookie", cookies).build(),
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        try (java.io.InputStream body = stream.body()) {
            byte[] buffer = new byte[8192];
            while (body.read(buffer) != -1) {
                assertThat(System.nanoTime() - started).as("the stream ended").isLessThan(25_000_000_000L);
            }
        }
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isBetween(java.time.Duration.ofSeconds(3),
                java.time.Duration.ofSeconds(25));
        Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(200).body("state", equalTo("AWAITING_APPROVAL"));
    }

    /**
     * A link from another site (an e-mail's, or the provider's redirect after a sign-in) comes without
     * the SameSite=Strict CSRF cookie: its page gives the browser no new token, which would break the
     * forms of the person's open tabs. The same person signing in again keeps the token; another
     * person at that browser gets a new one, and the first one's tabs are refused.
     */
    @Test
    void aLinkFromAnotherSiteLeavesTheFormsOfOpenTabsWorking() {
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        for (String page : new String[] { "/console/", "/console/signed-out", "/console/sign-in", "/console/no-such-page" }) {
            Response linked = given().redirects().follow(false).cookie("q_session", operator.cookies().get("q_session"))
                    .header("Sec-Fetch-Site", "cross-site").header("Sec-Fetch-Mode", "navigate")
                    .header("Sec-Fetch-Dest", "document").get(page);
            assertThat(linked.statusCode()).as(page).isIn(200, 404);
            assertThat(ConsoleSessions.setCookie(linked, "console-csrf")).as(page).isEmpty();
        }
        Response again = operator.request().get("/console/sign-in");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(ConsoleSessions.setCookie(again, "console-csrf")).isEmpty();
        String unknownPlan = "/console/plans/" + java.util.UUID.randomUUID() + "/pause";
        operator.request().contentType("application/x-www-form-urlencoded").formParam("csrf-token", operator.csrfToken())
                .post(unknownPlan).then().statusCode(404);

        // A token of the release before (no tag) is accepted from a form of a page an old pod served, and the
        // next page replaces it: it names nobody, so it could pass to the next person at the browser.
        String untagged = "u".repeat(43);
        given().redirects().follow(false).cookie("q_session", operator.cookies().get("q_session"))
                .cookie("console-csrf", untagged).contentType("application/x-www-form-urlencoded")
                .formParam("csrf-token", untagged).post(unknownPlan).then().statusCode(404);
        Response replaced = given().redirects().follow(false).cookie("q_session", operator.cookies().get("q_session"))
                .cookie("console-csrf", untagged).get("/console/");
        assertThat(replaced.statusCode()).isEqualTo(200);
        assertThat(replaced.cookie("console-csrf")).isNotNull().isNotEqualTo(untagged).hasSize(60);

        Session reader = ConsoleSessions.signIn(ConsoleSessions.READER);
        Response home = given().redirects().follow(false).cookie("q_session", reader.cookies().get("q_session"))
                .cookie("console-csrf", operator.csrfToken()).get("/console/");
        assertThat(home.statusCode()).isEqualTo(200);
        String renewed = home.cookie("console-csrf");
        assertThat(renewed).isNotNull().isNotEqualTo(operator.csrfToken());
        given().redirects().follow(false).cookie("q_session", operator.cookies().get("q_session"))
                .cookie("console-csrf", renewed).contentType("application/x-www-form-urlencoded")
                .formParam("csrf-token", operator.csrfToken()).post(unknownPlan).then().statusCode(403);
    }

    /**
     * A form sent after its session ended is not acted on, and the person is not left to wonder: sign-in
     * leads back to the page the form was on, which says that nothing was done (once, and only to the person
     * the form was made for).
     */
    @Test
    void aFormSentAfterItsSessionEndedIsNotDoneAndThePageItWasOnSaysSo() {
        String planId = java.util.UUID.randomUUID().toString();
        // The token of a page the operator had open; the session it belonged to has ended.
        String token = ConsoleSessions.signIn(ConsoleSessions.OPERATOR).csrfToken();
        String madeFor = token.substring(token.indexOf('.') + 1);
        // Another site's form (without the token cookie, which the browser withholds) leaves no notice, and
        // does not choose where sign-in leads.
        Response forged = given().redirects().follow(false).header("Sec-Fetch-Site", "cross-site")
                .contentType("application/x-www-form-urlencoded").formParam("csrf-token", token)
                .post("/console/plans/" + planId + "/start");
        assertThat(forged.statusCode()).isEqualTo(302);
        assertThat(forged.cookie("console-unsent")).isNull();
        assertThat(forged.cookie("console-next")).isNull();
        // Nor a sibling subdomain's form, on which the token cookie does come (same-site).
        Response sibling = given().redirects().follow(false).header("Sec-Fetch-Site", "same-site")
                .cookie("console-csrf", token).contentType("application/x-www-form-urlencoded")
                .formParam("csrf-token", token).post("/console/plans/" + planId + "/start");
        assertThat(sibling.statusCode()).isEqualTo(302);
        assertThat(sibling.cookie("console-unsent")).isNull();
        assertThat(sibling.cookie("console-next")).isNull();

        Response challenge = given().redirects().follow(false).cookie("console-csrf", token)
                .contentType("application/x-www-form-urlencoded").formParam("csrf-token", token)
                .post("/console/plans/" + planId + "/pause");
        assertThat(challenge.statusCode()).isEqualTo(302);
        assertThat(challenge.header("Location")).startsWith(provider + "/authorize?");
        String remembered = challenge.cookie("console-next");
        assertThat(new String(java.util.Base64.getUrlDecoder().decode(remembered), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("/console/plans/" + planId);
        assertThat(ConsoleSessions.setCookie(challenge, "console-unsent")).singleElement().asString()
                .startsWith("console-unsent=" + madeFor + ";").containsIgnoringCase("HttpOnly")
                .containsIgnoringCase("SameSite=Strict");

        Session session = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        // The page between the provider and the form's page leaves the notice to that page.
        session.request().cookie("console-next", remembered).cookie("console-unsent", madeFor).get("/console/sign-in")
                .then().statusCode(200).body(containsString("url=/console/plans/" + planId))
                .body(not(containsString("was not sent")));
        Response page = session.request().cookie("console-unsent", madeFor).get("/console/plans");
        page.then().statusCode(200).body(containsString("Your last form was not sent"));
        assertThat(ConsoleSessions.setCookie(page, "console-unsent")).singleElement().asString()
                .containsIgnoringCase("Max-Age=0");
        session.request().get("/console/plans").then().statusCode(200).body(not(containsString("was not sent")));
        // Someone else signing in next at that browser is not told about the operator's form; the notice ends.
        Response other = ConsoleSessions.signIn(ConsoleSessions.READER).request().cookie("console-unsent", madeFor)
                .get("/console/plans");
        other.then().statusCode(200).body(not(containsString("was not sent")));
        assertThat(ConsoleSessions.setCookie(other, "console-unsent")).singleElement().asString()
                .containsIgnoringCase("Max-Age=0");
        // A token of the release before names nobody: its form leads back to its page without a notice.
        String untagged = "t".repeat(43);
        Response old = given().redirects().follow(false).cookie("console-csrf", untagged)
                .contentType("application/x-www-form-urlencoded").formParam("csrf-token", untagged)
                .post("/console/plans/" + planId + "/pause");
        assertThat(old.statusCode()).isEqualTo(302);
        assertThat(old.cookie("console-unsent")).isNull();
        assertThat(old.cookie("console-next")).isNotNull();

        // A form htmx sends goes back to its page too; so do a new plan's upload and a review's resolution.
        Response htmx = given().redirects().follow(false).header("HX-Request", "true").cookie("console-csrf", token)
                .contentType("application/x-www-form-urlencoded").formParam("csrf-token", token)
                .post("/console/evidence/integrity");
        assertThat(htmx.statusCode()).isEqualTo(401);
        assertThat(htmx.header("HX-Redirect")).isEqualTo("/console/evidence");
        assertThat(htmx.cookie("console-unsent")).isEqualTo(madeFor);
        assertThat(ConsoleLinks.formPage("/console/plans")).isEqualTo("/console/plans/new");
        assertThat(ConsoleLinks.formPage("/console/plans/" + planId + "/items/" + planId + "/retry"))
                .isEqualTo("/console/plans/" + planId);
        assertThat(ConsoleLinks.formPage("/console/reviews/" + planId)).isEqualTo("/console/reviews");
        assertThat(ConsoleLinks.formPage("/console/domo/accounts/7/plan")).isEqualTo("/console/domo");
        assertThat(ConsoleLinks.formPage("/console/plans/not-a-plan/start")).isEqualTo("/console/");
        assertThat(ConsoleLinks.formPage("/console/evidence/../../api")).isEqualTo("/console/");
    }

    /** A plan page's event stream reconnecting, or a download, is not where sign-in leads afterwards. */
    @Test
    void onlyAPageIsRememberedForAfterSignIn() {
        for (String notAPage : new String[] { "/console/plans/" + java.util.UUID.randomUUID() + "/events?after=3",
                "/console/plans/" + java.util.UUID.randomUUID() + "/report.csv", "/console/history/export.csv?state=COMPLETE",
                "/console/evidence/checkpoints.zip" }) {
            Response challenge = given().redirects().follow(false).get(notAPage);
            assertThat(challenge.statusCode()).as(notAPage).isEqualTo(302);
            assertThat(challenge.cookie("console-next")).as(notAPage).isNull();
        }
        assertThat(given().redirects().follow(false).get("/console/plans/" + java.util.UUID.randomUUID())
                .cookie("console-next")).isNotNull();
    }

    @Test
    void theSessionCookieIsHttpOnlyStrictAndOnlyForTheConsole() {
        Response challenge = given().redirects().follow(false).get("/console/");
        String authorize = challenge.header("Location");
        assertThat(authorize).startsWith(provider);
        Session session = ConsoleSessions.signIn(ConsoleSessions.READER);
        assertThat(session.cookies()).containsKey("q_session");
        Response page = given().redirects().follow(false).cookies(session.cookies()).cookie("console-next", "")
                .get("/console/");
        assertThat(page.statusCode()).isEqualTo(200);
        // The session cookie as the code flow sets it.
        Response signIn = signInResponse(ConsoleSessions.READER);
        assertThat(ConsoleSessions.setCookie(signIn, "q_session")).singleElement().asString()
                .contains("SameSite=Strict", "Path=/console", "Max-Age=").containsIgnoringCase("HttpOnly")
                .doesNotContainIgnoringCase("Secure");
        assertThat(ConsoleSessions.setCookie(page, "console-csrf")).isEmpty();
    }

    @Test
    void theApiNeverTakesTheConsoleSession() {
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        Session reader = ConsoleSessions.signIn(ConsoleSessions.READER);
        given().cookies(auditor.cookies()).get("/api/v1/audit/integrity").then().statusCode(401)
                .contentType("application/problem+json");
        given().cookies(reader.cookies()).get("/api/v1/integration-types").then().statusCode(401);
        // The API's own credentials work as before, also next to a console cookie.
        Api.asAuditor().cookies(auditor.cookies()).get("/api/v1/audit/integrity").then().statusCode(200);
        given().auth().oauth2(Tokens.jwt("jwt-reader", "reader")).get("/api/v1/integration-types").then()
                .statusCode(200);
        domo.verify(1, anyRequestedFor(anyUrl()));
    }

    @Test
    void theConsoleNeverTakesTheApisCredentials() {
        Api.asAuditor().redirects().follow(false).get("/console/history").then().statusCode(302);
        given().redirects().follow(false).auth().oauth2(Tokens.jwt("jwt-auditor", "auditor"))
                .get("/console/history").then().statusCode(302);
    }

    @Test
    void pagesAndActionsNeedTheirRoles() {
        Session reader = ConsoleSessions.signIn(ConsoleSessions.READER);
        reader.request().get("/console/history").then().statusCode(403).contentType(containsString("text/html"))
                .body(containsString("Not for your role"));
        reader.request().get("/console/evidence").then().statusCode(403);
        reader.request().get("/console/reviews").then().statusCode(403);
        reader.request().formParam("csrf-token", reader.csrfToken()).post("/console/evidence/integrity").then()
                .statusCode(403);
        String home = reader.request().get("/console/").then().statusCode(200).extract().asString();
        assertThat(home).contains("href=\"/console/domo\"").doesNotContain("/console/history", "/console/evidence",
                "/console/reviews");
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        auditor.request().get("/console/domo").then().statusCode(403);
        auditor.request().formParam("csrf-token", auditor.csrfToken()).formParam("state", "COMPLETE")
                .formParam("note", "guess").post("/console/reviews/" + java.util.UUID.randomUUID()).then()
                .statusCode(403);
        auditor.request().get("/console/evidence").then().statusCode(200);
    }

    @Test
    void aFormPostWithoutItsTokenIsRefused() {
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        auditor.request().post("/console/evidence/integrity").then().statusCode(403)
                .body(containsString("Form not accepted"));
        auditor.request().formParam("csrf-token", "x".repeat(43)).post("/console/evidence/integrity").then()
                .statusCode(403);
        Map<String, String> withoutCookie = new java.util.HashMap<>(auditor.cookies());
        withoutCookie.remove("console-csrf");
        given().redirects().follow(false).cookies(withoutCookie).formParam("csrf-token", auditor.csrfToken())
                .post("/console/evidence/integrity").then().statusCode(403);
        auditor.request().header("Sec-Fetch-Site", "cross-site").formParam("csrf-token", auditor.csrfToken())
                .post("/console/evidence/integrity").then().statusCode(403);
        auditor.request().header("Sec-Fetch-Site", "same-origin").formParam("csrf-token", auditor.csrfToken())
                .post("/console/evidence/integrity").then().statusCode(200)
                .body(containsString("integrity"));
    }

    @Test
    void everyConsoleResponseCarriesTheSecurityHeaders() {
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        for (Response response : new Response[] { auditor.request().get("/console/evidence"),
                given().redirects().follow(false).get("/console/"), given().get("/console/assets/console.css") }) {
            String policy = response.header("Content-Security-Policy");
            assertThat(policy).contains("default-src 'none'", "script-src 'self'", "style-src 'self'",
                    "frame-ancestors 'none'", "form-action 'self' " + provider.replaceAll("^(https?://[^/]+).*", "$1"))
                    .doesNotContain("unsafe-inline", "unsafe-eval");
            assertThat(response.header("X-Frame-Options")).isEqualTo("DENY");
            assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(response.header("Referrer-Policy")).isEqualTo("no-referrer");
            // Plain-HTTP localhost (no Secure cookies in tests): no pin to HTTPS (ConsolePackagedIT has it).
            assertThat(response.header("Strict-Transport-Security")).isNull();
        }
        assertThat(auditor.request().get("/console/evidence").header("Cache-Control")).isEqualTo("no-store");
        // An asset's address that serves none answers with a page naming who is signed in: never cached.
        Response missing = auditor.request().get("/console/assets/no-such-file.css");
        missing.then().statusCode(404).header("Cache-Control", "no-store");
        assertThat(given().get("/console/assets/console.css").header("Cache-Control")).isNotEqualTo("no-store");
        // Where the headers learn the provider's sign-in and sign-out addresses (ConsoleHeadersTest): known here.
        io.quarkus.oidc.runtime.TenantConfigContext tenant = io.quarkus.arc.Arc.container()
                .instance(io.quarkus.oidc.runtime.TenantConfigBean.class).get().getDefaultTenant();
        assertThat(tenant.ready()).isTrue();
        assertThat(tenant.getOidcMetadata().getAuthorizationUri()).startsWith(provider.replaceAll("^(https?://[^/]+).*", "$1"));
        // No inline script or style in any page: the policy would block it.
        String page = auditor.request().get("/console/evidence").asString();
        assertThat(page).doesNotContainPattern("<script(?![^>]*\\ssrc=)").doesNotContain("<style", "style=\"",
                " onclick=");
        // The API's answers do not change.
        assertThat(Api.asAuditor().get("/api/v1/audit/integrity").header("Content-Security-Policy")).isNull();
    }

    @Test
    void theConsolesReadsOfTheTrailAreOnTheRecordAsTheApis() throws Exception {
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        String datasource = Api.uniqueDatasourceId();
        String page = auditor.request().queryParam("datasourceId", datasource).get("/console/history")
                .then().statusCode(200).extract().header("X-Request-Id");
        String export = auditor.request().queryParam("datasourceId", datasource)
                .get("/console/history/export.csv").then().statusCode(200).extract().header("X-Request-Id");
        List<JsonNode> events = new java.util.ArrayList<>();
        for (String payload : Api.asAuditor().queryParam("type", "AUDIT_ACCESS")
                .queryParam("subject", ConsoleSessions.AUDITOR).queryParam("limit", "500").get("/api/v1/audit/events")
                .then().statusCode(200).extract().jsonPath().<String>getList("items.payload")) {
            events.add(new ObjectMapper().readTree(payload));
        }
        JsonNode read = events.stream().filter(event -> page.equals(event.path("requestId").asText())).findFirst()
                .orElseThrow();
        assertThat(read.path("authMethod").asText()).isEqualTo("oidc");
        assertThat(read.path("path").asText()).isEqualTo("/console/history");
        assertThat(read.path("query").path("datasourceId").asText()).isEqualTo(datasource);
        assertThat(read.path("status").asInt()).isEqualTo(200);
        assertThat(read.path("phase").asText()).isEqualTo("answered");
        assertThat(read.path("rows").asInt()).isZero();
        assertThat(events.stream().filter(event -> export.equals(event.path("requestId").asText()))
                .map(event -> event.path("phase").asText())).containsExactly("export-started", "export-finished");
        Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).body("valid", equalTo(true));
    }

    /** Failures before a console resource takes the request, and forms that do not decode: HTML pages, never 500. */
    @Test
    void failuresOutsideTheResourcesAreConsolePagesToo() throws Exception {
        given().redirects().follow(false).put("/console/plans").then().statusCode(405)
                .header("Allow", "GET, HEAD, POST").contentType(containsString("text/html"))
                .body(containsString("<html"));
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        operator.request().contentType("application/json").body("{}")
                .post("/console/plans/" + java.util.UUID.randomUUID() + "/start").then().statusCode(415)
                .contentType(containsString("text/html"));
        String cookies = String.join("; ", operator.cookies().entrySet().stream()
                .map(cookie -> cookie.getKey() + "=" + cookie.getValue()).toList());
        String form = "csrf-token=" + operator.csrfToken() + "&state=COMPLETE&note=";
        for (String[] sent : new String[][] { { "application/x-www-form-urlencoded", form + "%zz" },
                { "application/x-www-form-urlencoded; charset=bogus", form + "checked" } }) {
            java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(URI.create(root + "console/reviews/"
                            + java.util.UUID.randomUUID())).header("Cookie", cookies).header("Content-Type", sent[0])
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(sent[1])).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(sent[0] + " " + sent[1]).isBetween(400, 499);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                    .startsWith("text/html"));
        }
    }

    /**
     * Resolving an operation no longer in the queue (resolved by someone else, or a double submit):
     * the 409 says so above the list, since the operation has no row to show it beside.
     */
    @Test
    void aResolutionOfAnOperationNoLongerInTheQueueSaysWhy() {
        com.domomigrationproxy.support.DomoWireMock.completesEverything(domo, "T1");
        String operationId = given().header("X-API-Key", com.domomigrationproxy.support.TestCredentials.OPERATOR_KEY)
                .contentType("application/json").body("{\"accountId\":\"1\",\"catalog\":\"c\",\"schema\":\"s\","
                        + "\"table\":\"t\"}").post("/api/v1/datasources/" + Api.uniqueDatasourceId() + "/migrations")
                .then().statusCode(200).extract().path("operationId");
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        String page = operator.request().formParam("csrf-token", operator.csrfToken()).formParam("state", "COMPLETE")
                .formParam("note", "checked in Domo").post("/console/reviews/" + operationId).then().statusCode(409)
                .extract().asString();
        assertThat(page).contains("role=\"alert\">Not recorded for operation <code>" + operationId + "</code>: ");
        // The operation's page shows the grant it ran under, as the API's Operation does.
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        assertThat(auditor.request().get("/console/operations/" + operationId).then().statusCode(200).extract()
                .asString()).contains("<dt>Grant (scopes)</dt><dd><code>{}</code> <span class=\"muted\">(unrestricted)</span>");
    }

    /**
     * Signing out after the session here ended (its ID token expired, or another tab signed out)
     * must not ask for a new one, which the provider would grant at once; but the provider's own
     * session may live on and sign the next person at this browser in as this one, so it is ended
     * there too, without an ID token to hint with (it used to go straight to /console/signed-out).
     */
    @Test
    void signingOutWithoutASessionEndsTheProvidersNotSigningIn() {
        String csrf = given().redirects().follow(false).get("/console/signed-out").then().statusCode(200).extract()
                .cookie("console-csrf");
        String location = given().redirects().follow(false).cookie("console-csrf", csrf).formParam("csrf-token", csrf)
                .post("/console/sign-out").then().statusCode(303).extract().header("Location");
        assertThat(location).startsWith(provider + "/logout?").contains("post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A",
                "%2Fconsole%2Fsigned-out", "client_id=").doesNotContain("id_token_hint");
    }

    /** A history filter the form has no field for (a cursor, needsReview) is named in words, not "marked above". */
    @Test
    void aHistoryErrorWithoutAFieldOfItsOwnIsSaidInWords() {
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        assertThat(auditor.request().get("/console/history?needsReview=maybe").then().statusCode(400).extract()
                .asString()).contains("<p><code>needsReview</code> must be true or false</p>")
                .doesNotContain("Correct the filters marked above");
        assertThat(auditor.request().get("/console/history?state=COMPLETE&cursor=not-a-cursor").then().statusCode(400)
                .extract().asString()).contains("<code>cursor</code>", "start again from the first page")
                .doesNotContain("Correct the filters marked above");
    }

    /** The principals page's filter follows the API's rule for a principal: 255 characters, none a control character. */
    @Test
    void thePrincipalsFilterIsAPrincipalsName() {
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        auditor.request().queryParam("principal", "\uD83D\uDE00".repeat(255)).get("/console/principals").then()
                .statusCode(200);
        for (String refused : new String[] { "\uD83D\uDE00".repeat(256), "line\nbreak" }) {
            assertThat(auditor.request().queryParam("principal", refused).get("/console/principals").then()
                    .statusCode(400).extract().asString()).contains("must be 1 to 255 characters without control characters");
        }
    }

    /** A refused resolution shows the review queue again: that is a read of the trail too, on the record. */
    @Test
    void theReviewQueueShownWithARefusedResolutionIsOnTheRecord() throws Exception {
        Session operator = ConsoleSessions.signIn(ConsoleSessions.OPERATOR);
        String refused = operator.request().formParam("csrf-token", operator.csrfToken()).formParam("state", "COMPLETE")
                .formParam("note", "").post("/console/reviews/" + java.util.UUID.randomUUID()).then().statusCode(400)
                .body(containsString("<h1>Reviews</h1>")).extract().header("X-Request-Id");
        JsonNode read = null;
        for (String payload : Api.asAuditor().queryParam("type", "AUDIT_ACCESS")
                .queryParam("subject", ConsoleSessions.OPERATOR).queryParam("limit", "500").get("/api/v1/audit/events")
                .then().statusCode(200).extract().jsonPath().<String>getList("items.payload")) {
            JsonNode event = new ObjectMapper().readTree(payload);
            if (refused.equals(event.path("requestId").asText())) {
                read = event;
            }
        }
        assertThat(read).as("the AUDIT_ACCESS event of the refused resolution").isNotNull();
        assertThat(read.path("status").asInt()).isEqualTo(400);
        assertThat(read.path("method").asText()).isEqualTo("POST");
        assertThat(read.path("rows").isInt()).isTrue();
    }

    /**
     * "Signed a checkpoint", "Your approval is recorded"…: shown once, after the redirect of the
     * browser's own action, never for a link that only names the notice (anyone can send one).
     */
    @Test
    void aNoticeShowsOnlyAfterTheBrowsersOwnAction() {
        String notice = "Signed a checkpoint of the chain as it is now.";
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        auditor.request().get("/console/evidence?signed=true").then().statusCode(200)
                .body(not(containsString(notice)));
        io.restassured.response.Response signed = auditor.request().formParam("csrf-token", auditor.csrfToken())
                .post("/console/evidence/checkpoints");
        signed.then().statusCode(303).header("Location", containsString("?signed=true"));
        io.restassured.http.Cookie left = signed.getDetailedCookie("console-notice");
        assertThat(left.isHttpOnly()).isTrue();
        assertThat(left.getSameSite()).isEqualToIgnoringCase("Strict");
        assertThat(left.getPath()).isEqualTo("/console");
        assertThat(left.getMaxAge()).isBetween(1L, 60L);
        io.restassured.response.Response shown = auditor.follow(signed);
        shown.then().statusCode(200).body(containsString(notice));
        assertThat(shown.getDetailedCookie("console-notice").getMaxAge()).as("cleared once shown").isZero();
        auditor.request().get("/console/evidence?signed=true").then().statusCode(200)
                .body(not(containsString(notice)));
        // Another browser's notice says nothing here, even for the same page.
        Session other = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        other.request().cookie("console-notice", "evidence.approved").get("/console/evidence?signed=true").then()
                .statusCode(200).body(not(containsString(notice)));
    }

    @Test
    void everyCheckpointDownloadsAsTheFilesOfTheCheckpointDirectory() throws Exception {
        Session auditor = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        auditor.request().formParam("csrf-token", auditor.csrfToken()).post("/console/evidence/checkpoints").then()
                .statusCode(303);
        byte[] zip = auditor.request().get("/console/evidence/checkpoints.zip").then().statusCode(200)
                .contentType("application/zip").header("Content-Disposition", containsString("checkpoints.zip"))
                .extract().asByteArray();
        List<String> names = new java.util.ArrayList<>();
        try (var entries = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
            for (var entry = entries.getNextEntry(); entry != null; entry = entries.getNextEntry()) {
                names.add(entry.getName());
                assertThat(new ObjectMapper().readTree(entries.readAllBytes()).path("signature").asText()).isNotBlank();
            }
        }
        assertThat(names).isNotEmpty()
                .allMatch(name -> name.matches("checkpoints/checkpoint-\\d{20}-\\d{13}-[0-9a-f]{16}\\.json"));

        // A copy of a stored checkpoint (the application role may insert one) is a file of its own, where the
        // zip refused its name and cut the download short.
        com.domomigrationproxy.support.PostgresAdmin.tamper("INSERT INTO audit_checkpoint (origin, seq, hash, issued_at,"
                + " key_id, text, signature) SELECT origin, seq, hash, issued_at, key_id, text, signature"
                + " FROM audit_checkpoint ORDER BY id DESC LIMIT 1");
        try {
            byte[] withCopy = auditor.request().get("/console/evidence/checkpoints.zip").then().statusCode(200)
                    .extract().asByteArray();
            List<String> copied = new java.util.ArrayList<>();
            try (var entries = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(withCopy))) {
                for (var entry = entries.getNextEntry(); entry != null; entry = entries.getNextEntry()) {
                    copied.add(entry.getName());
                }
            }
            assertThat(copied).hasSize(names.size() + 1)
                    .anyMatch(name -> name.matches("checkpoints/checkpoint-\\d{20}-\\d{13}-[0-9a-f]{16}-copy-2\\.json"));
        } finally {
            com.domomigrationproxy.support.PostgresAdmin.tamper(
                    "DELETE FROM audit_checkpoint WHERE id = (SELECT max(id) FROM audit_checkpoint)");
        }
        ConsoleSessions.signIn(ConsoleSessions.READER).request().get("/console/evidence/checkpoints.zip").then()
                .statusCode(403);
    }

    @Test
    void consolePagesAreNoPartOfTheOpenApiDocument() {
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body(not(containsString("/console")));
    }

    @Test
    void anUnknownConsolePageIsAPageNotAProblem() {
        Session reader = ConsoleSessions.signIn(ConsoleSessions.READER);
        reader.request().get("/console/no-such-page").then().statusCode(404).contentType(containsString("text/html"))
                .body(containsString("There is no such page"));
        given().redirects().follow(false).put("/console/no-such-page").then().statusCode(404)
                .header("Allow", nullValue()).body(containsString("There is no such page"));
    }

    /**
     * An auditor who also operates under scopes sees the whole queue, but a form only where the scopes
     * let it resolve; a resolution refused for them is said beside the operation (console review: the
     * form was offered for every one, and the 403 was a failure page that lost the note).
     */
    @Test
    void theReviewQueueOffersAFormOnlyWhereTheScopesLetThePersonResolve() {
        List<Operation> flagged = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Operation pending = store.recordIntent(OperationIntent.reversal(Api.uniqueDatasourceId(),
                    new Requester("batch-svc", "api-key", "req-" + java.util.UUID.randomUUID(), "10.0.0.7",
                            com.domomigrationproxy.security.Scopes.UNRESTRICTED)), none -> {
                    });
            store.recordOutcome(pending, Outcome.withoutResult(OperationState.UNKNOWN, null, "No answer in time", null,
                    3000));
            flagged.add(store.flagForReview(pending.operationId(), "Domo cannot tell").orElseThrow());
        }
        Operation inScope = flagged.get(0);
        Operation outside = flagged.get(1);
        Frame frame = new Frame("Reviews", Frame.Section.REVIEWS,
                new Viewer("lead-scoped", java.util.Set.of("operator", "auditor")), "t");
        String refusal = "Operation " + outside.operationId() + " is outside your accounts scope";
        String page = Pages.reviews(frame, new ReviewsView(flagged, false, false, ReviewsView.Submission.refused(
                outside.operationId(), "COMPLETE", "checked in Domo", new ProblemException(403,
                        com.domomigrationproxy.problem.ProblemType.OUT_OF_SCOPE, refusal)),
                java.util.Set.of(inScope.operationId()))).render();
        assertThat(page).contains("action=\"/console/reviews/" + inScope.operationId() + "\"")
                .doesNotContain("action=\"/console/reviews/" + outside.operationId() + "\"")
                .contains("Outside your scopes: another operator records how it ended.")
                .contains("Not recorded: " + refusal);
    }

    /**
     * Downloads are plain links (the answers carry Content-Disposition), so that a refused one shows
     * its failure page: with the download attribute the browser took the page for a failed file and
     * showed nothing. With no checkpoint signed yet, the page offers none to download (console review).
     */
    @Test
    void aDownloadThatFailsShowsItsPageAndNoAbsentCheckpointIsOffered() {
        Frame frame = new Frame("Evidence", Frame.Section.EVIDENCE, new Viewer("auditor-aude", java.util.Set.of("auditor")),
                "t");
        String page = Pages.evidence(frame, new EvidenceView(null, true, null, null, false, "1m", List.of())).render();
        assertThat(page).doesNotContain("\" download>")
                .doesNotContain("href=\"/console/evidence/" + EvidencePages.LATEST_FILE + "\"")
                .contains("none has been signed yet")
                .contains("<section aria-labelledby=\"checkpoint-heading\" id=\"checkpoint\">");
    }

    /** A failure page says the Retry-After its text points to in words: the person sees no header (console review). */
    @Test
    void aFailurePageSaysWhenToTryAgain() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "30")));
        Session reader = ConsoleSessions.signIn(ConsoleSessions.READER);
        reader.request().get("/console/domo").then().statusCode(503).header("Retry-After", "30")
                .body(containsString("Try again in 30 seconds."));
    }

    /** An empty Domo list says when the person's scopes, not Domo, left it empty. */
    @Test
    void anEmptyDomoListSaysWhenScopesHidTheRest() {
        Frame frame = new Frame("Domo", Frame.Section.DOMO, new Viewer("reader-rita", java.util.Set.of("reader")), "t");
        for (boolean scoped : new boolean[] { false, true }) {
            List<String> pages = List.of(Pages.domoTypes(frame, List.of(), scoped).render(),
                    Pages.domoAccounts(frame, "mysql", List.of(), scoped).render(),
                    Pages.domoCandidates(frame, "mysql", "7", new DomoPages.CandidatesView(List.of(),
                            DomoPages.Selection.none("7"), false), scoped).render());
            assertThat(pages).allSatisfy(page -> assertThat(page.contains("that your scopes let you see"))
                    .as(page).isEqualTo(scoped));
        }
    }

    /** 405 names what the address answers: a GET on a form's address is not a missing page. */
    @Test
    void aMethodTheAddressDoesNotTakeIsA405PageWithAllow() {
        Session reader = ConsoleSessions.signIn(ConsoleSessions.READER);
        String plan = "/console/plans/" + java.util.UUID.randomUUID();
        reader.request().get(plan + "/start").then().statusCode(405).header("Allow", "POST")
                .contentType(containsString("text/html")).body(containsString("takes a submitted form only"));
        reader.request().head("/console/evidence/integrity").then().statusCode(405).header("Allow", "POST");
        given().redirects().follow(false).delete(plan).then().statusCode(405).header("Allow", "GET, HEAD")
                .body(containsString("does not take a DELETE request"));
        given().redirects().follow(false).put("/console/sign-out").then().statusCode(405)
                .header("Allow", "GET, HEAD, POST");
    }

    /** Turned away before routing (web.RequestFilter), a console address still gets a console page. */
    @Test
    void anAddressThatIsNotCanonicalIsAPageWithTheConsolesHeaders() {
        for (String path : List.of("/console/plans/a%20b", "/console/history;x=1", "/console/a%2F..%2Fhistory")) {
            Response refused = given().urlEncodingEnabled(false).redirects().follow(false).get(path);
            assertThat(refused.statusCode()).as(path).isEqualTo(400);
            assertThat(refused.contentType()).as(path).startsWith("text/html");
            assertThat(refused.asString()).as(path).contains("<h1>Not valid</h1>", "The path must be canonical");
            assertThat(refused.header("Content-Security-Policy")).as(path).contains("default-src 'none'");
            assertThat(refused.header("Cache-Control")).as(path).isEqualTo("no-store");
        }
    }

    /** Bodies turned away before routing: a form too large (413) or one sent without a length (411). */
    @Test
    void aFormTheFilterTurnsAwayIsAPageToo() throws Exception {
        Response tooLarge = given().redirects().follow(false).contentType("application/x-www-form-urlencoded")
                .body("note=" + "x".repeat(70_000)).post("/console/reviews/" + java.util.UUID.randomUUID());
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(tooLarge.contentType()).startsWith("text/html");
        assertThat(tooLarge.asString()).contains("The request body is too large");
        assertThat(tooLarge.header("Content-Security-Policy")).contains("default-src 'none'");
        try (java.net.Socket socket = new java.net.Socket(root.getHost(), root.getPort())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("POST /console/reviews/" + java.util.UUID.randomUUID() + " HTTP/1.1\r\n"
                    + "Host: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nnote=\r\n0\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 411").containsIgnoringCase("content-type: text/html")
                    .contains("Send the form with a Content-Length", "default-src 'none'");
        }
    }

    /**
     * Forms anyone may send (a sign-out's, which needs no session; any body to a public page) are
     * read by Quarkus REST before the console's own check: the filter bounds them first, as it does
     * the API's (security review). A form without a length, in chunks (a GET too) or over HTTP/2,
     * is a 411 page unread, where Quarkus read it to 8 MiB, a file part to disk; and one that
     * trickles loses its connection at the body deadline (5 s in tests), where it held a worker
     * thread for as long as it went on.
     */
    @Test
    void aFormAnyoneMaySendIsBoundedBeforeItIsRead() throws Exception {
        try (java.net.Socket socket = new java.net.Socket(root.getHost(), root.getPort())) {
            socket.setSoTimeout(5_000);
            String part = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n" + "x".repeat(4_000);
            socket.getOutputStream().write(("GET /console/signed-out HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(part.length()) + "\r\n" + part + "\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] status = socket.getInputStream().readNBytes(12);
            assertThat(new String(status, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 411");
        }

        io.vertx.core.http.HttpClient client = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                .setDefaultHost(root.getHost()).setDefaultPort(root.getPort()));
        try {
            int status = client.request(io.vertx.core.http.HttpMethod.POST, "/console/sign-out")
                    .compose(request -> {
                        request.putHeader("Content-Type", "multipart/form-data; boundary=b").setChunked(true);
                        request.write("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n" + "x".repeat(4_000));
                        return request.response(); // the rest never sent: answered all the same
                    }).map(io.vertx.core.http.HttpClientResponse::statusCode)
                    .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(status).isEqualTo(411);
        } finally {
            client.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        }

        java.nio.file.Path log = java.nio.file.Path.of("target", "quarkus-test.log");
        long logged = java.nio.file.Files.size(log);
        try (java.net.Socket socket = new java.net.Socket(root.getHost(), root.getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("POST /console/sign-out HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\nconsole_csrf=")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            long started = System.nanoTime();
            byte[] answer = socket.getInputStream().readAllBytes(); // what arrives before the connection ends
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).as("closed at the body deadline")
                    .isBetween(java.time.Duration.ofSeconds(4), java.time.Duration.ofSeconds(15));
            assertThat(answer).isEmpty();
        }
        // A form that never arrived is no error of the service's: no ERROR line anyone could fill the log with.
        org.awaitility.Awaitility.await().during(java.time.Duration.ofSeconds(2)).atMost(java.time.Duration.ofSeconds(4))
                .until(() -> !logSince(log, logged).contains("Console request failed"));
        String since = logSince(log, logged);
        assertThat(since).contains("path=/console/sign-out");
        assertThat(since.lines().filter(line -> line.contains(" ERROR "))).noneMatch(line -> line.contains("Console")
                || line.contains("HttpClosedException"));
    }

    private static String logSince(java.nio.file.Path log, long offset) throws java.io.IOException {
        byte[] all = java.nio.file.Files.readAllBytes(log);
        return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void signingOutEndsTheSessionAtTheProvider() {
        Session reader = ConsoleSessions.signIn(ConsoleSessions.READER);
        // The address typed: a signed-in person is asked, with the form; anyone else is signed out already.
        String asked = reader.request().get("/console/sign-out").then().statusCode(200).contentType(
                containsString("text/html")).extract().asString();
        assertThat(asked).contains("<h1>Sign out?</h1>", "action=\"/console/sign-out\"",
                "name=\"csrf-token\" value=\"" + reader.csrfToken() + "\"");
        given().redirects().follow(false).header("Host", "elsewhere.example").get("/console/sign-out").then()
                .statusCode(303).header("Location", equalTo("/console/signed-out"));
        // Followed from another site, which withholds the SameSite=Strict session cookie: asked all the same
        // (it was told its session had ended, while it lived on).
        Response linked = given().redirects().follow(false).header("Sec-Fetch-Site", "cross-site")
                .header("Sec-Fetch-Mode", "navigate").header("Sec-Fetch-Dest", "document").get("/console/sign-out");
        // It carries on with a navigation of its own, on which the session and the token cookie come: a
        // token of its own would have broken the forms of every tab the person keeps open.
        assertThat(linked.then().statusCode(200).extract().asString()).contains("<h1>Sign out?</h1>",
                "url=/console/sign-out").doesNotContain("action=\"/console/sign-out\"");
        assertThat(ConsoleSessions.setCookie(linked, "console-csrf")).isEmpty();
        reader.request().get("/console/sign-out").then().statusCode(200)
                .body(containsString("action=\"/console/sign-out\""))
                .body(containsString("value=\"" + reader.csrfToken() + "\""));
        reader.request().post("/console/sign-out").then().statusCode(403);
        Response out = reader.request().formParam("csrf-token", reader.csrfToken()).post("/console/sign-out");
        assertThat(out.statusCode()).isEqualTo(303);
        assertThat(out.header("Location")).startsWith(provider + "/logout?")
                .contains("post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A", "%2Fconsole%2Fsigned-out",
                        "id_token_hint=ey", "client_id=");
        assertThat(ConsoleSessions.setCookie(out, "q_session")).anySatisfy(cookie -> assertThat(cookie)
                .contains("Max-Age=0"));
        // The CSRF token goes with the session; the next person to sign in at this browser gets a new one.
        assertThat(ConsoleSessions.setCookie(out, "console-csrf")).anySatisfy(cookie -> assertThat(cookie)
                .contains("Max-Age=0"));
        Session next = ConsoleSessions.signIn(ConsoleSessions.AUDITOR);
        String fresh = given().redirects().follow(false).cookie("q_session", next.cookies().get("q_session"))
                .cookie("console-csrf", reader.csrfToken()).get("/console/sign-in").then()
                .statusCode(200).extract().cookie("console-csrf");
        assertThat(fresh).isNotNull().isNotEqualTo(reader.csrfToken());
        given().redirects().follow(false).get("/console/signed-out").then().statusCode(200)
                .body(containsString("Signed out"));
    }

    @Test
    void sessionsWithoutAValidCookieAreSentToSignIn() {
        given().redirects().follow(false).cookie("q_session", "forged.value.here").get("/console/history").then()
                .statusCode(equalTo(302));
    }

    private static Response signInResponse(String person) {
        Response challenge = given().redirects().follow(false).get("/console/");
        Map<String, String> cookies = new java.util.HashMap<>(challenge.cookies());
        String authorize = challenge.header("Location");
        String loginPage = given().urlEncodingEnabled(false).get(authorize).asString();
        String redirect = loginPage.replaceAll("(?s).*name='redirect_uri' value='([^']*)'.*", "$1");
        String query = URI.create(authorize).getRawQuery();
        URI providerUri = URI.create(authorize);
        Response login = given().redirects().follow(false).formParam("redirect_uri", redirect)
                .formParam("response_type", "code").formParam("client_id",
                        query.replaceAll(".*client_id=([^&]*).*", "$1"))
                .formParam("scope", "openid").formParam("predefined-" + person, person)
                .post(providerUri.getScheme() + "://" + providerUri.getRawAuthority() + "/login");
        return given().urlEncodingEnabled(false).redirects().follow(false).cookies(cookies)
                .get(login.header("Location"));
    }
}
