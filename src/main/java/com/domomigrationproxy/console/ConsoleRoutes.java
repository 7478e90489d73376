package com.domomigrationproxy.console;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;

/**
 * The methods each console address answers, read from the page resources' own annotations, for the
 * {@code Allow} header of a 405 page. Quarkus REST names none for the console, and its catch-all
 * "no such page" (a GET on every path) would otherwise answer a GET on a POST-only address with a 404.
 */
final class ConsoleRoutes {

    /** Every class that serves console pages; ConsoleRoutesTest holds this list against the package. */
    static final List<Class<?>> RESOURCES = List.of(ConsoleHome.class, DomoPages.class, EvidencePages.class,
            HistoryPages.class, PlanPages.class, PrincipalPages.class, ReviewPages.class);
    private static final Pattern PARAMETER = Pattern.compile("\\{\\s*\\w+\\s*(?::\\s*([^}]+))?}");
    private static final List<Route> ROUTES = routes();

    private record Route(String method, Pattern path) {
    }

    private ConsoleRoutes() {
    }

    /** The methods the console answers on this path, in the order GET, HEAD, POST; empty for no page. */
    static List<String> allowed(String path) {
        boolean get = false;
        boolean post = false;
        for (Route route : ROUTES) {
            if (route.path().matcher(path).matches()) {
                get |= "GET".equals(route.method());
                post |= "POST".equals(route.method());
            }
        }
        List<String> allowed = new ArrayList<>();
        if (get) {
            allowed.add("GET");
            allowed.add("HEAD"); // Quarkus REST answers HEAD wherever GET is
        }
        if (post) {
            allowed.add("POST");
        }
        return List.copyOf(allowed);
    }

    private static List<Route> routes() {
        List<Route> routes = new ArrayList<>();
        for (Class<?> resource : RESOURCES) {
            String root = resource.getAnnotation(Path.class).value();
            for (Method method : resource.getDeclaredMethods()) {
                String verb = method.isAnnotationPresent(GET.class) ? "GET"
                        : method.isAnnotationPresent(POST.class) ? "POST" : null;
                Path path = method.getAnnotation(Path.class);
                if (verb == null || (path != null && path.value().startsWith("/{unknown"))) {
                    continue; // not a page, or the catch-all "no such page"
                }
                routes.add(new Route(verb, Pattern.compile(regex(root + (path == null ? "" : path.value())))));
            }
        }
        return List.copyOf(routes);
    }

    /** A JAX-RS path template as a regular expression: {name} is one segment, {name: regex} its regex. */
    private static String regex(String template) {
        StringBuilder regex = new StringBuilder();
        Matcher parameter = PARAMETER.matcher(template);
        int last = 0;
        while (parameter.find()) {
            regex.append(Pattern.quote(template.substring(last, parameter.start())));
            regex.append('(').append(parameter.group(1) == null ? "[^/]+" : parameter.group(1).trim()).append(')');
            last = parameter.end();
        }
        return regex.append(Pattern.quote(template.substring(last))).toString();
    }
}
