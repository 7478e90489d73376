#!/usr/bin/env python3
"""Prove, offline, that an export of the domo-migration-proxy audit trail is complete and unaltered.

Needs Python 3.8+ and nothing else: no service, no database, no package. docs/audit.md
("Proving the trail to an outside auditor") says what to download and what each check catches.

    python3 verify_export.py audit-events.ndjson --public-key checkpoint-key.pub.pem \\
        --checkpoints-dir checkpoints/ [--checkpoint latest.json ...] \\
        [--operations operations.ndjson] [--to-seq N]

audit-events.ndjson   GET /api/v1/audit/events with Accept: application/x-ndjson (every event type)
--public-key          Ed25519 public key, PEM or JWK (repeat it for keys of former rotations)
--checkpoint(s-dir)   signed checkpoint files (PROXY_AUDIT_CHECKPOINT_DIR, or .../checkpoints/latest)
--operations          optional: GET /api/v1/audit/operations as NDJSON, cross-checked with the events
--to-seq              the last seq the export was asked for (toSeq); it must end exactly there. Give the
                      toSeq of the request, never a seq read from the file: checkpoints after it are
                      set aside, so a value taken from a cut-off export would pass it

Checks, each event and checkpoint past any that fails (a line that is not an event, or an operations
row that does not hold together, stops them):
  1. every checkpoint (files, and the CHECKPOINT events inside the export) is signed by a given key
     and its fields repeat its signed text;
  2. every event links to the one before (prevHash) and its hash is
     sha256_hex(prevHash + "\\n" + payload), whatever its type, and the record's type, subject and
     recordedAt are what its payload says (recordedAt: where the payload has it);
  3. the chain has each checkpoint's signed hash at the signed seq, and the export reaches the
     newest checkpoint (with --to-seq, the newest at or before it, and one must be): nothing was
     recomputed or cut off;
  4. with --operations, each operation's events are in the chain with the payload its row gives.
Exit status: 0 verified, 1 a check failed (each failure is printed, up to 100), 2 unusable input.
"""
import argparse
import base64
import functools
import hashlib
import json
import os
import re
import sys

GENESIS = "0" * 64
MOST_SHOWN = 100
OPERATION_EVENTS = ("INTENT", "OUTCOME", "RECONCILIATION", "REVIEW")
CHECKPOINT_EVENT = "CHECKPOINT"
SPKI_ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")
CHECKPOINT_TEXT = re.compile(
    r"([^\n]+)\n(0|[1-9][0-9]{0,18})\n([0-9a-f]{64})\nissued-at ([^\n]+)\nkey-id ([0-9a-f]{16})\n\Z")


class Failure(Exception):
    """A check that failed; the message names where."""


class Failures(Exception):
    """Every check of the chain that failed, in the order found; each names where."""

    def __init__(self, problems):
        super().__init__(problems[0])
        self.problems = problems


class Unusable(Exception):
    """Input that cannot be read at all."""


# --- Ed25519 verification (RFC 8032, section 5.1.7), after the RFC's reference code -------------

P = 2 ** 255 - 19
Q = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    e = (y1 - x1) * (y2 - x2) % P
    f = (y1 + x1) * (y2 + x2) % P
    g = t1 * 2 * D * t2 % P
    h = z1 * 2 * z2 % P
    e, f, g, h = f - e, h - g, h + g, f + e
    return e * f % P, g * h % P, f * g % P, e * h % P


def _doublings(point):
    """point, 2·point, 4·point … 2^252·point: what a multiplication by a scalar below 2^253 adds up.

    Kept per point (the base point, each public key), so that a trail's many checkpoints signed with
    one key cost a third of the additions each."""
    table = [point]
    for _ in range(252):
        table.append(_add(table[-1], table[-1]))
    return table


