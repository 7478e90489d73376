package com.domomigrationproxy.plans;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.jboss.logging.Logger;

import com.domomigrationproxy.http.CallerSecrets;
import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.ledger.Sha256;
import com.domomigrationproxy.migration.MigrationService;
import com.domomigrationproxy.problem.BusyGate;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.PrincipalNames;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;

/**
 * Plans: creation with its preflight, four-eyes approval, and every transition of a plan. A
 * transition locks the plan's row, changes it and its items, and appends its event to the audit
 * hash chain in one transaction, so the chain holds every creation, decision, start, pause,
 * resume, cancel, finish, expiry and retry with who and when, or the change did not happen. Domo's
 * GETs (the preflight) run before that transaction, never inside it.
 */
@ApplicationScoped
public class PlanService {

    /** The item ids of each verdict a PLAN_PREFLIGHT event lists at most. */
    private static final int LISTED_CHANGES = 200;
    static final String CREATED = "PLAN_CREATED";
    static final String PREFLIGHT = "PLAN_PREFLIGHT";
    static final String APPROVED = "PLAN_APPROVED";
    static final String REJECTED = "PLAN_REJECTED";
    static final String STARTED = "PLAN_STARTED";
    static final String PAUSED = "PLAN_PAUSED";
    static final String RESUMED = "PLAN_RESUMED";
    static final String CANCELLED = "PLAN_CANCELLED";
    static final String FINISHED = "PLAN_FINISHED";
    static final String EXPIRED = "PLAN_EXPIRED";
    static final String ITEM_RETRIED = "PLAN_ITEM_RETRIED";
    static final String CONTENT_MISMATCH = "PLAN_CONTENT_MISMATCH";

    private static final Duration PACE_WINDOW = Duration.ofMinutes(1);
    /** An item's position in a refusal of a rollback, to be named by the rolled-back plan's itemId. */
    private static final Pattern ROLLBACK_ITEM = Pattern.compile("^items\\[(\\d+)]");
    private static final Logger LOG = Logger.getLogger(PlanService.class);

    private final PlanItems items;
    private final Preflight preflight;
    private final Ledger ledger;
    private final OperationStore operations;
    private final PlanConfig config;
    private final DataSource dataSource;
    private final ObjectMapper json;
    private final MigrationService migrations;
    private final IdempotencyStore idempotency;
    private final CallerSecrets secrets;

    /**
     * One upload or preflight at a time on a replica, an upload from reading its body to storing its
     * items: a plan may be 8 MiB, and two at once, with their trees and items, took more than the
     * chart's heap (security review); so did three 8 MiB plans when only their reading and parsing
     * took turns, since each was then preflighted and stored with its items in memory while the next
     * was parsed, and six preflights at once of a plan of 10,000 items. Another waits up to 10 s.
     */
    private final BusyGate oneAtATime = new BusyGate(1, Duration.ofSeconds(10),
            "Another plan upload or preflight is being handled on this replica", 5);

    /** An upload or preflight holds this replica's turn (what a test waits for, instead of a guess). */
    boolean turnTaken() {
        return oneAtATime.full();
    }

    @Inject
    PlanService(PlanItems items, Preflight preflight, Ledger ledger, OperationStore operations, PlanConfig config,
            DataSource dataSource, ObjectMapper json, MigrationService migrations, IdempotencyStore idempotency,
            CallerSecrets secrets) {
        this.items = items;
        this.secrets = secrets;
        this.preflight = preflight;
        this.ledger = ledger;
        this.operations = operations;
        this.config = config;
        this.dataSource = dataSource;
        this.json = json;
        this.migrations = migrations;
        this.idempotency = idempotency;
    }

    /** A plan just created, or the one an earlier request with the same Idempotency-Key created. */
    public record Created(PlanView plan, boolean replayed) {
    }

    /**
     * {@link #create} once per Idempotency-Key (absent: every time): a repeat of the same upload gets
     * the plan the first one created, as it is now; another upload under the key is a 422, and a
     * repeat while the first still runs a 409. The key is linked to the plan in the transaction that
     * stores it, so a first request that died after storing it still answers for its repeats.
     */
    private Created createOnce(PlanContent content, Requester creator, Optional<String> key) {
        if (key.isEmpty()) {
            return new Created(create(content, creator, null, planId -> {
            }), false);
        }
        IdempotencyStore.Owner owner = new IdempotencyStore.Owner(creator.principal(), creator.authMethod());
        String fingerprint = Sha256.hex("plan\n" + content.contentHash());
        // An upload runs as long as its preflight may, not a migration's deadline, before its key counts as abandoned.
        Duration running = idempotency.abandonedAfter(config.preflightTimeout());
        Optional<IdempotencyStore.Claim> stored = idempotency.storedAnswer(owner, key.get(), fingerprint, running);
        if (stored.isPresent()) {
            return replay(stored.get(), owner, key.get()).orElseGet(() -> createOnce(content, creator, key));
        }
        IdempotencyStore.Claim claim = idempotency.claim(owner, key.get(), fingerprint, running);
        if (!(claim instanceof IdempotencyStore.Claim.Run run)) {
            return replay(claim, owner, key.get()).orElseGet(() -> createOnce(content, creator, key));
        }
        PlanView created;
        AtomicReference<UUID> storing = new AtomicReference<>();
        try {
            created = create(content, creator, null, planId -> {
                idempotency.attach(owner, key.get(), run.claimedAt(), planId);
                storing.set(planId);
            });
        } catch (RuntimeException e) {
            if (storing.get() == null) {
                idempotency.release(owner, key.get(), run.claimedAt());
            }
            // Otherwise the plan may be stored with its key (a failure after the commit): the key stays
            // claimed, so a repeat gets 409 now and the plan once the claim counts as abandoned.
            throw e;
        }
        idempotency.complete(owner, key.get(), run.claimedAt(), 201, created.planId().toString());
        return new Created(created, false);
    }

    /**
     * The plan a stored key names; empty (the key released, to be claimed again) when its first
     * request died before storing one.
     */
    private Optional<Created> replay(IdempotencyStore.Claim claim, IdempotencyStore.Owner owner, String key) {
        UUID planId = claim instanceof IdempotencyStore.Claim.Replay replay ? replay.operationId()
                : ((IdempotencyStore.Claim.ReplayOperation) claim).operationId();
        if (planId != null && QuarkusTransaction.requiringNew().call(() -> Plan.findById(planId)) != null) {
            return Optional.of(new Created(view(planId), true));
        }
        if (claim instanceof IdempotencyStore.Claim.ReplayOperation died) {
            idempotency.release(owner, key, died.claimedAt());
            return Optional.empty();
        }
        // An answer stored without a plan: the key served another request, which the fingerprint did not tell.
        throw new ProblemException(422, ProblemType.IDEMPOTENCY_KEY_REUSED,
                "This Idempotency-Key was first used for a different request; use a new key for a new request");
    }

