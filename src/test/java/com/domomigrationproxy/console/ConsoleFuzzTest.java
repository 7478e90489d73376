package com.domomigrationproxy.console;

import static com.domomigrationproxy.support.HostileInput.abbreviate;
import static com.domomigrationproxy.support.HostileInput.encode;
import static com.domomigrationproxy.support.HostileInput.quote;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.RestForm;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.ConsoleSessions;
import com.domomigrationproxy.support.ConsoleSessions.Session;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.FuzzEstate;
import com.domomigrationproxy.support.HostileInput;
import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;

/**
 * Every page and form of the console, found by reflection on its resources (so a new page is
 * covered without a new test), fed hostile values one at a time: each path, query and form
 * parameter in turn, with the session and CSRF token of a person holding every role. Whatever comes
 * in, the answer is never a 5xx; a 4xx is an HTML page that says what went wrong without a stack
 * trace; no page shows markup it was given unescaped; a redirect stays on the console; and nothing
 * carries the Domo token. The sign-in and
 * sign-out routes are left out: they are the session's own, tested in ConsoleSecurityTest.
 */
@QuarkusTest
@Tag("fuzz")
class ConsoleFuzzTest {

    private static final Pattern TEMPLATE = Pattern.compile("\\{(\\w+)(?::\\s*([^}]+))?}");

    @InjectDomo
    WireMockServer domo;

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    /**
     * One client for the run's two thousand requests, its connections kept open (REST Assured set
     * up a client and a connection for each, a fifth of the test's time).
     */
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final List<String> failures = new ArrayList<>();
    private int sent;
    private Session person;
    private Map<String, String> valid;

    @BeforeEach
    void estate() {
        DomoWireMock.answersEverything(domo, "console-fuzz-toe");
        // Its name is markup, which every page that shows the plan must escape.
        FuzzEstate estate = FuzzEstate.create("console fuzz <script>alert(1)</script> \"><img src=x onerror=alert(1)>");
        valid = new HashMap<>(estate.ids());
        valid.putAll(Map.of("accountId", "1", "integrationType", "mysql-federated", "unknown", "no-such-page",
                "keyId", "0123456789abcdef"));
        person = ConsoleSessions.signIn(ConsoleSessions.EVERY_ROLE);
    }

    @Test
    void everyPageAndFormAnswersHostileInputWithAPageNeverA5xx() throws Exception {
        for (Method method : resourceMethods()) {
            fuzz(method);
        }
        assertThat(sent).as("requests sent").isGreaterThan(500);
        assertThat(failures).as(failures.size() + " of " + sent + " answers were wrong").isEmpty();
    }

    private void fuzz(Method method) {
        String verb = method.isAnnotationPresent(GET.class) ? "GET" : "POST";
        jakarta.ws.rs.Path own = method.getAnnotation(jakarta.ws.rs.Path.class);
        String template = method.getDeclaringClass().getAnnotation(jakarta.ws.rs.Path.class).value()
                + (own == null ? "/" : own.value());
        if (template.equals(ConsoleLinks.SIGN_IN) || template.equals(ConsoleLinks.SIGN_OUT)) {
            return;
        }
        boolean stream = method.isAnnotationPresent(Produces.class)
                && Arrays.asList(method.getAnnotation(Produces.class).value()).contains("text/event-stream");
        // A path variable that takes a few words (the plan's actions) is tried with each of them.
        List<Map<String, String>> pathChoices = new ArrayList<>(List.of(new LinkedHashMap<>()));
        Matcher variables = TEMPLATE.matcher(template);
        while (variables.find()) {
            String name = variables.group(1);
            String regex = variables.group(2);
            List<String> words = regex != null && regex.matches("[\\w|]+") ? List.of(regex.split("\\|"))
                    : List.of(valid.get(name));
            List<Map<String, String>> extended = new ArrayList<>();
            for (Map<String, String> choice : pathChoices) {
                for (String word : words) {
                    Map<String, String> with = new LinkedHashMap<>(choice);
                    with.put(name, word);
                    extended.add(with);
                }
            }
            pathChoices = extended;
        }
        Set<String> query = new LinkedHashSet<>();
        Set<String> form = new LinkedHashSet<>();
        Set<String> headers = new LinkedHashSet<>();
        for (Annotation[] annotations : method.getParameterAnnotations()) {
            for (Annotation annotation : annotations) {
                if (annotation instanceof QueryParam q) {
                    query.add(q.value());
                } else if (annotation instanceof FormParam f) {
                    form.add(f.value());
                } else if (annotation instanceof RestForm f) {
                    form.add(f.value());
                } else if (annotation instanceof HeaderParam h) {
                    headers.add(h.value());
                }
            }
        }
        boolean multipart = Arrays.stream(method.getParameterTypes())
                .anyMatch(type -> type.getName().endsWith("FileUpload"));
        // Filtered to this test's plan, so that an export never reads the whole trail the suite has written.
        Map<String, String> baseQuery = query.contains("planId") ? Map.of("planId", valid.get("planId")) : Map.of();
        for (Map<String, String> pathValues : pathChoices) {
            Call base = new Call(verb, template, pathValues, baseQuery, Map.of(), Map.of(), multipart);
            if (!stream) {
                send(base, "its own values " + pathValues);
            }
            for (String name : pathValues.keySet()) {
                for (String value : HostileInput.forPath()) {
                    send(base.with(Call.Part.PATH, name, value), name + "=" + quote(value));
                }
            }
            if (stream) {
                continue;
            }
            for (String name : query) {
                HostileInput.VALUES.forEach(value -> send(base.with(Call.Part.QUERY, name, value), "?" + name + "=" + quote(value)));
            }
            for (String name : form) {
                if (!name.equals("file")) {
                    HostileInput.VALUES.forEach(value -> send(base.with(Call.Part.FORM, name, value), "form " + name + "=" + quote(value)));
                }
            }
            for (String name : headers) {
                HostileInput.forHeaders().forEach(value -> send(base.with(Call.Part.HEADER, name, value), name + ": " + quote(value)));
            }
        }
    }

