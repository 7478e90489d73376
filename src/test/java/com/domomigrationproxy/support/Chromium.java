package com.domomigrationproxy.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;

/**
 * A real headless Chromium (Debian's /usr/bin/chromium, never a browser Playwright downloads) for the
 * console's end-to-end tests: people sign in through the provider's page, every page is checked
 * with axe-core and photographed into target/console-screenshots/.
 */
public final class Chromium implements AutoCloseable {

    /** Debian's chromium; -Dconsole.chromium names another. */
    public static final Path EXECUTABLE = Path.of(System.getProperty("console.chromium", "/usr/bin/chromium"));
    public static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
    private static final Path AXE = Path.of("src", "test", "npm", "node_modules", "axe-core", "axe.min.js");
    private static final List<String> ARGUMENTS = List.of("--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-quic", "--no-first-run",
            "--disable-sync", "--disable-dev-shm-usage");

    private final Playwright playwright;
    private final Browser browser;
    private final String axe;

    private Chromium() {
        assertThat(EXECUTABLE).as("Debian's chromium (apt-get install chromium; .ci/run installs it)").isExecutable();
        assertThat(AXE).as("axe-core from src/test/npm/package-lock.json (npm ci; ./mvnw verify runs it)").isRegularFile();
        try {
            axe = Files.readString(AXE);
            Files.createDirectories(SCREENSHOTS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(EXECUTABLE)
                .setHeadless(true).setArgs(ARGUMENTS));
    }

    public static Chromium start() {
        return new Chromium();
    }

    /** A fresh browser profile: a person at their own machine, with nothing signed in. */
    public BrowserContext newContext() {
        return browser.newContext(new Browser.NewContextOptions().setAcceptDownloads(true).setViewportSize(1280, 860)
                .setLocale("en-GB").setTimezoneId("UTC"));
    }

    /** The errors a page logs (a refused script or style shows up here), collected from now on. */
    public static List<String> consoleErrors(Page page) {
        List<String> errors = new ArrayList<>();
        page.onConsoleMessage(message -> {
            if ("error".equals(message.type())) {
                errors.add(message.text());
            }
        });
        page.onPageError(errors::add);
        return errors;
    }

    /**
     * Runs axe-core on the page and returns its serious and critical violations, one line each. axe is
     * evaluated through the DevTools protocol: the page's Content-Security-Policy would (rightly)
     * refuse it as a script tag.
     */
    @SuppressWarnings("unchecked")
    public List<String> seriousViolations(Page page) {
        page.evaluate(axe);
        List<Map<String, Object>> violations = (List<Map<String, Object>>) page.evaluate("""
                async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                 targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', ') }))""");
        return violations.stream().map(v -> v.get("impact") + " " + v.get("id") + ": " + v.get("help") + " at "
                + v.get("targets")).toList();
    }

    public static void screenshot(Page page, String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name + ".png")).setFullPage(true));
    }

    @Override
    public void close() {
        browser.close();
        playwright.close();
    }
}
