package com.domomigrationproxy.console;

import static com.domomigrationproxy.support.DomoWireMock.DOMO_PREFIX;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.restassured.RestAssured.given;
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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.audit.RefusedAccess;
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
import com.domomigrationproxy.support.Tokens;
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
 * resolving a flagged operation with the keyboard alone, browsing Domo; a plan uploaded, approved
 * with the keyboard alone in a second browser, run and watched to the end, and one made of the
 * Domo browser's selection; what a reader does not see; forged form posts. axe-core finds no
 * serious or critical violation on any page, no page logs an error (a script or style the
 * Content-Security-Policy refused would), and every page is photographed into
 * target/console-screenshots/.
 *
 * <p>The browser opens the console at 127.0.0.1 while the provider runs at localhost: two sites,
 * as in production, so the SameSite=Strict session cookie must survive the provider's cross-site
 * redirect the way a real browser handles it.
 */
@QuarkusTest
@Tag("browser")
class ConsoleBrowserTest {

    private static Chromium chromium;

    @InjectDomo
    WireMockServer domo;

    @Inject
    OperationStore store;

    @Inject
    RefusedAccess refused;


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
        // A filter refused (400) shows the page the server answered, with the field marked.
        page.getByLabel("Requested from (inclusive)").fill("yesterday");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Apply filters")).click();
        assertThat(page.locator("#f-from")).hasAttribute("aria-invalid", "true");
        assertThat(page.locator("#e-from")).isVisible();
        assertThat(page.locator("#results")).containsText("Correct the filters marked above.");
        page.getByLabel("Requested from (inclusive)").fill("");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Apply filters")).click();
        assertThat(page.locator("#results tbody tr")).hasCount(2);
        // Corrected, the fields are drawn again with the results: no mark the server no longer reports is left.
        assertThat(page.locator("#f-from")).not().hasAttribute("aria-invalid", "true");
        assertThat(page.locator("#e-from")).hasCount(0);
        assertThat(page.getByLabel("Data source id")).hasValue(datasource);
        assertThat(page.locator("#apply-filters")).isFocused();
        // An error that is no console page (a proxy's in front of the service) leaves the page as it was, and says so.
        java.util.function.Predicate<String> filtering = address -> address.contains("/console/history?");
        page.route(filtering, route -> route.fulfill(new com.microsoft.playwright.Route.FulfillOptions().setStatus(502)
                .setContentType("text/html").setBody("<html><body><h1>Bad gateway</h1></body></html>")));
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Apply filters")).click();
        assertThat(page.locator("#swap-failed")).containsText("HTTP 502");
        assertThat(page.locator("#results tbody tr")).hasCount(2);
        page.unroute(filtering);

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
        // Inside a live region that stays through the swap, so that the result is announced (console review).
        assertThat(page.locator("div[aria-live=polite] > #integrity")).hasCount(1);
        // The swap happened in place: still the evidence page, with its downloads.
        assertThat(page).hasURL(java.util.regex.Pattern.compile(".*/console/evidence.*"));
        checked(page, "evidence");

