package com.domomigrationproxy.support;

import static io.restassured.RestAssured.given;

import java.net.URL;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of /q/metrics, and the samples in it. */
public final class PrometheusScrape {

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)");

    public final String body;

    private PrometheusScrape(String body) {
        this.body = body;
    }

    public static PrometheusScrape of(URL metrics) {
        return new PrometheusScrape(given().get(metrics.toString()).then().statusCode(200).extract().asString());
    }

    /** The value of the sample with exactly this name and at least these labels; 0 when there is none. */
    public double value(String name, Map<String, String> labels) {
        return Arrays.stream(body.split("\n"))
                .map(SAMPLE::matcher)
                .filter(Matcher::matches)
                .filter(sample -> sample.group(1).equals(name) && hasLabels(sample.group(2), labels))
                .mapToDouble(sample -> Double.parseDouble(sample.group(3)))
                .sum();
    }

    public boolean has(String name, Map<String, String> labels) {
        return Arrays.stream(body.split("\n"))
                .map(SAMPLE::matcher)
                .anyMatch(sample -> sample.matches() && sample.group(1).equals(name) && hasLabels(sample.group(2), labels));
    }

    private static boolean hasLabels(String labels, Map<String, String> wanted) {
        String present = labels == null ? "" : labels;
        return wanted.entrySet().stream()
                .allMatch(label -> present.contains(label.getKey() + "=\"" + label.getValue() + "\""));
    }
}
