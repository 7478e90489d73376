package com.domomigrationproxy.console;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.Chromium;
import com.domomigrationproxy.support.ConsoleSessions;
import com.domomigrationproxy.support.InjectDomo;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.microsoft.playwright.APIResponse;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Download;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.FormData;
import com.microsoft.playwright.options.RequestOptions;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * The console as people use it, in a real headless Chromium: signing in through the provider's
 * page, filtering the history, opening an operation, exporting CSV, running the integrity check,
 * resolving a flagged operation with the keyboard alone, browsing Domo; what a reader does not
 * see; a forged form post. axe-core finds no serious or critical violation on any page, no page
 * logs an error (a script or style the Content-Security-Policy refused would), and every page is
 * photographed into target/console-screenshots/.
 *
 * <p>The browser opens the console at 127.0.0.1 while the provider runs at localhost: two sites,
 * as in production, so the SameSite=Strict session cookie must survive the provider's cross-site
 * redirect the way a real browser handles it.
 */
@QuarkusTest
class ConsoleBrowserTest {

    private static Chromium chromium;

    @InjectDomo
    WireMockServer domo;

    @Inject
    OperationStore store;

    @TestHTTPResource("/")
    URL root;

    private final List<BrowserContext> contexts = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();

    @BeforeAll
    static void startChromium() {
        chromium = Chromium.start();
    }

    @AfterAll
    static void stopChromium() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void domo() {
        domo.resetAll();
        errors.clear();
    }

    @AfterEach
    void closeContexts() {
        contexts.forEach(BrowserContext::close);
        contexts.clear();
        assertThat(errors).as("errors logged by the console's pages").isEmpty();
    }