def _multiply(scalar, doublings):
    result = (0, 1, 1, 0)
    for bit, multiple in enumerate(doublings):
        if scalar >> bit & 1:
            result = _add(result, multiple)
    return result


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _decompress(encoded):
    if len(encoded) != 32:
        return None
    y = int.from_bytes(encoded, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return x, y, 1, x * y % P


_GY = 4 * pow(5, P - 2, P) % P
BASE = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % P)


_BASE_DOUBLINGS = _doublings(BASE)


@functools.lru_cache(maxsize=None)
def _key_doublings(public_key):
    a = _decompress(public_key)
    return None if a is None else _doublings(a)


# A checkpoint is checked as a file and again as the CHECKPOINT event that records it: the same
# key, text and signature, verified once.
@functools.lru_cache(maxsize=4096)
def ed25519_verify(public_key, message, signature):
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _key_doublings(public_key)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % Q
    return _equal(_multiply(s, _BASE_DOUBLINGS), _add(r, _multiply(h, a)))


# --- Keys and checkpoints ---------------------------------------------------------------------

def load_key(path):
    """Returns (key id, raw 32-byte key) of a PEM SubjectPublicKeyInfo or an RFC 8037 JWK."""
    try:
        with open(path, encoding="ascii") as source:
            text = source.read()
        if text.lstrip().startswith("{"):
            jwk = json.loads(text)
            if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" \
                    or not isinstance(jwk.get("x"), str):
                raise Unusable(f"{path}: not an Ed25519 JWK (kty OKP, crv Ed25519, x)")
            x = jwk["x"]
            raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
            der = SPKI_ED25519_PREFIX + raw
        else:
            match = re.search(r"-----BEGIN PUBLIC KEY-----(.+?)-----END PUBLIC KEY-----", text, re.S)
            if not match:
                raise Unusable(f"{path}: no PEM PUBLIC KEY block")
            der = base64.b64decode("".join(match.group(1).split()), validate=True)
            raw = der[len(SPKI_ED25519_PREFIX):]
    except ValueError:  # not ASCII, not JSON, not base64
        raise Unusable(f"{path}: not a PEM or JWK public key")
    if len(der) != 44 or not der.startswith(SPKI_ED25519_PREFIX):
        raise Unusable(f"{path}: not an Ed25519 public key")
    return hashlib.sha256(der).hexdigest()[:16], raw


def check_checkpoint(checkpoint, keys, source, origins):
    """Verifies signature, text and origin; returns (seq, hash, source) of what it signs.

    origins holds the --origin expected (or None), the --former-origin ones (the chain's names before
    PROXY_AUDIT_ORIGIN was changed) and every origin seen: checkpoints of one chain name its origin or
    a former one, so a deployment's checkpoints do not pass for another's that shares its key."""
    try:
        text, signature, key_id = checkpoint["text"], checkpoint["signature"], checkpoint["keyId"]
    except (KeyError, TypeError):
        raise Failure(f"{source}: not a checkpoint (text, signature and keyId are required)")
    if not all(isinstance(value, str) for value in (text, signature, key_id)):
        raise Failure(f"{source}: not a checkpoint (text, signature and keyId are strings)")
    if key_id not in keys:
        raise Failure(f"{source}: signed with key {key_id}, but no --public-key with that id was given")
    try:
        signature_bytes = base64.b64decode(signature, validate=True)
    except ValueError:
        raise Failure(f"{source}: the signature is not base64")
    try:
        message = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (\ud800 in the JSON), which no signed text holds
        raise Failure(f"{source}: the signed text is not Unicode text: the checkpoint was forged or altered")
    if not ed25519_verify(keys[key_id], message, signature_bytes):
        raise Failure(f"{source}: the signature does not verify with key {key_id}: the checkpoint was forged "
                      f"or altered")
    match = CHECKPOINT_TEXT.match(text)
    if not match:
        raise Failure(f"{source}: the signed text is not in the checkpoint form")
    origin, seq, signed_hash, issued_at, text_key_id = match.groups()
    fields = {"origin": origin, "seq": int(seq), "hash": signed_hash, "issuedAt": issued_at, "keyId": text_key_id}
    for name, value in fields.items():
        if name in checkpoint and checkpoint[name] != value:
            raise Failure(f"{source}: {name} differs from the signed text: it was altered")
    expected, former = origins["expected"], origins["former"]
    if expected is not None and origin != expected and origin not in former:
        raise Failure(f"{source}: signed for origin {origin!r}, not the --origin {expected!r}"
                      + (" nor a --former-origin" if former else "") + ": it is another deployment's checkpoint"
                      + ("" if former else " (or one from before the origin was changed: name that with "
                                           "--former-origin)"))
    current = origins["seen"] - former
    if origin not in former and current and origin not in current:
        raise Failure(f"{source}: the checkpoints name more than one origin "
                      f"({', '.join(sorted(current | {origin}))}): they are not all of this chain (a former "
                      f"origin of it is named with --former-origin)")
    origins["seen"].add(origin)
    origins["former seqs" if origin in former else "current seqs"].append(int(seq))
    return int(seq), signed_hash, source