    private PlanView create(PlanContent content, Requester creator, UUID rollbackOf, Consumer<UUID> onStored) {
        requireInScope(content, creator, creator.scopes(), "its creator's");
        List<PlanItems.Finding> findings = preflight.check(content.direction(), content.items());
        UUID planId = UUID.randomUUID();
        Instant now = now();
        QuarkusTransaction.requiringNew().run(() -> {
            if (rollbackOf != null) {
                refuseRollback(lock(rollbackOf));
                // A retry that ran during the preflight may have changed what there is to roll back.
                List<String> reversed = content.items().stream().map(PlanItemSpec::datasourceId).toList();
                if (!List.copyOf(items.rollbackItems(rollbackOf).keySet()).equals(reversed)) {
                    throw new ProblemException(409, ProblemType.PLAN_STATE, "Items of plan " + rollbackOf
                            + " changed while its rollback was prepared; ask for the rollback again");
                }
            }
            Plan plan = new Plan();
            plan.planId = planId;
            plan.name = content.name();
            plan.direction = content.direction();
            plan.state = PlanState.AWAITING_APPROVAL;
            plan.maxConcurrency = content.maxConcurrency();
            plan.contentHash = content.contentHash();
            plan.itemsHash = content.itemsHash();
            plan.itemCount = content.items().size();
            plan.approvalsRequired = config.approvalsRequired();
            plan.createdBy = creator.principal();
            plan.createdAuthMethod = creator.authMethod();
            plan.createdRequestId = creator.requestId();
            plan.createdAt = now;
            plan.creatorScopes = creator.scopes().toJson();
            plan.rollbackOf = rollbackOf;
            plan.preflightAt = now;
            plan.updatedAt = now;
            plan.persistAndFlush();
            items.insert(planId, content.items(), findings);
            Map<String, Object> members = new LinkedHashMap<>();
            members.put("name", plan.name);
            members.put("direction", plan.direction.name());
            members.put("maxConcurrency", plan.maxConcurrency);
            members.put("itemCount", plan.itemCount);
            members.put("contentHash", plan.contentHash);
            members.put("approvalsRequired", plan.approvalsRequired);
            members.put("scopes", creator.scopes().members());
            members.put("verdicts", verdictCounts(findings));
            if (rollbackOf != null) {
                members.put("rollbackOf", rollbackOf.toString());
            }
            record(plan, CREATED, null, creator, members);
            onStored.accept(planId);
        });
        LOG.infof("Plan %s created by %s: %d item(s), %s, content hash %s", planId, creator.principal(),
                content.items().size(), content.direction(), content.contentHash());
        return view(planId);
    }

    /**
     * A plan uploaded as CSV, the settings given apart (as the API's query parameters), read by
     * {@code body} while no other upload is handled on this replica; 400 lists every bad line.
     */
    public Created createFromCsv(Supplier<byte[]> body, String name, String direction, String maxConcurrency,
            Requester creator, Optional<String> idempotencyKey) {
        return oneAtATime.through(() -> {
            byte[] csv = body.get();
            refuseCredentials(credentialsIn(name, csv));
            return createOnce(PlanUpload.fromCsv(csv, name, direction, maxConcurrency, config.defaultMaxConcurrency()),
                    creator, idempotencyKey);
        });
    }

    /**
     * A plan as the API's JSON body, read by {@code body} while no other upload is handled on this
     * replica; 400 lists every bad field, items named by position ({@code items[0].table}).
     */
    public Created createFromJson(Supplier<JsonNode> body, Requester creator, Optional<String> idempotencyKey) {
        return oneAtATime.through(() -> {
            JsonNode plan = body.get();
            refuseCredentials(secrets.inJson(plan));
            return createOnce(PlanUpload.fromJson(plan, config.defaultMaxConcurrency()), creator, idempotencyKey);
        });
    }

    /**
     * The name, and each line of a CSV plan that carries a credential (an API key's secret, the
     * Domo token), named by its number: looked at before the upload is read, whose errors quote
     * what they refuse.
     */
    private List<Problem.FieldError> credentialsIn(String name, byte[] csv) {
        List<Problem.FieldError> carried = new ArrayList<>();
        Optional.ofNullable(secrets.check("name", name, null)).ifPresent(carried::add);
        int number = 0;
        int start = 0;
        for (int i = 0; i <= csv.length; i++) {
            if (i == csv.length || csv[i] == '\n') {
                number++;
                // A longer line is refused by the upload, by its number only; decoded, it would take the heap.
                // (Its '\r' counts toward the limit there no more than here.)
                int end = i > start && csv[i - 1] == '\r' ? i - 1 : i;
                if (end - start <= PlanUpload.MAX_LINE && lineCarries(new String(csv, start, end - start,
                        StandardCharsets.UTF_8))) {
                    carried.add(new Problem.FieldError("line", CallerSecrets.RULE, number));
                }
                start = i + 1;
            }
        }
        return carried;
    }

    /**
     * The items a preflight changed, by their new verdict: how many, and the first
     * {@value #LISTED_CHANGES} item ids of each (a SIEM may cut a long message; the rest are in the items).
     */
    private static Map<String, Map<String, Object>> changedByVerdict(List<PlanItems.VerdictChange> changed) {
        Map<String, List<Integer>> ids = new TreeMap<>();
        changed.forEach(change -> ids.computeIfAbsent(change.to().name(), verdict -> new ArrayList<>())
                .add(change.itemId()));
        Map<String, Map<String, Object>> byVerdict = new TreeMap<>();
        ids.forEach((verdict, items) -> byVerdict.put(verdict, Map.of("count", items.size(),
                "itemIds", items.subList(0, Math.min(items.size(), LISTED_CHANGES)))));
        return byVerdict;
    }

    /** As sent, and with its quotes taken out as the upload reads a field ({@code "SEC"RET} is SECRET). */
    private boolean lineCarries(String line) {
        return secrets.carried(line, "A line of a plan")
                || line.indexOf('"') >= 0 && secrets.carried(line.replace("\"", ""), "A line of a plan");
    }

    /** 400 naming every field that carries a credential, with nothing stored and no preflight. */
    private static void refuseCredentials(List<Problem.FieldError> carried) {
        if (!carried.isEmpty()) {
            throw CallerSecrets.refusal(carried);
        }
    }

    public PlanView view(UUID planId) {
        return QuarkusTransaction.joiningExisting().call(() -> view(find(planId)));
    }

    /**
     * A page of plans newest first, only those in this state (null: any), from a cursor of an
     * earlier page of the same filter (null: the first page); 400 for any other cursor.
     */
    public PlanPage page(PlanState state, String cursor, int limit) {
        PlanFilter filter = new PlanFilter(state, null, null);
        List<Problem.FieldError> errors = new ArrayList<>();
        PlanFilter.Position after = filter.position(cursor, errors);
        if (!errors.isEmpty()) {
            throw ProblemException.invalid("Invalid query parameters", errors);
        }
        return page(filter, after, limit);
    }