    @Test
    void anAuditorFiltersOpensAnOperationAndExportsCsv() throws IOException {
        String datasource = Api.uniqueDatasourceId();
        String toe = "TOE-" + UUID.randomUUID().toString().substring(0, 8).toUpperCase();
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/accounts/7").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"toe\":\"" + toe + "\",\"datasourceId\":\"" + datasource
                        + "\",\"direction\":\"V1_TO_V2\",\"state\":\"COMPLETE\"}")));
        domo.stubFor(post(DOMO_PREFIX + "/" + datasource + "/reverse").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"state\":\"COMPLETE\",\"toe\":\"R1\"}")));
        migrate(datasource);
        Api.asOperator().post("/api/v1/datasources/" + datasource + "/reversals").then().statusCode(200);
        String operationId = migrate(datasource);

        Page page = signIn(ConsoleSessions.AUDITOR);
        checked(page, "home-auditor");
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("History").setExact(true)).first().click();
        page.getByLabel("Data source id").fill(datasource);
        page.getByLabel("Direction").selectOption("V1_TO_V2");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Apply filters")).click();
        assertThat(page.locator("#results tbody tr")).hasCount(2);
        assertThat(page).hasURL(java.util.regex.Pattern.compile(".*datasourceId=" + datasource + ".*"));
        checked(page, "history");

        page.locator("#results tbody tr").first().getByRole(AriaRole.LINK).click();
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setLevel(1)))
                .containsText(operationId);
        assertThat(page.locator("#toe")).hasText(toe);
        assertThat(page.locator("table").first()).containsText("INTENT");
        assertThat(page.locator("table").first()).containsText("OUTCOME");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Copy the toe " + toe)).click();
        assertThat(page.locator(".copied").first()).hasText("Copied");
        checked(page, "operation");

        page.goBack();
        Download download = page.waitForDownload(() -> page.getByRole(AriaRole.LINK,
                new Page.GetByRoleOptions().setName("Export CSV")).click());
        assertThat(download.suggestedFilename()).matches("operations-.*\\.csv");
        List<String> lines = Files.readAllLines(download.path(), StandardCharsets.UTF_8);
        assertThat(lines.get(0)).startsWith("operationId,direction,datasourceId,accountId,");
        assertThat(lines).hasSize(3);
        assertThat(lines.subList(1, 3)).allSatisfy(line -> assertThat(line).contains("\"" + datasource + "\"",
                "\"V1_TO_V2\"", "\"COMPLETE\""));
        assertThat(lines.get(1)).contains(operationId, toe);
    }

    @Test
    void anAuditorRunsTheIntegrityCheckAndProvesTheTrailOffline() throws Exception {
        Page page = signIn(ConsoleSessions.AUDITOR);
        page.navigate(url("/console/evidence"));
        checked(page, "evidence-before");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign a checkpoint now")).click();
        assertThat(page.locator("#checkpoint")).containsText("Signed a checkpoint of the chain as it is now.");
        JsonPath expected = Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).extract()
                .jsonPath();
        if (expected.getBoolean("valid")) {
            assertThat(page.locator("#checkpoint")).containsText("It holds");
        }
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Run the integrity check")).click();
        assertThat(page.locator("#integrity")).containsText(expected.getBoolean("valid") ? "The chain verifies."
                : "The chain does not verify.");
        assertThat(page.locator("#last-hash")).hasText(java.util.regex.Pattern.compile("[0-9a-f]{64}"));
        // The swap happened in place: still the evidence page, with its downloads.
        assertThat(page).hasURL(java.util.regex.Pattern.compile(".*/console/evidence.*"));
        checked(page, "evidence");

        // The auditor's part: download in the page's order, then run the command it shows.
        java.nio.file.Path folder = Files.createTempDirectory("evidence");
        for (String link : List.of("The public key", "The newest checkpoint", "Every chain event", "Every operation")) {
            Download file = page.waitForDownload(() -> page.getByRole(AriaRole.LINK,
                    new Page.GetByRoleOptions().setName(link).setExact(true)).click());
            download(file, folder);
        }
        String command = page.locator("#verify-command").textContent().strip();
        assertThat(command).startsWith("python3 deploy/audit/verify_export.py audit-events.ndjson");
        List<String> arguments = new ArrayList<>(List.of(command.split(" ")));
        arguments.set(1, java.nio.file.Path.of("deploy", "audit", "verify_export.py").toAbsolutePath().toString());
        Process verifier = new ProcessBuilder(arguments).directory(folder.toFile()).redirectErrorStream(true).start();
        String output = new String(verifier.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(verifier.waitFor()).as(output).isEqualTo(expected.getBoolean("valid") ? 0 : 1);
        if (expected.getBoolean("valid")) {
            assertThat(output).startsWith("VERIFIED");
        }
    }

    private static void download(Download file, java.nio.file.Path folder) throws IOException {
        Files.copy(file.path(), folder.resolve(file.suggestedFilename()));
    }

    @Test
    void anAuditorSeesWhoCanDoWhatAndWhoReadTheTrail() {
        Page page = signIn(ConsoleSessions.AUDITOR);
        page.navigate(url("/console/history?state=COMPLETE"));
        page.getByRole(AriaRole.NAVIGATION).getByRole(AriaRole.LINK,
                new Locator.GetByRoleOptions().setName("Principals")).click();
        assertThat(page.locator("table").first()).containsText("auditor-svc");
        // A person's last use is written at most once a minute, the first one within seconds.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() -> {
            page.reload();
            assertThat(page.locator("table").first().locator("tr", new Locator.LocatorOptions()
                    .setHasText(ConsoleSessions.AUDITOR))).containsText("Console (OpenID Connect)");
        });
        page.getByLabel("Principal", new Page.GetByLabelOptions().setExact(true)).fill(ConsoleSessions.AUDITOR);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Show")).click();
        Locator access = page.locator("#access tbody tr");
        assertThat(access.first()).containsText(ConsoleSessions.AUDITOR);
        assertThat(page.locator("#access tbody")).containsText("/console/history");
        assertThat(page.locator("#access tbody")).containsText("state=COMPLETE");
        checked(page, "principals");
    }

    @Test
    void aReaderSeesNoButtonsForWhatItCannotDoAndAForgedPostIsRefused() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(json("[\"mysql-federated\",\"snowflake-federated\"]")));
        domo.stubFor(get(DOMO_PREFIX + "/accounts/mysql-federated").willReturn(json(
                "[{\"id\":\"2\",\"type\":\"mysql-federated\",\"name\":\"mysql v2 agent\"}]")));
        domo.stubFor(get(DOMO_PREFIX + "/candidates/2").willReturn(json("[{\"id\":\"495e28ec\",\"name\":\"MySQL"
                + " Table 1\",\"migrated\":false,\"migrationDate\":null},{\"id\":\"F77\",\"name\":\"Orders\","
                + "\"migrated\":true,\"migrationDate\":\"2026-11-02T10:00:00Z\"}]")));

        Page page = signIn(ConsoleSessions.READER);
        assertThat(page.getByRole(AriaRole.NAVIGATION).getByRole(AriaRole.LINK)).hasText(new String[] { "Home",
                "Domo" });
        // The only form a reader gets is signing out.
        assertThat(page.locator("form")).hasCount(1);
        assertThat(page.locator("main button")).hasCount(0);
        checked(page, "home-reader");

        page.getByRole(AriaRole.NAVIGATION).getByRole(AriaRole.LINK, new Locator.GetByRoleOptions().setName("Domo"))
                .click();
        checked(page, "domo-types");
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("mysql-federated")).click();
        checked(page, "domo-accounts");
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("mysql v2 agent")).click();
        assertThat(page.locator("main .lead")).containsText("2 data sources, 1 of them migrated");
        assertThat(page.locator("main button")).hasCount(0);
        checked(page, "domo-candidates");

        page.navigate(url("/console/history"));
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setLevel(1)))
                .hasText("Not for your role");
        checked(page, "forbidden");

        // A post from this browser, with its cookies but without the page's token: refused.
        page.navigate(url("/console/"));
        APIResponse forged = page.request().post(url("/console/evidence/integrity"),
                RequestOptions.create().setForm(FormData.create().set("anything", "x")));
        assertThat(forged.status()).isEqualTo(403);
        Page operator = signIn(ConsoleSessions.OPERATOR);
        APIResponse forgedResolution = operator.request().post(url("/console/reviews/" + UUID.randomUUID()),
                RequestOptions.create().setForm(FormData.create().set("state", "COMPLETE").set("note", "forged")));
        assertThat(forgedResolution.status()).isEqualTo(403);
        assertThat(forgedResolution.text()).contains("Form not accepted");
    }

    @Test
    void anOperatorResolvesAFlaggedOperationWithTheKeyboardAlone() {
        String datasource = Api.uniqueDatasourceId();
        Operation pending = store.recordIntent(OperationIntent.reversal(datasource,
                new Requester("batch-svc", "api-key", "req-" + UUID.randomUUID(), "10.0.0.7",
                        com.domomigrationproxy.security.Scopes.UNRESTRICTED)), none -> {
                });
        store.recordOutcome(pending, Outcome.withoutResult(OperationState.UNKNOWN, null, "No answer in time", null,
                3000));
        store.flagForReview(pending.operationId(), "Domo lists no migration of datasource " + datasource);
        String id = pending.operationId().toString();

        Page page = signIn(ConsoleSessions.OPERATOR);
        page.navigate(url("/console/reviews"));
        assertThat(page.locator("#op-" + id)).containsText(datasource);
        checked(page, "reviews");

        tabTo(page, "s-complete-" + id);
        page.keyboard().press("ArrowDown");
        assertThat(page.locator("#s-aborted-" + id)).isChecked();
        page.keyboard().press("ArrowUp");
        assertThat(page.locator("#s-complete-" + id)).isChecked();
        page.keyboard().press("Tab");
        assertThat(page.locator("#note-" + id)).isFocused();
        page.keyboard().type("Domo's admin page shows the data source on V1 again since 10:15");
        page.keyboard().press("Tab");
        page.keyboard().press("Enter");

        assertThat(page.getByRole(AriaRole.STATUS)).containsText(id);
        assertThat(page.locator("#op-" + id)).hasCount(0);
        Api.asAuditor().get("/api/v1/audit/operations/" + id).then().statusCode(200)
                .body("reconciliation.state", org.hamcrest.Matchers.equalTo("COMPLETE"))
                .body("reconciliation.by", org.hamcrest.Matchers.equalTo(ConsoleSessions.OPERATOR))
                .body("reconciliation.note", org.hamcrest.Matchers.containsString("admin page"));
        checked(page, "reviews-resolved");
    }

    /** HTML, CSS and JavaScript of a page, as first loaded, within 150 KB (uncompressed: no compression is on). */
    @Test
    void theFirstLoadOfAPageStaysWithin150Kilobytes() {
        Page page = signIn(ConsoleSessions.AUDITOR);
        java.util.Map<String, Integer> sizes = new java.util.concurrent.ConcurrentHashMap<>();
        page.onResponse(response -> sizes.put(response.url(), response.body().length));
        page.navigate(url("/console/history"));
        page.waitForLoadState(com.microsoft.playwright.options.LoadState.NETWORKIDLE);
        assertThat(sizes.keySet()).anyMatch(address -> address.endsWith("/console/history"))
                .anyMatch(address -> address.endsWith(".css")).anyMatch(address -> address.endsWith("htmx.min.js"));
        int total = sizes.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(total).as("bytes of %s", sizes).isLessThanOrEqualTo(150 * 1024);
    }

    /** Presses Tab until the element with this id has the focus, as a person would; fails after 60 presses. */
    private static void tabTo(Page page, String id) {
        for (int presses = 0; presses < 60; presses++) {
            page.keyboard().press("Tab");
            if (id.equals(page.evaluate("() => document.activeElement && document.activeElement.id"))) {
                return;
            }
        }
        throw new AssertionError("Tab never reached #" + id);
    }

    /** A person signs in through the provider's page, in a browser of their own. */
    private Page signIn(String person) {
        BrowserContext context = chromium.newContext();
        context.grantPermissions(List.of("clipboard-read", "clipboard-write"));
        contexts.add(context);
        Page page = context.newPage();
        errors.addAll(Chromium.consoleErrors(page));
        page.navigate(url("/console/"));
        page.locator("button[name='predefined-" + person + "']").click();
        page.waitForURL(url("/console/"));
        assertThat(page.locator("header .who")).containsText(person);
        return page;
    }

    /** axe finds no serious or critical violation; then the screenshot. */
    private void checked(Page page, String name) {
        page.waitForLoadState();
        assertThat(chromium.seriousViolations(page)).as("axe on " + name + " (" + page.url() + ")").isEmpty();
        Chromium.screenshot(page, name);
    }

    private String migrate(String datasource) {
        return Api.asOperator().contentType("application/json")
                .body("{\"accountId\":\"7\",\"catalog\":\"Sales\",\"schema\":\"NULL\",\"table\":\"Orders\"}")
                .post("/api/v1/datasources/" + datasource + "/migrations").then().statusCode(200).extract()
                .path("operationId");
    }

    private String url(String path) {
        return "http://127.0.0.1:" + root.getPort() + path;
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }
}