        // The auditor's part: download in the page's order, then run the command it shows.
        java.nio.file.Path folder = Files.createTempDirectory("evidence");
        folder.toFile().deleteOnExit(); // after the files registered below: deleted in reverse order
        for (String link : List.of("The public key", "The newest checkpoint", "Every chain event", "Every operation")) {
            Download file = page.waitForDownload(() -> page.getByRole(AriaRole.LINK,
                    new Page.GetByRoleOptions().setName(link).setExact(true)).click());
            download(file, folder);
        }
        // The former keys still trusted (the tests trust one): the chain may hold checkpoints they signed,
        // and the verifier checks each one, so the command names them as well.
        Locator former = page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions()
                .setName(java.util.regex.Pattern.compile("^former key [0-9a-f]{16}$")));
        assertThat(former).hasCount(1);
        download(page.waitForDownload(() -> former.click()), folder);
        String command = page.locator("#verify-command").textContent().strip();
        assertThat(command).contains("--public-key checkpoint-key-");
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
        java.nio.file.Path copy = folder.resolve(file.suggestedFilename());
        Files.copy(file.path(), copy);
        copy.toFile().deleteOnExit();
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

        // Refused attempts are there too: one row each, and past the window's allowance (five in
        // tests) one summary.
        refused.endWindow();
        String intruder = "intruder-" + UUID.randomUUID();
        for (int i = 0; i < 6; i++) {
            given().auth().oauth2(Tokens.jwt(intruder, "operator")).get("/api/v1/audit/operations").then()
                    .statusCode(403);
        }
        refused.endWindow();
        page.getByLabel("Principal", new Page.GetByLabelOptions().setExact(true)).fill(intruder);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Show")).click();
        assertThat(access).hasCount(6);
        assertThat(access.first()).containsText("refused-summary: 1 refused from");
        assertThat(access.first()).containsText("403 ×1");
        assertThat(access.nth(1)).containsText("GET /api/v1/audit/operations refused");
        assertThat(access.nth(1)).containsText("(jwt)");
        checked(page, "principals-refused");
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
                "Plans", "Domo" });
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

        // The sign-out address typed: asked, not signed out.
        page.navigate(url("/console/sign-out"));
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setLevel(1))).hasText("Sign out?");
        checked(page, "sign-out");
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Stay signed in")).click();
        page.waitForURL(url("/console/"));

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

    /**
     * A plan from upload to report, by three people in their own browsers: the operator uploads a
     * CSV and reads the preflight; the approver, in a second browser, approves with the keyboard
     * alone; the operator starts it and watches the progress bar, fed by the plan's events, reach
     * the end; then downloads the report.
     */
    @Test
    void anOperatorUploadsAPlanAnApproverApprovesItWithTheKeyboardAndItRunsToTheEnd() throws IOException {
        warmUpDomo();
        String tag = UUID.randomUUID().toString().substring(0, 8);
        String account = "acc-" + tag;
        List<String> listed = new ArrayList<>();
        for (int i = 1; i <= 11; i++) {
            listed.add("ds-" + tag + "-" + i);
        }
        String done = listed.get(0);
        String unlisted = "ds-" + tag + "-unlisted";
        stubCandidates(account, listed, done);
        domo.stubFor(post(com.github.tomakehurst.wiremock.client.WireMock.urlMatching(DOMO_PREFIX + "/[^/]+/accounts/"
                + account)).willReturn(aResponse().withFixedDelay(1000).withStatus(200)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"state\":\"COMPLETE\",\"toe\":\"T-CONSOLE\"}")));
        StringBuilder csv = new StringBuilder("datasourceId,accountId,catalog,schema,table\r\n");
        List<String> items = new ArrayList<>(listed);
        items.add(unlisted);
        items.forEach(id -> csv.append(id).append(',').append(account).append(",estate,NULL,t_").append(id)
                .append("\r\n"));

        Page operator = signIn(ConsoleSessions.OPERATOR);
        operator.getByRole(AriaRole.NAVIGATION).getByRole(AriaRole.LINK, new Locator.GetByRoleOptions()
                .setName("Plans")).click();
        operator.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Upload a plan (CSV)")).click();
        checked(operator, "plan-upload");
        operator.getByLabel("Name of the plan").fill("Console wave " + tag);
        operator.getByLabel("Items in flight at once (1 to 64)").fill("2");
        operator.getByLabel("CSV file").setInputFiles(new com.microsoft.playwright.options.FilePayload("plan.csv",
                "text/csv", csv.toString().getBytes(StandardCharsets.UTF_8)));
        operator.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Upload and run the preflight"))
                .click();

        assertThat(operator.getByRole(AriaRole.STATUS).first()).containsText("The preflight ran");
        assertThat(operator.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setLevel(1)))
                .containsText("AWAITING_APPROVAL");
        assertThat(operator.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("READY (10)"))).isVisible();
        assertThat(operator.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("ALREADY_DONE (1)")))
                .isVisible();
        assertThat(operator.locator("#preflight tbody tr")).hasCount(12);
        assertThat(operator.locator("#preflight tr", new Page.LocatorOptions().setHasText(unlisted)))
                .containsText("BLOCKED");
        assertThat(operator.locator("#accounts tbody td")).hasText(new String[] { account, "12", "10", "1", "1" });
        // Waiting for an approver: no start yet, and no decision for an operator.
        assertThat(operator.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Start"))).hasCount(0);
        assertThat(operator.locator("#decision")).hasCount(0);
        checked(operator, "plan-preflight");
        String planUrl = operator.url().replaceAll("\\?.*", "");
        String planId = planUrl.substring(planUrl.lastIndexOf('/') + 1);
        operator.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("BLOCKED (1)")).click();
        assertThat(operator.locator("#preflight tbody tr")).hasCount(1);
        assertThat(operator.locator("#preflight tbody tr")).containsText("not among the candidates");

        // The approver, in a browser of their own, with the keyboard alone.
        Page approver = signIn(ConsoleSessions.APPROVER);
        approver.navigate(planUrl);
        String hash = Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(200).extract()
                .path("contentHash");
        assertThat(approver.locator("#content-hash")).hasText(hash);
        checked(approver, "plan-approval");
        tabTo(approver, "comment");
        approver.keyboard().type("Checked the 12 items against change ticket CHG-" + tag);
        approver.keyboard().press("Tab");
        assertThat(approver.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Approve"))).isFocused();
        approver.keyboard().press("Enter");
        assertThat(approver.getByRole(AriaRole.STATUS).first()).containsText("Your approval is recorded");
        assertThat(approver.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setLevel(1)))
                .containsText("APPROVED");
        assertThat(approver.locator("#decision")).hasCount(0);
        assertThat(approver.locator("ul.decisions")).containsText("APPROVE by " + ConsoleSessions.APPROVER);

        // Cancelling asks first, on a page of its own; the operator keeps the plan.
        operator.navigate(planUrl);
        operator.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Cancel the plan…")).click();
        assertThat(operator.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setLevel(1)))
                .containsText("Cancel Console wave " + tag + "?");
        assertThat(operator.locator("#cancel-waiting")).hasText(java.util.regex.Pattern.compile("\\d+"));
        checked(operator, "plan-cancel");
        operator.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("No, keep the plan")).click();
        assertThat(operator.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setLevel(1)))
                .containsText("APPROVED");

        // The operator starts it and watches it run to the end.
        // A stopping replica answers 503 (busy, Retry-After) until the balancer takes it out: the page's stream
        // meets it first (the browser then gives the stream up), and a look once the page has a new stream. The
        // page opens a new stream, and looks again, instead of giving up (deploy review).
        int[] refusedStreams = { 0 };
        int[] refusedLooks = { 0 };
        java.util.function.Predicate<String> stream = address -> address.contains("/events?");
        java.util.function.Predicate<String> progress = address -> address.contains("/progress?");
        operator.route(stream, route -> busyOnce(route, refusedStreams));
        operator.route(progress, route -> {
            if (refusedStreams[0] < 2) {
                route.resume();
            } else {
                busyOnce(route, refusedLooks);
            }
        });
        operator.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Start")).click();
        assertThat(operator.getByRole(AriaRole.STATUS).first()).containsText("Started");
        Locator bar = operator.locator("#plan-bar");
        assertThat(bar).hasAttribute("max", "12");
        // While it runs, the page shows its pace and the time left (photographed only: the part axe would check
        // is replaced under it; it is checked below once the plan has ended).
        assertThat(operator.locator("#progress-text")).containsText("items a minute",
                new com.microsoft.playwright.assertions.LocatorAssertions.ContainsTextOptions().setTimeout(30_000));
        Chromium.screenshot(operator, "plan-running");
        assertThat(bar).hasAttribute("value", "12", new com.microsoft.playwright.assertions.LocatorAssertions
                .HasAttributeOptions().setTimeout(60_000));
        org.assertj.core.api.Assertions.assertThat(refusedStreams[0]).as("a new stream after the refused one")
                .isGreaterThan(1);
        org.assertj.core.api.Assertions.assertThat(refusedLooks[0]).as("a look again after the refused one")
                .isGreaterThan(1);
        operator.unroute(stream);
        operator.unroute(progress);
        assertThat(operator.locator("#count-COMPLETE")).hasText("10");
        assertThat(operator.locator("#count-SKIPPED")).hasText("2");
        assertThat(operator.locator("#plan-progress")).containsText("The plan is now FINISHED");
        // Said by a live region that stays: one swapped in with the progress is not announced (console review).
        assertThat(operator.locator("#progress-said")).containsText("The plan is now FINISHED");
        checked(operator, "plan-progress");
        operator.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Reload the page")).click();
        assertThat(operator.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setLevel(1)))
                .containsText("FINISHED");
        assertThat(operator.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create the rollback plan")))
                .isVisible();
        assertThat(operator.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Start"))).hasCount(0);
        checked(operator, "plan");
        Download report = operator.waitForDownload(() -> operator.getByRole(AriaRole.LINK,
                new Page.GetByRoleOptions().setName("Download the report (CSV, every item)")).click());
        List<String> lines = Files.readAllLines(report.path(), StandardCharsets.UTF_8);
        assertThat(lines).hasSize(13);
        assertThat(lines.get(0)).startsWith("itemId,datasourceId,accountId,catalog,schema,table,verdict,reason,state,");
        assertThat(lines).filteredOn(line -> line.contains("\"COMPLETE\"")).hasSize(10);

        JsonPath plan = Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(200).extract().jsonPath();
        assertThat(plan.getString("state")).isEqualTo("FINISHED");
        assertThat(plan.getString("createdBy")).isEqualTo(ConsoleSessions.OPERATOR);
        assertThat(plan.getString("createdByAuthMethod")).isEqualTo("oidc");
        assertThat(plan.getString("startedBy")).isEqualTo(ConsoleSessions.OPERATOR);
        assertThat(plan.getString("approvals[0].by")).isEqualTo(ConsoleSessions.APPROVER);
        assertThat(plan.getString("approvals[0].comment")).isEqualTo("Checked the 12 items against change ticket CHG-"
                + tag);
    }

    /**
     * A reader reads plans and gets no button for any of their actions; forms posted without the
     * page's token are refused, and the plan does not move.
     */
    @Test
    void aReaderSeesPlansWithoutActionsAndForgedPlanPostsAreRefused() {
        warmUpDomo();
        String tag = UUID.randomUUID().toString().substring(0, 8);
        String account = "acc-" + tag;
        List<String> listed = List.of("ds-" + tag + "-1", "ds-" + tag + "-2");
        stubCandidates(account, listed, null);
        JsonPath created = Api.asOperator().contentType("application/json").body("{\"name\":\"Reader's view "
                + tag + "\",\"items\":[{\"datasourceId\":\"" + listed.get(0) + "\",\"accountId\":\"" + account
                + "\",\"catalog\":\"estate\",\"schema\":\"NULL\",\"table\":\"t1\"},{\"datasourceId\":\""
                + listed.get(1) + "\",\"accountId\":\"" + account + "\",\"catalog\":\"estate\",\"schema\":\"NULL\","
                + "\"table\":\"t2\"}]}").post("/api/v1/plans").then().statusCode(201).extract().jsonPath();
        String planId = created.getString("planId");

        Page reader = signIn(ConsoleSessions.READER);
        reader.getByRole(AriaRole.NAVIGATION).getByRole(AriaRole.LINK, new Locator.GetByRoleOptions()
                .setName("Plans")).click();
        assertThat(reader.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Upload a plan (CSV)")))
                .hasCount(0);
        assertThat(reader.locator("#plans")).containsText("Reader's view " + tag);
        checked(reader, "plans");
        reader.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Reader's view " + tag)).click();
        assertThat(reader.locator("#preflight tbody tr")).hasCount(2);
        // No action of any kind: the only forms are the list filter's and signing out, neither in the plan's page.
        assertThat(reader.locator("main form")).hasCount(0);
        assertThat(reader.locator("main button:not(.copy)")).hasCount(0);
        assertThat(reader.locator("main")).containsText("It awaits approval by an approver other than its creator");
        checked(reader, "plan-reader");

        // Without the page's token: refused, and nothing changed.
        Page operator = signIn(ConsoleSessions.OPERATOR);
        APIResponse forgedCancel = operator.request().post(url("/console/plans/" + planId + "/cancel"),
                RequestOptions.create().setForm(FormData.create().set("anything", "x")));
        assertThat(forgedCancel.status()).isEqualTo(403);
        assertThat(forgedCancel.text()).contains("Form not accepted");
        Page approver = signIn(ConsoleSessions.APPROVER);
        APIResponse forgedApproval = approver.request().post(url("/console/plans/" + planId + "/decision"),
                RequestOptions.create().setForm(FormData.create().set("decision", "APPROVE")
                        .set("contentHash", created.getString("contentHash"))));
        assertThat(forgedApproval.status()).isEqualTo(403);
        // A reader's post with the token it got is refused for the role.
        reader.navigate(url("/console/plans/" + planId));
        APIResponse readerStart = reader.request().post(url("/console/plans/" + planId + "/start"),
                RequestOptions.create().setForm(FormData.create().set("csrf-token", csrfToken(reader))));
        assertThat(readerStart.status()).isEqualTo(403);
        assertThat(readerStart.text()).contains("Not for your role");
        Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(200)
                .body("state", org.hamcrest.Matchers.equalTo("AWAITING_APPROVAL"))
                .body("approvals.size()", org.hamcrest.Matchers.equalTo(0));
    }

    /**
     * An operator ticks candidates in the Domo browser and makes a plan of them; a missing table is
     * shown at its row. The person is an approver too, and four eyes keep her from approving it:
     * the page says why there is no button, and a decision sent anyway is refused.
     */
    @Test
    void anOperatorMakesAPlanOfTheDomoBrowserSelectionAndCannotApproveIt() {
        warmUpDomo();
        String tag = UUID.randomUUID().toString().substring(0, 8);
        String account = "acc-" + tag;
        List<String> listed = List.of("ds-" + tag + "-1", "ds-" + tag + "-2", "ds-" + tag + "-3");
        stubCandidates(account, listed, listed.get(2));

        Page lead = signIn(ConsoleSessions.LEAD);
        lead.navigate(url("/console/domo/accounts/" + account));
        // A migrated candidate gets no checkbox.
        assertThat(lead.locator("input[type=checkbox]")).hasCount(2);
        lead.getByLabel("Select " + listed.get(0)).check();
        lead.getByLabel("Select " + listed.get(1)).check();
        lead.getByLabel("Table of " + listed.get(0)).fill("orders");
        lead.getByLabel("Catalog (every item)").fill("estate");
        lead.getByLabel("Schema (every item)").fill("NULL");
        checked(lead, "domo-selection");
        lead.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create plan from selection")).click();
        assertThat(lead.getByRole(AriaRole.ALERT)).containsText("No plan created");
        assertThat(lead.getByLabel("Table of " + listed.get(1))).hasAttribute("aria-invalid", "true");
        assertThat(lead.getByLabel("Table of " + listed.get(0))).hasValue("orders");
        assertThat(lead.getByLabel("Select " + listed.get(1))).isChecked();
        checked(lead, "domo-selection-refused");
        lead.getByLabel("Table of " + listed.get(1)).fill("customers");
        lead.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create plan from selection")).click();

        assertThat(lead.getByRole(AriaRole.STATUS).first()).containsText("The preflight ran");
        assertThat(lead.locator("#preflight tbody tr")).hasCount(2);
        assertThat(lead.locator("#preflight")).containsText("estate · NULL · customers");
        assertThat(lead.locator("#decision")).hasCount(0);
        assertThat(lead.locator("#no-decision")).containsText("You created this plan");
        String planId = lead.url().replaceAll("\\?.*", "").replaceAll(".*/", "");
        String hash = Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(200).extract()
                .path("contentHash");
        APIResponse own = lead.request().post(url("/console/plans/" + planId + "/decision"), RequestOptions.create()
                .setForm(FormData.create().set("csrf-token", csrfToken(lead)).set("decision", "APPROVE")
                        .set("contentHash", hash)));
        assertThat(own.status()).isEqualTo(403);
        assertThat(own.text()).contains("cannot approve or reject it");
        Api.asReader().get("/api/v1/plans/" + planId).then().statusCode(200)
                .body("state", org.hamcrest.Matchers.equalTo("AWAITING_APPROVAL"))
                .body("createdBy", org.hamcrest.Matchers.equalTo(ConsoleSessions.LEAD));
    }

    /** The first Domo call of a fresh JVM can outlast the tests' read deadline; a preflight would find everything BLOCKED. */
    private void warmUpDomo() {
        domo.stubFor(get(DOMO_PREFIX + "/types").willReturn(json("[\"mysql-federated\"]")));
        Api.asReader().get("/api/v1/integration-types").then().statusCode(200);
    }

    /** Domo lists these datasources under the account, the one named {@code migrated} (if any) as migrated. */
    private void stubCandidates(String account, List<String> datasources, String migrated) {
        domo.stubFor(get(DOMO_PREFIX + "/candidates/" + account).willReturn(json(datasources.stream()
                .map(id -> "{\"id\":\"" + id + "\",\"name\":\"" + id + "\",\"migrated\":" + id.equals(migrated)
                        + ",\"migrationDate\":null}")
                .collect(java.util.stream.Collectors.joining(",", "[", "]")))));
    }

    /** The CSRF token the page's forms carry. */
    /** The first request so routed gets a stopping replica's 503 (busy, Retry-After: 1); the others go through. */
    private static void busyOnce(com.microsoft.playwright.Route route, int[] seen) {
        if (seen[0]++ == 0) {
            route.fulfill(new com.microsoft.playwright.Route.FulfillOptions().setStatus(503)
                    .setHeaders(java.util.Map.of("Retry-After", "1", "Content-Type", "application/problem+json"))
                    .setBody("{\"status\":503}"));
        } else {
            route.resume();
        }
    }

    private static String csrfToken(Page page) {
        return page.locator("input[name='csrf-token']").first().inputValue();
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