    PlanPage page(PlanFilter filter, PlanFilter.Position after, int limit) {
        List<PlanView> page = new ArrayList<>(list(filter, after, limit + 1));
        String next = null;
        if (page.size() > limit) {
            page.remove(limit);
            next = filter.cursorAfter(page.get(limit - 1));
        }
        return new PlanPage(page, next);
    }

    /** A page of plans, newest first. */
    public List<PlanView> list(PlanFilter filter, PlanFilter.Position after, int limit) {
        return QuarkusTransaction.joiningExisting().call(() -> {
            StringBuilder query = new StringBuilder("1 = 1");
            Map<String, Object> parameters = new HashMap<>();
            if (filter.state() != null) {
                query.append(" and state = :state");
                parameters.put("state", filter.state());
            }
            if (filter.direction() != null) {
                query.append(" and direction = :direction");
                parameters.put("direction", filter.direction());
            }
            if (filter.createdBy() != null) {
                query.append(" and createdBy = :createdBy");
                parameters.put("createdBy", filter.createdBy());
            }
            if (after != null) {
                query.append(" and (createdAt < :at or (createdAt = :at and planId < :id))");
                parameters.put("at", after.createdAt());
                parameters.put("id", after.planId());
            }
            query.append(" order by createdAt desc, planId desc");
            List<Plan> plans = Plan.<Plan>find(query.toString(), parameters).page(0, limit).list();
            Related related = related(plans);
            return plans.stream().map(plan -> view(plan, related)).toList();
        });
    }

    /** Runs the preflight again on the items that have not been sent; the approvals stay (the content is the same). */
    public PlanView preflight(UUID planId, Requester by) {
        Plan before = QuarkusTransaction.requiringNew().call(() -> find(planId));
        requirePreflightable(before);
        return oneAtATime.through(() -> {
            List<PlanItems.Row> pending = items.preflightable(planId);
            // The preflight reads Domo for these items' accounts: only within the caller's own scopes (403, Domo not called).
            requireInScope(before.direction, pending, by, "the preflighter's");
            List<PlanItems.Finding> findings = preflight.check(before.direction,
                    pending.stream().map(PlanItems.Row::spec).toList());
            return transition(planId, plan -> {
                requirePreflightable(plan);
                List<PlanItems.VerdictChange> changed = items.updateVerdicts(planId,
                        pending.stream().map(PlanItems.Row::itemId).toList(), findings, plan.state == PlanState.PAUSED);
                plan.preflightAt = now();
                Map<String, Object> members = new LinkedHashMap<>();
                members.put("checked", pending.size());
                members.put("verdicts", verdictCounts(findings));
                // Which items changed, by their new verdict: an item found READY now runs (once started or
                // resumed) though the approver may have seen it BLOCKED; the chain says which.
                members.put("verdictsChanged", changedByVerdict(changed));
                record(plan, PREFLIGHT, plan.state, by, members);
                return view(plan);
            });
        });
    }

    /** An approver's decision, bound to the content hash the approver saw. */
    public PlanView decide(UUID planId, ApprovalRequest request, Requester approver) {
        return transition(planId, plan -> {
            if (samePerson(approver.principal(), plan.createdBy)) {
                throw new ProblemException(403, ProblemType.SELF_APPROVAL, "Plan " + planId + " was created by "
                        + approver.principal() + ", who therefore cannot approve or reject it");
            }
            if (plan.state != PlanState.AWAITING_APPROVAL) {
                throw stateConflict(plan, "decide on");
            }
            if (!plan.contentHash.equals(request.contentHash())) {
                String sent = HEX_HASH.matcher(request.contentHash()).matches() ? request.contentHash() : "sent";
                throw new ProblemException(409, ProblemType.PLAN_CONTENT_MISMATCH, "The contentHash " + sent
                        + " is not plan " + planId + "'s (" + plan.contentHash + "): look at the plan again");
            }
            Instant now = now();
            List<PlanApproval> decisions = new ArrayList<>(PlanApproval.of(planId));
            if (decisions.stream().anyMatch(earlier -> samePerson(earlier.decidedBy, approver.principal())
                    && now.isBefore(earlier.expiresAt))) {
                throw new ProblemException(409, ProblemType.DUPLICATE_DECISION, approver.principal()
                        + " has already decided on plan " + planId);
            }
            PlanApproval decision = new PlanApproval();
            decision.approvalId = UUID.randomUUID();
            decision.planId = planId;
            decision.decidedBy = approver.principal();
            decision.authMethod = approver.authMethod();
            decision.requestId = approver.requestId();
            decision.decision = request.decision();
            decision.contentHash = request.contentHash();
            decision.comment = request.comment();
            decision.decidedAt = now;
            decision.expiresAt = now.plus(config.approvalTtl());
            decision.persist();
            decisions.add(decision);

            Map<String, Object> members = new LinkedHashMap<>();
            members.put("contentHash", request.contentHash());
            if (request.comment() != null) {
                members.put("comment", request.comment());
            }
            PlanState previous = plan.state;
            if (request.decision() == Decision.REJECT) {
                plan.state = PlanState.REJECTED;
                plan.finishedAt = now;
                // Its items will never be sent: not left "waiting for their turn".
                members.put("skipped", items.skipWaiting(planId, "the plan was rejected"));
                record(plan, REJECTED, previous, approver, members);
            } else {
                long counting = counting(plan, decisions, now).size();
                if (counting >= plan.approvalsRequired) {
                    plan.state = PlanState.APPROVED;
                }
                members.put("approvals", counting);
                members.put("approvalsRequired", plan.approvalsRequired);
                members.put("expiresAt", decision.expiresAt.toString());
                record(plan, APPROVED, previous, approver, members);
            }
            return view(plan);
        });
    }

    private static final Pattern HEX_HASH = Pattern.compile("[0-9a-f]{64}");
    /** The earlier rejections of a plan's items a view lists, newest first. */
    private static final int EARLIER_REJECTIONS_SHOWN = 5;

    /**
     * Whether two principals name one person for the four-eyes rule: in any letter case and Unicode
     * form ("Alice" and "alice" are one approver; a provider may hand out either), as an API key's
     * name is reserved from JWTs in any letter case.
     */
    public static boolean samePerson(String one, String other) {
        return PrincipalNames.folded(one).equals(PrincipalNames.folded(other));
    }

    /** The approvals that count now: unexpired, of the plan's content, one per person, none by its creator. */
    private static List<PlanApproval> counting(Plan plan, List<PlanApproval> decisions, Instant now) {
        return byDistinctPeople(decisions.stream().filter(approval -> approval.counts(plan.contentHash, now)).toList(),
                plan.createdBy);
    }

