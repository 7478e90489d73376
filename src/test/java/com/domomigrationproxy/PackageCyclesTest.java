package com.domomigrationproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The package layout docs/architecture.md draws: every arrow points down, so no two packages use
 * each other, however indirectly, and no package uses web/, the edge. Read from the sources' own
 * references to {@code com.domomigrationproxy.<package>.} (imports and qualified names).
 */
class PackageCyclesTest {

    private static final Path SOURCES = Path.of("src", "main", "java", "com", "domomigrationproxy");
    /** A name in another package: an import (of a class, a static member or {@code *}) or a qualified name. */
    private static final Pattern REFERENCE = Pattern.compile("\\bcom\\.domomigrationproxy\\.([a-z]+)\\.");

    @Test
    void noPackageUsesAnotherThatUsesItBack() throws IOException {
        Map<String, Set<String>> uses = uses();
        List<String> cycles = new ArrayList<>();
        for (String from : uses.keySet()) {
            for (String to : uses.get(from)) {
                List<String> back = path(uses, to, from, new TreeSet<>());
                if (back != null && from.compareTo(to) < 0) {
                    List<String> cycle = new ArrayList<>(List.of(from));
                    cycle.addAll(back);
                    cycles.add(String.join(" -> ", cycle));
                }
            }
        }
        assertThat(cycles).as("package cycles").isEmpty();
        assertThat(uses).as("the packages read").containsKeys("web", "http", "console", "plans", "audit", "ledger");
    }

    @Test
    void nothingUsesTheEdge() throws IOException {
        Map<String, Set<String>> uses = uses();
        List<String> usersOfWeb = uses.entrySet().stream().filter(entry -> !entry.getKey().equals("web"))
                .filter(entry -> entry.getValue().contains("web")).map(Map.Entry::getKey).toList();
        assertThat(usersOfWeb).as("packages that use web/").isEmpty();
    }

    /** Each package's sources, and the other packages they name. */
    private static Map<String, Set<String>> uses() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".java")).toList()) {
                String own = SOURCES.relativize(file.getParent()).toString().replace('/', '.');
                Set<String> used = uses.computeIfAbsent(own, ignored -> new TreeSet<>());
                Matcher reference = REFERENCE.matcher(Files.readString(file));
                while (reference.find()) {
                    if (!reference.group(1).equals(own)) {
                        used.add(reference.group(1));
                    }
                }
            }
        }
        return uses;
    }

    /** A chain of uses from {@code from} to {@code to} (both included), or null if there is none. */
    private static List<String> path(Map<String, Set<String>> uses, String from, String to, Set<String> seen) {
        if (from.equals(to)) {
            return new ArrayList<>(List.of(to));
        }
        if (!seen.add(from)) {
            return null;
        }
        for (String next : uses.getOrDefault(from, Set.of())) {
            List<String> rest = path(uses, next, to, seen);
            if (rest != null) {
                rest.add(0, from);
                return rest;
            }
        }
        return null;
    }
}