def check_origin_order(origins, problems):
    """Checkpoints of a --former-origin hold only beside one of the current origin that comes after
    them (at a seq no lower): an origin is former once the trail was renamed. Without that, another
    deployment that shares the signing key and signs under a name listed as former (the default name,
    say) could have its own export and checkpoints pass for this trail's."""
    former, current = origins["former seqs"], origins["current seqs"]
    if not former:
        return
    if not current:
        problems.append("checkpoints of a --former-origin hold only beside one of the current origin signed "
                        "after them, and none is of the current origin: sign one (POST /api/v1/audit/checkpoints) "
                        "and export again; to verify an export from before the origin was changed, give its "
                        "origin as --origin")
    elif max(former) > min(current):
        problems.append(f"a checkpoint of a --former-origin signs seq {max(former)}, after the first of the "
                        f"current origin (seq {min(current)}): an origin is former only from when it was changed, "
                        f"so these checkpoints are not all of this chain")


def checked_checkpoints(named_checkpoints, keys, origins, problems):
    """The claims of the (source, checkpoint) pairs that hold; why each other fails goes to problems:
    one that fails (forged, say) must not keep the rest, and the chain, from being checked."""
    claims = []
    for source, checkpoint in named_checkpoints:
        try:
            claims.append(check_checkpoint(checkpoint, keys, source, origins))
        except Failure as failure:
            problems.append(str(failure))
    return claims


def checkpoint_files(paths, directories):
    files = list(paths)
    for directory in directories:
        files.extend(os.path.join(directory, name) for name in sorted(os.listdir(directory))
                     if name.endswith(".json"))
    return files


# --- The events export ------------------------------------------------------------------------