    /**
     * The approvals that make four eyes: one per person (as {@link #samePerson} tells them apart),
     * none by the creator. Each decision is checked so when it is made; an approval stored before
     * that check folded letter case and Unicode forms, or written to the table by another way than
     * the service, is checked again here, where it would let items run.
     */
    private static List<PlanApproval> byDistinctPeople(List<PlanApproval> approvals, String creator) {
        Map<String, PlanApproval> people = new LinkedHashMap<>();
        for (PlanApproval approval : approvals) {
            if (!samePerson(approval.decidedBy, creator)) {
                people.putIfAbsent(PrincipalNames.folded(approval.decidedBy), approval);
            }
        }
        return List.copyOf(people.values());
    }

    public PlanView start(UUID planId, Requester by) {
        boolean[] expired = new boolean[1];
        PlanView started = transition(planId, plan -> {
            if (plan.state == PlanState.AWAITING_APPROVAL) {
                throw notApproved(plan, "it awaits approval");
            }
            if (plan.state != PlanState.APPROVED) {
                throw stateConflict(plan, "start");
            }
            Instant now = now();
            List<PlanApproval> counting = counting(plan, PlanApproval.of(planId), now);
            if (counting.size() < plan.approvalsRequired) {
                expire(plan, now);
                expired[0] = true;
                return null;
            }
            List<PlanItems.Row> stored = items.rows(planId);
            requireApprovedContent(plan, stored, by);
            // Items run under the creator's grant (checked at creation); whoever starts the plan sends
            // them too, so an item outside the starter's own grant stops the start and nothing runs.
            requireInScope(plan.direction, stored, by, "the starter's");
            int skipped = items.skipNotReady(planId);
            plan.state = PlanState.RUNNING;
            plan.startedBy = by.principal();
            plan.startedAuthMethod = by.authMethod();
            plan.startedAt = now;
            Map<String, Object> members = new LinkedHashMap<>();
            members.put("approvedBy", counting.stream().map(approval -> approval.decidedBy).toList());
            members.put("toRun", plan.itemCount - skipped);
            members.put("skipped", skipped);
            record(plan, STARTED, PlanState.APPROVED, by, members);
            return view(plan);
        });
        if (expired[0]) {
            throw notApproved(null, "its approvals no longer count (they expired after PROXY_PLAN_APPROVAL_TTL "
                    + config.approvalTtl() + ", or are not from enough people other than its creator) before it was"
                    + " started; it is now EXPIRED: upload it again for a new approval");
        }
        LOG.infof("Plan %s started by %s", planId, by.principal());
        return started;
    }

    public PlanView pause(UUID planId, Requester by) {
        return move(planId, by, PlanState.RUNNING, PlanState.PAUSED, PAUSED, "pause", plan -> {
        });
    }

    /**
     * Runs a paused plan again. Whoever resumes it makes the items not yet sent go to Domo (those
     * waiting, and those claimed by a replica that died before sending them), so
     * they must be within that person's scopes too, as at start (403 out-of-scope naming them; the
     * plan stays PAUSED). Pause and cancel send nothing, and any operator may stop a run.
     */
    public PlanView resume(UUID planId, Requester by) {
        return move(planId, by, PlanState.PAUSED, PlanState.RUNNING, RESUMED, "resume", plan -> {
            // Sending starts again: what runs must still be what was approved, as at start.
            requireApprovedContent(plan, items.rows(planId), by);
            requireInScope(plan.direction, items.unsent(planId), by, "the resumer's");
            items.releaseUnsent(planId, by);
        });
    }

    public PlanView cancel(UUID planId, Requester by) {
        return transition(planId, plan -> {
            if (plan.state.done()) {
                throw stateConflict(plan, "cancel");
            }
            PlanState previous = plan.state;
            int skipped = items.skipWaiting(planId, "the plan was cancelled");
            plan.state = PlanState.CANCELLED;
            plan.finishedAt = now();
            Map<String, Object> members = new LinkedHashMap<>();
            members.put("skipped", skipped);
            // Claimed or sent: they end as their operations do, or are skipped by the sweep if nothing was sent.
            // An outcome not known yet is not ended either: reconciliation may still find it took effect.
            members.put("inFlight", items.count(planId, ItemState.RUNNING, ItemState.UNKNOWN));
            record(plan, CANCELLED, previous, by, members);
            return view(plan);
        });
    }

    /**
     * A new reversal plan of the items that changed Domo or may have (see changedDatasources); it
     * needs its own approval. One at a time: while a rollback of the plan may still run (not
     * rejected, expired or cancelled), a second one would reverse the same items again.
     */
    public PlanView rollback(UUID planId, Requester by) {
        Plan source = QuarkusTransaction.requiringNew().call(() -> find(planId));
        refuseRollback(source);
        Map<String, Integer> completed = items.rollbackItems(planId);
        if (completed.isEmpty()) {
            throw new ProblemException(409, ProblemType.PLAN_STATE, "No item of plan " + planId
                    + " completed or may have changed Domo, or another operation has changed each since (a"
                    + " reversal, another plan, a cancelled rollback): there is nothing to roll back");
        }
        List<Integer> itemIds = List.copyOf(completed.values());
        PlanContent reversal = new PlanContent(truncate("Rollback of " + source.name), Direction.V2_TO_V1,
                source.maxConcurrency, completed.keySet().stream().map(PlanItemSpec::reversal).toList());
        try {
            return oneAtATime.through(() -> create(reversal, by, planId, stored -> {
            }));
        } catch (ProblemException refused) {
            if (refused.type() != ProblemType.OUT_OF_SCOPE || refused.extensions().errors() == null) {
                throw refused;
            }
            // Named by the rolled-back plan's items, the ones the caller sees, not by positions in a plan never stored.
            throw refused.withErrors(refused.extensions().errors().stream().map(error -> new Problem.FieldError(
                    ROLLBACK_ITEM.matcher(error.field()).replaceFirst(match -> "items["
                            + itemIds.get(Integer.parseInt(match.group(1))) + "]"), error.message(), error.line()))
                    .toList());
        }
    }

    /**
     * 409 unless the plan can be rolled back now. Checked first, and again with the plan's row
     * locked in the transaction that creates the rollback, where a retry of one of its items, which
     * takes the same lock, cannot reopen it meanwhile.
     */
    private void refuseRollback(Plan source) {
        UUID planId = source.planId;
        if (source.direction != Direction.V1_TO_V2) {
            throw new ProblemException(409, ProblemType.PLAN_STATE, "Plan " + planId + " reverses migrations; a"
                    + " rollback plan reverses the completed migrations of a V1_TO_V2 plan");
        }
        if (source.state != PlanState.FINISHED && source.state != PlanState.CANCELLED) {
            throw stateConflict(source, "roll back");
        }
        // An item in flight or of unknown outcome may still end COMPLETE: a rollback now would leave it migrated.
        long unsettled = items.count(planId, ItemState.RUNNING, ItemState.UNKNOWN);
        if (unsettled > 0) {
            throw new ProblemException(409, ProblemType.PLAN_STATE, unsettled + " item(s) of plan " + planId
                    + " are still running or have an unknown outcome: roll back once they have ended (an unknown"
                    + " outcome is reconciled, by the service or by hand)");
        }
        refuseWhileRolledBack(planId, "a second rollback would reverse the same items again");
    }

