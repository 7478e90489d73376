package com.domomigrationproxy.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * A copy of the Helm chart to render variants of: helm-java 0.0.21 renders no hooks, so a test
 * that checks a hook renames its annotations in a copy ({@link #unhook}).
 */
public final class ChartCopy {

    /** The chart, from the project directory (Maven's working directory for tests). */
    public static final Path CHART = Path.of("helm", "domo-migration-proxy");
    /** What {@link #unhook} puts before {@code helm.sh/hook}. */
    public static final String UNHOOKED_PREFIX = "unhooked.";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ChartCopy() {
    }

    /** Copies the chart into {@code work}; returns the copy's directory. */
    public static Path of(Path work) throws IOException {
        Path copy = work.resolve(CHART.getFileName());
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path source : files.toList()) {
                Path target = copy.resolve(CHART.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        return copy;
    }

    /** Renames the hook annotations of one template of the copy, so that it renders as a plain manifest. */
    public static void unhook(Path copy, String template) throws IOException {
        Path file = copy.resolve(template);
        String text = Files.readString(file);
        if (!text.contains("helm.sh/hook:")) {
            throw new IllegalArgumentException(template + " is not a hook");
        }
        Files.writeString(file, text.replace("helm.sh/hook", UNHOOKED_PREFIX + "helm.sh/hook"));
    }

    /** The non-empty documents of what {@code helm template} printed. */
    public static List<JsonNode> documents(String yaml) {
        List<JsonNode> documents = new ArrayList<>();
        try (var iterator = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (iterator.hasNext()) {
                JsonNode document = iterator.next();
                if (document != null && document.isObject() && document.size() > 0) {
                    documents.add(document);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return documents;
    }
}