    private void send(Call call, String what) {
        String path = call.template;
        for (Map.Entry<String, String> value : call.path.entrySet()) {
            path = path.replaceFirst("\\{" + value.getKey() + "(:[^}]*)?}", Matcher.quoteReplacement(
                    encode(value.getValue())));
        }
        String label = call.verb + " " + call.template + " with " + what;
        StringBuilder query = new StringBuilder();
        call.query.forEach((name, value) -> query.append(query.isEmpty() ? '?' : '&').append(name).append('=')
                .append(encode(value)));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path + query))
                .timeout(Duration.ofSeconds(15))
                .header("Cookie", person.cookies().entrySet().stream()
                        .map(cookie -> cookie.getKey() + "=" + cookie.getValue()).collect(Collectors.joining("; ")));
        call.headers.forEach(request::header);
        if ("GET".equals(call.verb)) {
            request.GET();
        } else if (call.multipart) {
            String boundary = "fuzz-" + java.util.UUID.randomUUID();
            StringBuilder body = new StringBuilder();
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("csrf-token", person.csrfToken());
            fields.putAll(call.form);
            fields.forEach((name, value) -> body.append("--").append(boundary).append("\r\nContent-Disposition: form-data;"
                    + " name=\"").append(name).append("\"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n")
                    .append(value).append("\r\n"));
            body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"file\";"
                    + " filename=\"plan.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                    + "datasourceId,accountId,catalog,schema,table\r\n\r\n--").append(boundary).append("--\r\n");
            request.header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        } else {
            StringBuilder body = new StringBuilder("csrf-token=" + person.csrfToken());
            call.form.forEach((name, value) -> body.append('&').append(name).append('=').append(encode(value)));
            request.header("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        }
        sent++;
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.io.IOException | RuntimeException e) {
            failures.add(label + ": no answer (" + e + ")");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        int status = response.statusCode();
        String body = response.body();
        String type = response.headers().firstValue("Content-Type").orElse("");
        String location = response.headers().firstValue("Location").orElse(null);
        if ((body + response.headers().map()).contains(DomoWireMock.CANARY_TOKEN)) {
            failures.add(label + ": the answer carries the Domo token");
        } else if (type.startsWith("text/html") && (body.contains("<script>alert(1)") || body.contains("<img src=x onerror"))) {
            failures.add(label + ": " + status + " shows the markup it was given unescaped");
        } else if (status >= 500) {
            failures.add(label + ": " + status + " " + abbreviate(body));
        } else if (status >= 400 && !(type.startsWith("text/html") && body.contains("<h1") && !body.contains("Exception")
                && !body.contains("\tat "))) {
            failures.add(label + ": " + status + " is not a console page (" + type + "): " + abbreviate(body));
        } else if (location != null && !location.startsWith(ConsoleLinks.ROOT + "/")
                && !location.matches("https?://(localhost|127\\.0\\.0\\.1)(:\\d+)?" + ConsoleLinks.ROOT + "/.*")) {
            failures.add(label + ": " + status + " sends the browser to " + location);
        } else if (status == 401 || status == 403) {
            failures.add(label + ": " + status + ", although the person holds every role");
        }
    }

    /** The GET and POST methods of the console's resources (ConsoleRoutesTest holds the list complete). */
    private static List<Method> resourceMethods() {
        List<Method> methods = new ArrayList<>();
        for (Class<?> type : ConsoleRoutes.RESOURCES.stream().sorted(Comparator.comparing(Class::getName)).toList()) {
            for (Method method : type.getDeclaredMethods()) {
                if (method.isAnnotationPresent(GET.class) || method.isAnnotationPresent(POST.class)) {
                    methods.add(method);
                }
            }
        }
        assertThat(methods).as("console routes found").hasSizeGreaterThan(20);
        return methods;
    }

    /** One request: the route, its path values, and the query, form or header values given. */
    private record Call(String verb, String template, Map<String, String> path, Map<String, String> query,
            Map<String, String> form, Map<String, String> headers, boolean multipart) {

        enum Part { PATH, QUERY, FORM, HEADER }

        Call with(Part part, String name, String value) {
            Map<String, String> changed = new LinkedHashMap<>(switch (part) {
                case PATH -> path;
                case QUERY -> query;
                case FORM -> form;
                case HEADER -> headers;
            });
            changed.put(name, value);
            return new Call(verb, template, part == Part.PATH ? changed : path, part == Part.QUERY ? changed : query,
                    part == Part.FORM ? changed : form, part == Part.HEADER ? changed : headers, multipart);
        }
    }
}