    /**
     * A rollback plan of another plan, as that plan's page links to it; for a cancelled one, whether
     * reversals it sent still run or have an unknown outcome, and the data sources it reversed or may
     * have: what {@link #refuseWhileRolledBack} and {@link #refuseWhereACancelledRollbackReversed} read.
     */
    public record Rollback(UUID planId, PlanState state, boolean unsettled, List<String> reversed) {

        /**
         * It may still run, or ran, or (cancelled) reversals it sent have not ended: the plan takes no
         * other rollback, nor a retry.
         */
        public boolean holds() {
            return state != PlanState.REJECTED && state != PlanState.EXPIRED && state != PlanState.CANCELLED
                    || unsettled;
        }
    }

    /** How many items a rollback of the plan would reverse now (0: the service refuses it, 409). */
    public int itemsToRollBack(UUID planId) {
        return items.rollbackItems(planId).size();
    }

    /** The plan's rollback plans, oldest first. */
    public List<Rollback> rollbacks(UUID planId) {
        return QuarkusTransaction.joiningExisting().call(() -> Plan.<Plan>list("rollbackOf = ?1 order by createdAt",
                planId).stream().map(rollback -> rollback.state != PlanState.CANCELLED
                        ? new Rollback(rollback.planId, rollback.state, false, List.of())
                        : new Rollback(rollback.planId, rollback.state,
                                items.count(rollback.planId, ItemState.RUNNING, ItemState.UNKNOWN) > 0,
                                items.changedDatasources(rollback.planId))).toList());
    }

    /**
     * 409 while the plan has a rollback that is not rejected, expired or cancelled: one that may
     * still run, or one that ran (then a new plan is the way to move those data sources again).
     */
    private void refuseWhileRolledBack(UUID planId, String why) {
        QuarkusTransaction.joiningExisting().call(() -> Plan.<Plan>find(
                "rollbackOf = ?1 and state not in ?2 order by createdAt", planId,
                List.of(PlanState.REJECTED, PlanState.EXPIRED, PlanState.CANCELLED)).firstResultOptional())
                .ifPresent(rollback -> {
                    throw new ProblemException(409, ProblemType.PLAN_STATE, "Plan " + planId + " has rollback plan "
                            + rollback.planId + " (" + rollback.state + "): " + why + (rollback.state == PlanState.FINISHED
                                    ? "; create a new plan to move these data sources again"
                                    : "; cancel or reject the rollback first"));
                });
        // A cancelled rollback's reversals already sent still run, or may have taken effect unknown to us.
        for (Plan cancelled : cancelledRollbacks(planId)) {
            long unsettled = items.count(cancelled.planId, ItemState.RUNNING, ItemState.UNKNOWN);
            if (unsettled > 0) {
                throw new ProblemException(409, ProblemType.PLAN_STATE, "Plan " + planId + " has rollback plan "
                        + cancelled.planId + " (CANCELLED) with " + unsettled + " reversal(s) still running or of"
                        + " unknown outcome: " + why + "; wait until they have ended (an unknown outcome is reconciled)");
            }
        }
    }

    /**
     * 409 when a cancelled rollback of the plan reversed this data source, or may have: it ran for
     * it, and moving it again takes a new plan, as after a rollback that finished.
     */
    private void refuseWhereACancelledRollbackReversed(UUID planId, String datasourceId) {
        for (Plan cancelled : cancelledRollbacks(planId)) {
            if (items.changedDatasources(cancelled.planId).contains(datasourceId)) {
                throw new ProblemException(409, ProblemType.PLAN_STATE, "Plan " + planId + " has rollback plan "
                        + cancelled.planId + " (CANCELLED), which reversed data source " + datasourceId
                        + " or may have: a retry would migrate it again; create a new plan to move it again");
            }
        }
    }

    private List<Plan> cancelledRollbacks(UUID planId) {
        return QuarkusTransaction.joiningExisting().call(() -> Plan.<Plan>list("rollbackOf = ?1 and state = ?2", planId,
                PlanState.CANCELLED));
    }

    /** Sends an INCOMPLETE, ABORTED or FAILED item again; a finished plan runs again for it. */
    public ItemView retry(UUID planId, int itemId, Requester by) {
        try {
            reopen(planId, itemId, by);
        } catch (ProblemException e) {
            if (e.type() == ProblemType.PLAN_CONTENT_MISMATCH) {
                pauseChanged(planId, by);
            }
            throw e;
        }
        return item(planId, itemId);
    }

