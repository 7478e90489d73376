package com.domomigrationproxy.support;

import static io.restassured.RestAssured.given;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.restassured.response.Response;

/**
 * Signs a person in to the console the way a browser does, through OIDC's Dev Services provider
 * (the test profile's people: reader-rita, operator-otto, auditor-aude, approver-abel, lead-lena):
 * the redirect to the provider, its sign-in form, the code sent back to /console/sign-in. The
 * cookies that come out of it are the browser's: the session and the CSRF token.
 */
public final class ConsoleSessions {

    public static final String READER = "reader-rita";
    public static final String OPERATOR = "operator-otto";
    public static final String AUDITOR = "auditor-aude";
    public static final String APPROVER = "approver-abel";
    /** Operator and approver at once: four eyes still keeps her from approving her own plans. */
    public static final String LEAD = "lead-lena";
    /** Holds all four roles, so that a page's own checks answer, not a 403 (ConsoleFuzzTest). */
    public static final String EVERY_ROLE = "every-eve";
    private static final Pattern HIDDEN = Pattern.compile("<input type='hidden' name='([^']+)' value='([^']*)'>");

    private ConsoleSessions() {
    }

    /** A signed-in browser's cookies. */
    public record Session(Map<String, String> cookies, String csrfToken) {

        public io.restassured.specification.RequestSpecification request() {
            return given().redirects().follow(false).cookies(cookies);
        }

        /** Follows a redirect as the browser does: with the session's cookies and those the redirect set. */
        public Response follow(Response redirect) {
            Map<String, String> sent = new HashMap<>(cookies);
            sent.putAll(redirect.cookies());
            // A browser keeps the fragment to itself.
            return given().redirects().follow(false).cookies(sent).get(redirect.header("Location").replaceFirst("#.*", ""));
        }
    }

    public static Session signIn(String person) {
        Response challenge = given().redirects().follow(false).get("/console/");
        if (challenge.statusCode() != 302) {
            throw new IllegalStateException("Expected a redirect to the provider, got " + challenge.statusCode());
        }
        Map<String, String> cookies = new HashMap<>(challenge.cookies());
        String authorize = challenge.header("Location");
        String loginPage = given().urlEncodingEnabled(false).redirects().follow(false).get(authorize).asString();
        Map<String, String> form = new HashMap<>();
        Matcher hidden = HIDDEN.matcher(loginPage);
        while (hidden.find()) {
            form.putIfAbsent(hidden.group(1), hidden.group(2).replace("&amp;", "&"));
        }
        form.put("predefined-" + person, person);
        URI provider = URI.create(authorize);
        Response login = given().redirects().follow(false).formParams(form)
                .post(provider.getScheme() + "://" + provider.getRawAuthority() + "/login");
        String back = login.header("Location");
        Response signedIn = given().urlEncodingEnabled(false).redirects().follow(false).cookies(cookies).get(back);
        if (signedIn.statusCode() != 200) {
            throw new IllegalStateException("Sign-in of " + person + " ended with " + signedIn.statusCode() + ": "
                    + signedIn.asString());
        }
        cookies.putAll(signedIn.cookies());
        cookies.entrySet().removeIf(cookie -> cookie.getValue() == null || cookie.getValue().isEmpty());
        Response home = given().redirects().follow(false).cookies(cookies).get("/console/");
        cookies.putAll(home.cookies());
        return new Session(Map.copyOf(cookies), cookies.get("console-csrf"));
    }

    /** The Set-Cookie header lines of a response that set this cookie. */
    public static List<String> setCookie(Response response, String name) {
        return response.headers().getValues("Set-Cookie").stream().filter(line -> line.startsWith(name + "="))
                .toList();
    }
}