def read_events(path):
    """Yields (line number, event) of an NDJSON events export."""
    with open(path, encoding="utf-8") as export:
        for number, line in enumerate(export, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                raise Failure(f"line {number}: not JSON")
            # An operation event comes without its payload when the service cannot read its row (one
            # altered behind its back): checked, and named, as such.
            if not isinstance(event, dict) or not isinstance(event.get("seq"), int) \
                    or not all(isinstance(event.get(name), str) for name in ("type", "prevHash", "hash")) \
                    or not (isinstance(event.get("payload"), str)
                            or (event.get("payload") is None and event.get("type") in OPERATION_EVENTS)):
                seq = event.get("seq") if isinstance(event, dict) else None
                where = f"line {number}, seq {seq}" if isinstance(seq, int) else f"line {number}"
                raise Failure(f"{where}: not an audit event (seq, type, prevHash, hash, payload)")
            yield number, event


def embedded_checkpoints(path, keys, origins, problems):
    """The checkpoints the chain itself records, as CHECKPOINT events, that hold."""
    named = []
    for number, event in read_events(path):
        if event["type"] == CHECKPOINT_EVENT:
            try:
                named.append((f"CHECKPOINT event seq {event['seq']}", json.loads(event["payload"])))
            except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's stack
                problems.append(f"line {number}: CHECKPOINT event seq {event['seq']} has no JSON payload")
    return checked_checkpoints(named, keys, origins, problems)


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- The operations export, for the cross-check -------------------------------------------------

OUTCOME_FIELDS = ("state", "toe", "startTime", "endTime", "errorMessage", "upstreamStatus", "durationMs", "completedAt")


def operation_payloads(operation):
    """(kind, link, members) of each event an Operation's row gives, as the service rebuilds them."""
    chain = operation.get("chain") or {}
    intent = {k: operation.get(k) for k in ("direction", "datasourceId", "accountId", "catalog", "schema", "table",
                                            "requestedBy", "authMethod", "requestId", "clientAddress", "requestedAt")}
    for optional in ("planId", "scopes"):
        if operation.get(optional) is not None:
            intent[optional] = operation[optional]
    yield "INTENT", chain.get("intent"), intent
    if chain.get("outcome") is not None:
        yield "OUTCOME", chain["outcome"], {k: operation.get(k) for k in OUTCOME_FIELDS}
    if chain.get("reconciliation") is not None:
        reconciliation = operation.get("reconciliation") or {}
        members = {"reconciledState": reconciliation.get("state"), "reconciledAt": reconciliation.get("at"),
                   "reconciliationNote": reconciliation.get("note")}
        if reconciliation.get("by") is not None:
            members["reconciledBy"] = reconciliation["by"]
        yield "RECONCILIATION", chain["reconciliation"], members
    if chain.get("review") is not None:
        review = operation.get("review") or {}
        yield "REVIEW", chain["review"], {"reviewReason": review.get("reason"),
                                          "reviewFlaggedAt": review.get("flaggedAt")}


def expected_from_operations(path):
    """seq -> (kind, operationId, canonical payload, (hash, prevHash)) for every event the operations export
    names."""
    expected = {}
    with open(path, encoding="utf-8") as export:
        for number, line in enumerate(export, 1):
            if not line.strip():
                continue
            try:
                operation = json.loads(line)
            except (ValueError, RecursionError):
                raise Failure(f"operations line {number}: not JSON")
            if not isinstance(operation, dict) or not isinstance(operation.get("chain") or {}, dict):
                raise Failure(f"operations line {number}: not an operation as the service exports it")
            operation_id = operation.get("operationId")
            chain = operation.get("chain") or {}
            # What the row says happened must be in the chain, as the service's own check requires: the
            # application role may set a state, a reconciliation or a review flag without an event.
            if operation.get("state") != "PENDING" and chain.get("outcome") is None:
                raise Failure(f"operations line {number}: operation {operation_id} is {operation.get('state')} "
                              f"but has no OUTCOME event")
            if chain.get("outcome") is None:
                held = [k for k in OUTCOME_FIELDS if k != "state" and operation.get(k) is not None]
                if held:
                    raise Failure(f"operations line {number}: operation {operation_id} holds an outcome "
                                  f"({', '.join(held)}) but has no OUTCOME event: the row was altered")
            if operation.get("reconciliation") is not None and chain.get("reconciliation") is None:
                raise Failure(f"operations line {number}: operation {operation_id} is reconciled but has no "
                              f"RECONCILIATION event")
            if operation.get("review") is not None and chain.get("review") is None:
                raise Failure(f"operations line {number}: operation {operation_id} is flagged for review but has "
                              f"no REVIEW event")
            for kind, link, members in operation_payloads(operation):
                if link is None:
                    raise Failure(f"operations line {number}: operation {operation_id} has no {kind} link")
                if not isinstance(link, dict) or not isinstance(link.get("seq"), int) \
                        or not isinstance(link.get("hash"), str) or not isinstance(link.get("prevHash"), str):
                    raise Failure(f"operations line {number}: operation {operation_id}'s {kind} link is not a seq, "
                                  f"a prevHash and a hash")
                if link["seq"] < 1:
                    raise Failure(f"operations line {number}: operation {operation_id}'s {kind} link names seq "
                                  f"{link['seq']}, which no event of the chain has")
                if link["seq"] in expected:
                    raise Failure(f"operations line {number}: the {kind} event of operation {operation_id} is at "
                                  f"seq {link['seq']}, which another event of the export already claims")
                members = dict(members, event=kind, operationId=operation_id)
                expected[link["seq"]] = (kind, operation_id, canonical(members), (link["hash"], link["prevHash"]))
    return expected


# --- The proof ----------------------------------------------------------------------------------

def legacy_subject_member(kind):
    """The member an event about no operation repeated as its subject before its payload held `subject`."""
    if kind.startswith("PLAN_"):
        return "planId"
    return {"AUDIT_ACCESS": "principal", "CHECKPOINT": "keyId", "LATE_OUTCOME": "operationId"}.get(kind)


def storable(text):
    """The text as the service stores it: U+0000 and lone surrogates as U+FFFD (docs/audit.md)."""
    return re.sub("[\\x00\\ud800-\\udfff]", "\ufffd", text) if isinstance(text, str) else text


def instant(text):
    """An ISO-8601 UTC instant as Java writes it (0 to 9 fractional digits) -> (seconds text, nanoseconds)."""
    if not isinstance(text, str):
        return None
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z", text)
    if not match:
        return None
    return match.group(1), int((match.group(2) or "").ljust(9, "0"))


def check_covered_fields(event, payload, where):
    """The record's subject and recordedAt, where its payload repeats them (events about no operation)."""
    kind = event["type"]
    if kind in OPERATION_EVENTS:
        if event.get("subject") is not None:
            raise Failure(f"{where}: an operation event has a subject: the record was altered")
        return
    if "subject" in payload:
        subject = payload["subject"]
    else:
        member = legacy_subject_member(kind)
        subject = storable(payload.get(member)) if member else None
    if subject != event.get("subject"):
        raise Failure(f"{where}: the record's subject is not the one its payload names: the record was altered")
    if "recordedAt" in payload:
        covered = instant(payload["recordedAt"]) if isinstance(payload["recordedAt"], str) else None
        if covered is None or covered != instant(event.get("recordedAt")):
            raise Failure(f"{where}: the record's recordedAt is not its payload's: the record was altered")


def verify(events_path, claims, expected, to_seq, from_seq=None, problems=None, operations_subset=False):
    # Every event is checked past any that fails, linked to the one before as it stands, so that a
    # failure that stays (a forged checkpoint, an altered record) does not hide later ones; problems
    # holds what failed before (checkpoints).
    problems = [] if problems is None else problems
    fail = problems.append
    # The operations export is taken after the events: each operation event the events export holds
    # is linked by its operation's row there, so one nobody expects is a row removed or rolled back.
    exported = {operation_id for _, operation_id, _, _ in (expected or {}).values()}
    absent = {}
    unreadable = set()
    by_seq = {}
    for seq, signed_hash, source in claims:
        by_seq.setdefault(seq, []).append((signed_hash, source))
    for signed_hash, source in by_seq.get(0, []):
        if signed_hash != GENESIS:
            fail(f"{source}: signs seq 0 with a hash other than the empty chain's")
    first_claim = min((seq for seq in by_seq if seq > 0), default=None)
    previous_hash = None
    previous_seq = None
    first_seq = None
    matched = set()
    count = 0
    for number, event in read_events(events_path):
        seq = event["seq"]
        where = f"line {number}, seq {seq} ({event['type']})"
        if previous_seq is None:
            first_seq = seq
            anchored = any(h == event["prevHash"] for h, _ in by_seq.get(seq - 1, []))
            if from_seq is not None and seq != from_seq:
                fail(f"{where}: the export starts at seq {seq}, not at seq {from_seq} as asked: records "
                     f"are missing")
            # The chain's start follows the empty chain: at seq 1, or later in a trail from before the
            # chain's seqs were gap-free (V4), but then only in a whole export. An export asked to start
            # later is anchored by the checkpoint before it, whatever its prevHash: one made the empty
            # chain's, with the rest recomputed, anchors nothing.
            starts_chain = event["prevHash"] == GENESIS and (from_seq is None or seq == 1)
            if not starts_chain:
                # Only an export asked to start there may start inside the chain: otherwise the chain's
                # first events may have been removed, and a checkpoint signed after them anchors the rest.
                if from_seq is None:
                    fail(f"{where}: the export does not start with the chain's first event: the events "
                         f"before seq {seq} are missing (give --from-seq {seq} if the export was asked "
                         f"to start there)")
                if not anchored:
                    fail(f"{where}: the export starts inside the chain and no checkpoint at seq {seq - 1} "
                         f"anchors its prevHash: give that checkpoint")
        else:
            if seq <= previous_seq:
                fail(f"{where}: seq does not increase (previous {previous_seq}): records reordered")
            if first_claim is not None and previous_seq >= first_claim and seq != previous_seq + 1:
                fail(f"{where}: seq {previous_seq + 1} to {seq - 1} are missing: records were removed "
                     f"from the chain, or from this copy of its export")
            if event["prevHash"] != previous_hash:
                fail(f"{where}: prevHash is not the hash of seq {previous_seq}: a record was removed, "
                     f"inserted or reordered")
        payload = None
        if event["payload"] is None:
            fail(f"{where}: the service could not read this event's operation row: the row was deleted, or "
                 f"altered to hold values the service never writes")
            unreadable.add(event.get("operationId"))
        elif hashlib.sha256((event["prevHash"] + "\n" + event["payload"]).encode("utf-8")).hexdigest() \
                != event["hash"]:
            fail(f"{where}: the hash does not match the payload: the record was altered")
        if event["payload"] is not None:
            try:
                payload = json.loads(event["payload"])
            except (ValueError, RecursionError):
                fail(f"{where}: the payload is not JSON")
        if payload is not None and (not isinstance(payload, dict) or payload.get("event") != event["type"]):
            fail(f"{where}: the payload's event is not the record's type: the record was altered")
            payload = None
        if payload is not None and event["type"] in OPERATION_EVENTS \
                and payload.get("operationId") != event.get("operationId"):
            fail(f"{where}: the payload names another operation than the record")
        if event["type"] not in OPERATION_EVENTS and event.get("operationId") is not None:
            fail(f"{where}: an event about no operation names an operation: the record was altered")
        if payload is not None:
            try:
                check_covered_fields(event, payload, where)
            except Failure as failure:
                fail(str(failure))
        for signed_hash, source in by_seq.get(seq, []):
            matched.add(seq)
            if signed_hash != event["hash"]:
                fail(f"{where}: the chain's hash here is not the one {source} signed: records up to seq "
                     f"{seq} were rewritten and the chain recomputed")
        if expected is not None and seq in expected:
            kind, operation_id, members, link_hashes = expected.pop(seq)
            if event["type"] != kind or event.get("operationId") != operation_id \
                    or (event["hash"], event["prevHash"]) != link_hashes:
                fail(f"{where}: the operations export puts the {kind} event of {operation_id} here")
            if canonical(payload) != members:
                fail(f"{where}: the {kind} event differs from operation {operation_id} in the operations "
                     f"export")
        elif expected is not None and event["type"] in OPERATION_EVENTS:
            operation_id = event.get("operationId")
            if operation_id in exported:
                fail(f"{where}: operation {operation_id}'s row in the operations export does not link this "
                     f"event: the row was altered or rolled back (or exported before the events)")
            elif operation_id not in unreadable:
                # A row the service could not read is named above; it is not in the operations export either.
                absent.setdefault(operation_id, seq)
        previous_hash, previous_seq = event["hash"], seq
        count += 1
    if previous_seq is None:
        raise Failures(problems + ["the export holds no event"])
    # A range (--to-seq) ends where it was asked to: checkpoints signed after its end are outside it.
    signed = [seq for seq in by_seq if to_seq is None or seq <= to_seq]
    if not signed:
        fail(f"no checkpoint signed seq {to_seq} or before: nothing signed covers this range, so a "
             f"recomputed chain could not be told from the real one" if to_seq is not None
             else "no checkpoint that holds was given")
    newest = max(signed, default=None)
    if newest is not None and newest > previous_seq:
        _, source = by_seq[newest][0]
        fail(f"the export ends at seq {previous_seq}, but {source} signed seq {newest}: records "
             f"{previous_seq + 1} to {newest} are missing (cut off, or the export is short; an export "
             f"taken before that checkpoint was signed ends there too: take the checkpoints first, then "
             f"the export)")
    if to_seq is not None and previous_seq != to_seq:
        fail(f"the export ends at seq {previous_seq}, not at seq {to_seq} as asked: records are missing")
    for seq in sorted(by_seq):
        if first_seq <= seq <= previous_seq and seq not in matched:
            fail(f"{by_seq[seq][0][1]} signed seq {seq}, which is not in the export: a record was removed")
        if 0 < seq < first_seq and from_seq is None:
            fail(f"{by_seq[seq][0][1]} signed seq {seq}, before the export's first event (seq "
                 f"{first_seq}): records were removed from the start of the chain")
    for seq in sorted(seq for seq in (expected or {}) if first_seq <= seq <= previous_seq):
        kind, operation_id, _, _ = expected[seq]
        fail(f"seq {seq}: the {kind} event of operation {operation_id} is missing from the chain")
    if absent and not operations_subset:
        operation_id, seq = min(absent.items(), key=lambda item: item[1])
        fail(f"{len(absent)} operation(s) with events in the events export are not in the operations export "
             f"(the first: {operation_id}, seq {seq}): lines were removed, or the export was filtered (then "
             f"give --operations-subset, and they are counted instead)")
    if problems:
        raise Failures(problems)
    return count, first_seq, previous_seq, previous_hash, newest, len(absent)


def main(argv):
    parser = argparse.ArgumentParser(description="Verify an audit events export against signed checkpoints.")
    parser.add_argument("events", help="NDJSON export of GET /api/v1/audit/events")
    parser.add_argument("--public-key", action="append", required=True, help="Ed25519 public key (PEM or JWK)")
    parser.add_argument("--checkpoint", action="append", default=[], help="a checkpoint file (JSON)")
    parser.add_argument("--checkpoints-dir", action="append", default=[], help="a directory of checkpoint files")
    parser.add_argument("--operations", help="NDJSON export of GET /api/v1/audit/operations, taken after the "
                        "events, to cross-check: every operation with events in the events export must be in it")
    parser.add_argument("--operations-subset", action="store_true",
                        help="the operations export was filtered: operations of the events export that are not in "
                        "it are counted, not failed (those in it are still checked whole)")
    parser.add_argument("--origin", help="the origin (PROXY_AUDIT_ORIGIN) every checkpoint must name; without it, "
                        "they must all name the same one, which is printed")
    parser.add_argument("--former-origin", action="append", default=[],
                        help="an origin the chain had before PROXY_AUDIT_ORIGIN was changed (its "
                        "PROXY_AUDIT_FORMER_ORIGINS); checkpoints may name it too")
    parser.add_argument("--to-seq", type=int, help="the last seq the export was asked for")
    parser.add_argument("--from-seq", type=int, help="the first seq the export was asked for (fromSeq), when it "
                        "does not start with the chain's first event")
    args = parser.parse_args(argv)
    try:
        keys = dict(load_key(path) for path in args.public_key)
        files = checkpoint_files(args.checkpoint, args.checkpoints_dir)
        if not files:
            raise Unusable("give at least one checkpoint (--checkpoint or --checkpoints-dir): without one, "
                           "a recomputed or shortened chain cannot be told from the real one")
        problems = []
        named = []
        origins = {"expected": args.origin, "former": set(args.former_origin), "seen": set(), "former seqs": [],
                   "current seqs": []}
        for path in files:
            with open(path, encoding="utf-8") as source:
                try:
                    named.append((f"checkpoint file {os.path.basename(path)}", json.load(source)))
                except (ValueError, RecursionError):
                    problems.append(f"checkpoint file {path}: not JSON")
        claims = checked_checkpoints(named, keys, origins, problems)
        claims.extend(embedded_checkpoints(args.events, keys, origins, problems))
        check_origin_order(origins, problems)
        expected = expected_from_operations(args.operations) if args.operations else None
        count, first_seq, last_seq, last_hash, newest, absent = verify(
            args.events, claims, expected, args.to_seq, args.from_seq, problems, args.operations_subset)
    except Failure as failure:
        print(f"FAILED: {failure}")
        return 1
    except Failures as failures:
        # Every failure, not the first alone: one that stays (a forged checkpoint) must not hide later ones.
        shown = failures.problems[:MOST_SHOWN]
        for problem in shown:
            print(f"FAILED: {problem}")
        if len(failures.problems) > len(shown):
            print(f"FAILED: ... and {len(failures.problems) - len(shown)} more")
        print(f"{len(failures.problems)} check(s) failed")
        return 1
    except (Unusable, OSError) as problem:
        print(f"UNUSABLE INPUT: {problem}")
        return 2
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as problem:
        # Input of a shape no check above foresaw: named, not a traceback, and never "verified".
        print(f"UNUSABLE INPUT: not in the form the service exports ({type(problem).__name__}: {problem})")
        return 2
    # Operations exported after the events may link events the events export does not reach yet: said, not
    # passed over in silence, since no check covered them.
    later = sum(1 for seq in (expected or {}) if seq > last_seq)
    # So may operations whose events come before an export that starts later (--from-seq).
    earlier = sum(1 for seq in (expected or {}) if seq < first_seq)
    # What a signature covers, said apart from what is only linked: the chain has no secret, so events after
    # the newest checkpoint could have been made up by anyone holding the file. A checkpoint counts once,
    # whether given as a file, as its CHECKPOINT event or both; those after --to-seq were set aside.
    signed = {(seq, signed_hash) for seq, signed_hash, _ in claims if args.to_seq is None or seq <= args.to_seq}
    set_aside = {(seq, signed_hash) for seq, signed_hash, _ in claims} - signed
    if newest < first_seq:
        covered = (f"linked; none of them is covered by a signature (the newest checkpoint the export reaches "
                   f"signs seq {newest}, which anchors its start)")
    elif newest < last_seq:
        covered = (f"linked and unaltered up to seq {newest}, which the newest checkpoint the export reaches "
                   f"signs; the {last_seq - newest} after it are linked, but no signature covers them")
    else:
        covered = f"linked and unaltered up to its end, which the newest checkpoint the export reaches signs"
    print(f"VERIFIED: {count} events, seq {first_seq} to {last_seq} (hash {last_hash}), {covered}; "
          f"{len(signed)} signed checkpoints of origin {''.join(origins['seen'] - origins['former'])!r}"
          + "".join(f" and of former origin {former!r}" for former in sorted(origins["seen"] & origins["former"]))
          + " hold"
          + (f" ({len(set_aside)} after --to-seq set aside)" if set_aside else "")
          + ("; the operations export agrees" if args.operations else "")
          + (f" (except {absent} operations of the events export, not in it: --operations-subset)"
             if absent else "")
          + (f" (except {earlier} of its events, before seq {first_seq}: not in the events export, not checked)"
             if earlier else "")
          + (f" (except {later} of its events, after seq {last_seq}: not in the events export, not checked)"
             if later else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