    /**
     * A running plan a retry found changed is paused: its executor does not hash the items it sends
     * (start and resume do), and would go on sending what nobody approved. After the retry's own
     * transaction, which held the plan's row; a resume then finds the change too.
     */
    private void pauseChanged(UUID planId, Requester by) {
        try {
            transition(planId, plan -> {
                if (plan.state == PlanState.RUNNING) {
                    plan.state = PlanState.PAUSED;
                    Map<String, Object> members = new LinkedHashMap<>();
                    members.put("reason", "its stored items no longer hash to the approved content");
                    record(plan, PAUSED, PlanState.RUNNING, by, members);
                    LOG.errorf("Plan %s paused: its stored items no longer hash to the approved content", planId);
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.errorf(e, "Plan %s was found changed but could not be paused", planId);
        }
    }

    private void reopen(UUID planId, int itemId, Requester by) {
        transition(planId, plan -> {
            // An item the plan does not have is a 404 whatever the plan's state, as a plan that does not exist is.
            PlanItems.Row item = items.find(planId, itemId).orElseThrow(() -> new ProblemException(404,
                    ProblemType.NOT_FOUND, "Plan " + planId + " has no item " + itemId));
            if (plan.state != PlanState.RUNNING && plan.state != PlanState.PAUSED && plan.state != PlanState.FINISHED) {
                throw stateConflict(plan, "retry an item of");
            }
            refuseWhileRolledBack(planId, "a retry would migrate again what it reverses");
            refuseWhereACancelledRollbackReversed(planId, item.spec().datasourceId());
            // The retry sends the item to Domo again: it must be within the scopes of whoever asks.
            requireInScope(plan.direction, List.of(item), by, "the retrier's");
            boolean retryable = item.state().retryable(item.operationId() != null, item.verdict());
            if (retryable) {
                requireApprovedContent(plan, items.rows(planId), by); // as at start: it sends again
            }
            if (!retryable || !items.retry(planId, itemId, by)) {
                throw new ProblemException(409, ProblemType.PLAN_ITEM_STATE, "Item " + itemId + " is " + item.state()
                        + "; only INCOMPLETE, ABORTED and FAILED items, and those a preflight skipped after they were"
                        + " sent, are sent again");
            }
            PlanState previous = plan.state;
            if (plan.state == PlanState.FINISHED) {
                plan.state = PlanState.RUNNING;
                plan.finishedAt = null;
            }
            Map<String, Object> members = new LinkedHashMap<>();
            members.put("itemId", itemId);
            members.put("datasourceId", item.spec().datasourceId());
            members.put("itemState", item.state().name());
            if (item.operationId() != null) {
                members.put("operationId", item.operationId().toString());
            }
            if (item.state() == ItemState.SKIPPED) {
                // The preflight's finding the operator overrode, on the record as PLAN_PREFLIGHT's changes are.
                members.put("overriddenVerdict", item.verdict().name());
                if (item.reason() != null) {
                    members.put("overriddenReason", item.reason());
                }
            }
            members.put("reopened", previous == PlanState.FINISHED);
            record(plan, ITEM_RETRIED, previous, by, members);
            return null;
        });
    }

    public ItemView item(UUID planId, int itemId) {
        find(planId);
        PlanItems.Row row = items.find(planId, itemId).orElseThrow(() -> new ProblemException(404,
                ProblemType.NOT_FOUND, "Plan " + planId + " has no item " + itemId));
        return ItemView.of(row, row.operationId() == null ? null
                : operations.find(row.operationId()).map(Operation::outcome).orElse(null));
    }

    /** A page of items in plan order, with their latest operation's outcome. */
    public List<ItemView> items(UUID planId, PlanItems.Filter filter, int afterItemId, int limit) {
        find(planId);
        return withOperations(items.page(planId, filter, afterItemId, limit));
    }

    /** A page of items in plan order, only those in this state and with this verdict (null: any). */
    public List<ItemView> items(UUID planId, ItemState state, Verdict verdict, int afterItemId, int limit) {
        return items(planId, new PlanItems.Filter(state, verdict), afterItemId, limit);
    }

    /** How many items name each target account ("" for reversals, which name none), by verdict; accounts in order. */
    public Map<String, Map<Verdict, Long>> itemsByAccount(UUID planId) {
        find(planId);
        return items.byAccount(planId);
    }

    /** Every item matching the filter, a thousand at a time, for the report. */
    public void eachItem(UUID planId, PlanItems.Filter filter, Consumer<ItemView> sink) {
        int after = 0;
        while (true) {
            List<PlanItems.Row> page = items.page(planId, filter, after, 1_000);
            withOperations(page).forEach(sink);
            if (page.size() < 1_000) {
                return;
            }
            after = page.get(page.size() - 1).itemId();
        }
    }

    /** The plan exists (404 otherwise); what is needed to stream its events. */
    public PlanState state(UUID planId) {
        return QuarkusTransaction.joiningExisting().call(() -> find(planId).state);
    }

    /** Finishes a running plan none of whose items waits, runs or has an unknown outcome. */
    void finishIfDone(UUID planId) {
        if (items.open(planId) > 0) {
            return;
        }
        transition(planId, plan -> {
            if (plan.state != PlanState.RUNNING || items.open(planId) > 0) {
                return null;
            }
            plan.state = PlanState.FINISHED;
            plan.finishedAt = now();
            Map<String, Object> members = new LinkedHashMap<>();
            members.put("counts", items.counts(planId));
            record(plan, FINISHED, PlanState.RUNNING, null, members);
            LOG.infof("Plan %s finished: %s", planId, members.get("counts"));
            return null;
        });
    }

    /** Domo asked to slow down: no item of the plan is sent before {@code until}, on any replica. */
    void throttle(UUID planId, Instant until, String reason) {
        QuarkusTransaction.requiringNew().run(() -> Plan.update(
                "notBefore = ?1, throttleReason = ?2, updatedAt = ?3 where planId = ?4 and (notBefore is null"
                        + " or notBefore < ?1)", until, reason, now(), planId));
    }

    /** Running plans, oldest start first. */
    List<UUID> running() {
        return QuarkusTransaction.requiringNew().call(() -> Plan.<Plan>list("state = ?1 order by startedAt",
                PlanState.RUNNING).stream().map(plan -> plan.planId).toList());
    }

    /** Approved plans whose approvals expired before they started become EXPIRED. Every replica may run it. */
    @Scheduled(identity = "plan-approval-expiry", every = "${proxy.plan.expiry-check-interval:60s}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void expireApprovals() {
        try {
            List<UUID> approved = QuarkusTransaction.requiringNew().call(() -> Plan.<Plan>list("state",
                    PlanState.APPROVED).stream().map(plan -> plan.planId).toList());
            for (UUID planId : approved) {
                transition(planId, plan -> {
                    Instant now = now();
                    if (plan.state == PlanState.APPROVED
                            && counting(plan, PlanApproval.of(planId), now).size() < plan.approvalsRequired) {
                        expire(plan, now);
                    }
                    return null;
                });
            }
        } catch (RuntimeException e) {
            LOG.warnf("Checking plan approvals for expiry failed: %s", e.getMessage());
        }
    }

    private void expire(Plan plan, Instant now) {
        plan.state = PlanState.EXPIRED;
        plan.finishedAt = now;
        Map<String, Object> members = new LinkedHashMap<>();
        members.put("approvalTtl", config.approvalTtl().toString());
        members.put("skipped", items.skipWaiting(plan.planId, "the plan's approvals expired"));
        record(plan, EXPIRED, PlanState.APPROVED, null, members);
        LOG.infof("Plan %s expired: its approvals no longer counted before it was started", plan.planId);
    }

    private PlanView move(UUID planId, Requester by, PlanState from, PlanState to, String kind, String verb,
            Consumer<Plan> allowed) {
        return transition(planId, plan -> {
            if (plan.state != from) {
                throw stateConflict(plan, verb);
            }
            allowed.accept(plan);
            plan.state = to;
            // Domo's Retry-After (notBefore) outlives a pause: a resume within it still waits for it.
            record(plan, kind, from, by, new LinkedHashMap<>());
            return view(plan);
        });
    }

    /** Locks the plan's row, applies the change, commits; a ProblemException thrown inside rolls it all back. */
    private <T> T transition(UUID planId, Function<Plan, T> change) {
        return QuarkusTransaction.requiringNew().call(() -> change.apply(lock(planId)));
    }

    /** The plan, its row locked until the transaction ends. */
    private Plan lock(UUID planId) {
        // NO KEY UPDATE, not FOR UPDATE: an operation's intent transaction inserts plan events (a foreign
        // key to this row) while holding the chain's lock, which this transaction takes later.
        List<?> locked = Plan.getEntityManager()
                .createNativeQuery("SELECT plan_id FROM plan WHERE plan_id = ?1 FOR NO KEY UPDATE")
                .setParameter(1, planId).getResultList();
        if (locked.isEmpty()) {
            throw notFound(planId);
        }
        return find(planId);
    }

    /** What every plan event in the chain says first: the plan, its state (and the one before), and who. */
    private static Map<String, Object> eventMembers(Plan plan, PlanState previous, Requester by) {
        Map<String, Object> members = new LinkedHashMap<>();
        members.put("planId", plan.planId.toString());
        members.put("state", plan.state.name());
        if (previous != null) {
            members.put("previousState", previous.name());
        }
        if (by != null) {
            members.put("by", by.principal());
            members.put("authMethod", by.authMethod());
            members.put("requestId", by.requestId());
        }
        return members;
    }

    /** The transition's event in the hash chain, and in the plan's event stream, in the current transaction. */
    private void record(Plan plan, String kind, PlanState previous, Requester by, Map<String, Object> details) {
        plan.updatedAt = now();
        Map<String, Object> members = eventMembers(plan, previous, by);
        members.putAll(details);
        ledger.append(kind, plan.planId.toString(), members);
        Map<String, Object> data = new LinkedHashMap<>(members);
        // Every plan reader gets the stream; a principal's grant is for auditors (the chain above).
        data.remove("scopes");
        data.put("event", kind);
        data.put("at", now().toString());
        try (Connection connection = dataSource.getConnection()) {
            PlanEvents.plan(connection, plan.planId, plan.state, json.writeValueAsString(data));
        } catch (SQLException | JsonProcessingException e) {
            throw new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The plan store is unavailable; retry later",
                    e);
        }
    }

    private PlanView view(Plan plan) {
        return view(plan, related(List.of(plan)));
    }

    /**
     * What the views of these plans read beyond their rows, each kind read once for them all: a
     * page of plans costs a few queries, not a few a plan (the pace of a running plan aside).
     */
    private record Related(Map<UUID, List<PlanApproval>> approvals, Map<UUID, Map<String, Long>> counts,
            List<Plan> rejectedAlike, Map<UUID, PlanApproval> rejections) {

        List<PlanApproval> approvalsOf(UUID planId) {
            return approvals.getOrDefault(planId, List.of());
        }
    }

    private Related related(List<Plan> plans) {
        List<UUID> ids = plans.stream().map(plan -> plan.planId).toList();
        Map<UUID, List<PlanApproval>> approvals = new HashMap<>();
        List<String> itemsHashes = plans.stream().map(plan -> plan.itemsHash).filter(hash -> hash != null).distinct()
                .toList();
        List<Plan> rejectedAlike = itemsHashes.isEmpty() ? List.of()
                : Plan.<Plan>list("itemsHash in ?1 and state = ?2 order by finishedAt desc", itemsHashes,
                        PlanState.REJECTED);
        // The decisions of the plans shown and of those rejected like them: one query.
        List<UUID> decided = new ArrayList<>(ids);
        rejectedAlike.forEach(rejected -> decided.add(rejected.planId));
        Map<UUID, PlanApproval> rejections = new HashMap<>();
        for (PlanApproval approval : PlanApproval.<PlanApproval>list("planId in ?1 order by decidedAt",
                decided.stream().distinct().toList())) {
            approvals.computeIfAbsent(approval.planId, planId -> new ArrayList<>()).add(approval);
            if (approval.decision == Decision.REJECT) {
                rejections.put(approval.planId, approval); // the last, as they come in order
            }
        }
        return new Related(approvals, items.counts(ids), rejectedAlike, rejections);
    }

    private PlanView view(Plan plan, Related related) {
        Instant now = now();
        List<PlanView.ApprovalView> approvals = related.approvalsOf(plan.planId).stream()
                .map(approval -> new PlanView.ApprovalView(approval.decidedBy, approval.decision, approval.decidedAt,
                        approval.comment, approval.contentHash, approval.expiresAt,
                        approval.decision == Decision.APPROVE && plan.startedAt == null
                                && !now.isBefore(approval.expiresAt)))
                .toList();
        PlanView.Progress progress = null;
        if (plan.state == PlanState.RUNNING || plan.state == PlanState.PAUSED) {
            Instant since = plan.startedAt.isAfter(now.minus(PACE_WINDOW)) ? plan.startedAt : now.minus(PACE_WINDOW);
            PlanItems.Pace pace = items.pace(plan.planId, since);
            double seconds = Math.max(1, Duration.between(since, now).toMillis() / 1000.0);
            double perMinute = Math.round(pace.finishedSince() * 60 / seconds * 10) / 10.0;
            // None to run, yet running: items of unknown outcome wait for reconciliation, which no pace foretells.
            Long left = perMinute > 0 && plan.state == PlanState.RUNNING && pace.remaining() > 0
                    ? Math.round(pace.remaining() / (perMinute / 60)) : null;
            boolean throttled = plan.notBefore != null && plan.notBefore.isAfter(now);
            progress = new PlanView.Progress(perMinute, pace.remaining(), left, throttled ? plan.notBefore : null,
                    throttled ? plan.throttleReason : null);
        }
        return new PlanView(plan.planId, plan.name, plan.direction, plan.state, plan.createdBy, plan.createdAuthMethod,
                plan.createdAt, plan.contentHash, plan.maxConcurrency, plan.itemCount, plan.approvalsRequired,
                approvals, earlierRejections(plan, approvals, related), related.counts().get(plan.planId),
                plan.preflightAt, plan.startedBy, plan.startedAt, plan.finishedAt, plan.rollbackOf, progress);
    }

    /**
     * The latest rejections of other plans with the same items (whatever their name, maxConcurrency
     * or order): a plan a colleague rejected, uploaded again, is no fresh question for its next
     * approver, who is shown who rejected it, when and why. Those made before this plan was
     * decided on (its last decision, or its end): a later one was no part of that decision.
     */
    private static List<PlanView.EarlierRejection> earlierRejections(Plan plan, List<PlanView.ApprovalView> decisions,
            Related related) {
        if (plan.itemsHash == null) {
            return List.of();
        }
        Instant decided = plan.state == PlanState.AWAITING_APPROVAL ? null
                : decisions.isEmpty() ? (plan.finishedAt != null ? plan.finishedAt : plan.updatedAt)
                : decisions.get(decisions.size() - 1).at();
        List<PlanView.EarlierRejection> earlier = new ArrayList<>();
        for (Plan other : related.rejectedAlike()) {
            if (earlier.size() == EARLIER_REJECTIONS_SHOWN) {
                break;
            }
            if (!other.itemsHash.equals(plan.itemsHash) || other.planId.equals(plan.planId)
                    || decided != null && (other.finishedAt == null || !other.finishedAt.isBefore(decided))) {
                continue;
            }
            PlanApproval rejection = related.rejections().get(other.planId);
            if (rejection != null) {
                earlier.add(new PlanView.EarlierRejection(other.planId, other.name, rejection.decidedBy,
                        rejection.decidedAt, rejection.comment));
            }
        }
        return earlier;
    }

    private List<ItemView> withOperations(List<PlanItems.Row> rows) {
        List<UUID> ids = rows.stream().map(PlanItems.Row::operationId).filter(id -> id != null).toList();
        Map<UUID, Outcome> outcomes = operations.outcomes(ids);
        List<ItemView> views = new ArrayList<>(rows.size());
        for (PlanItems.Row row : rows) {
            views.add(ItemView.of(row, row.operationId() == null ? null : outcomes.get(row.operationId())));
        }
        return views;
    }

    private Plan find(UUID planId) {
        return QuarkusTransaction.joiningExisting().call(() -> Optional.ofNullable(Plan.<Plan>findById(planId))
                .orElseThrow(() -> notFound(planId)));
    }

    private static void requirePreflightable(Plan plan) {
        if (plan.state != PlanState.AWAITING_APPROVAL && plan.state != PlanState.APPROVED
                && plan.state != PlanState.PAUSED) {
            throw stateConflict(plan, "run the preflight of");
        }
    }

    private static Map<String, Long> verdictCounts(List<PlanItems.Finding> findings) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Verdict verdict : Verdict.values()) {
            counts.put(verdict.name(), findings.stream().filter(finding -> finding.verdict() == verdict).count());
        }
        return counts;
    }

    private static ProblemException stateConflict(Plan plan, String verb) {
        return new ProblemException(409, ProblemType.PLAN_STATE, "Cannot " + verb + " plan " + plan.planId
                + ": it is " + plan.state);
    }

    private static ProblemException notApproved(Plan plan, String why) {
        return new ProblemException(409, ProblemType.PLAN_NOT_APPROVED, "The plan cannot start: " + why
                + (plan == null ? "" : " (" + counting(plan, PlanApproval.of(plan.planId), now()).size() + " of "
                        + plan.approvalsRequired + " approval(s))"));
    }

    private static ProblemException notFound(UUID planId) {
        return new ProblemException(404, ProblemType.NOT_FOUND, "No plan " + planId);
    }

    private static String truncate(String name) {
        return name.codePointCount(0, name.length()) <= 255 ? name
                : name.substring(0, name.offsetByCodePoints(0, 254)) + "…";
    }

    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * 409 unless the stored settings and items still hash to the content the approvals name: what
     * was approved is what runs, even if the tables were changed past their triggers (V11). The
     * refusal is a chain event of its own, committed apart from the start it refuses (which rolls
     * back), so that auditors see the tampering, not only the log.
     */
    private void requireApprovedContent(Plan plan, List<PlanItems.Row> stored, Requester by) {
        PlanContent content = new PlanContent(plan.name, plan.direction, plan.maxConcurrency,
                stored.stream().map(PlanItems.Row::spec).toList());
        String hash = content.contentHash();
        if (hash.equals(plan.contentHash) || content.contentHashWithEscapedSurrogates().equals(plan.contentHash)) {
            return;
        }
        LOG.errorf("Plan %s was changed after its creation: its stored content hashes to %s, not to the approved %s",
                plan.planId, hash, plan.contentHash);
        Map<String, Object> members = eventMembers(plan, null, by);
        members.put("contentHash", plan.contentHash);
        members.put("storedContentHash", hash);
        try {
            QuarkusTransaction.requiringNew().run(() -> ledger.append(CONTENT_MISMATCH, plan.planId.toString(), members));
        } catch (RuntimeException e) {
            LOG.errorf(e, "The refusal to run changed plan %s could not be recorded in the audit chain", plan.planId);
        }
        throw new ProblemException(409, ProblemType.PLAN_CONTENT_MISMATCH, "Plan " + plan.planId
                + " no longer holds the content that was approved (its stored items hash to " + hash
                + "): it was changed outside the service, so it does not run; upload the plan again");
    }

    /**
     * 403 out-of-scope naming every item the scopes refuse (by its position from 0, as the upload's
     * errors and the console's form do), with nothing stored; the same rule as a single migration
     * or reversal.
     */
    private void requireInScope(PlanContent content, Requester requester, Scopes scopes, String whose) {
        List<Problem.FieldError> refused = new ArrayList<>();
        for (int i = 0; i < content.items().size(); i++) {
            Integer line = content.line(i); // a CSV's item is named by its line too, as the upload's other errors
            inScope(content.direction(), i, content.items().get(i), requester, scopes)
                    .map(error -> line == null ? error : new Problem.FieldError(error.field(), error.message(), line))
                    .ifPresent(refused::add);
        }
        refuse(refused, whose);
    }

    /** {@link #requireInScope} for stored items, named by their itemId, against the requester's own scopes. */
    private void requireInScope(Direction direction, List<PlanItems.Row> rows, Requester requester, String whose) {
        List<Problem.FieldError> refused = new ArrayList<>();
        for (PlanItems.Row row : rows) {
            inScope(direction, row.itemId(), row.spec(), requester, requester.scopes()).ifPresent(refused::add);
        }
        refuse(refused, whose);
    }

    private Optional<Problem.FieldError> inScope(Direction direction, int item, PlanItemSpec spec, Requester requester,
            Scopes scopes) {
        OperationIntent intent = direction == Direction.V1_TO_V2
                ? OperationIntent.migration(spec.datasourceId(), spec.accountId(), spec.catalog(), spec.schema(),
                        spec.table(), requester)
                : OperationIntent.reversal(spec.datasourceId(), requester);
        return migrations.scopeRefusal(intent, scopes).map(refusal -> new Problem.FieldError(
                "items[" + item + "]." + (refusal.scope() == Scopes.Scope.ACCOUNTS ? "accountId" : "datasourceId"),
                refusal.detail()));
    }

    /** 403 naming the refused items, the first {@link PlanUpload#MAX_ERRORS} of them as an upload's other errors. */
    private static void refuse(List<Problem.FieldError> refused, String whose) {
        if (!refused.isEmpty()) {
            boolean cut = refused.size() > PlanUpload.MAX_ERRORS;
            throw new ProblemException(403, ProblemType.OUT_OF_SCOPE, refused.size() + " item(s) are outside "
                    + whose + " scopes; nothing was changed" + (cut ? "; the first " + PlanUpload.MAX_ERRORS
                            + " listed" : "")).withErrors(cut ? refused.subList(0, PlanUpload.MAX_ERRORS) : refused);
        }
    }
}
