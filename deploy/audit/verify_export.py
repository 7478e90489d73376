#!/usr/bin/env python3
"""Verify an NDJSON export of the domo-migration-proxy audit trail offline.

    curl -H 'X-API-Key: …' -H 'Accept: application/x-ndjson' \
         https://proxy.example/api/v1/audit/operations > operations.ndjson
    curl -H 'X-API-Key: …' -H 'Accept: application/x-ndjson' \
         https://proxy.example/api/v1/audit/events > events.ndjson
    python3 verify_export.py operations.ndjson      # or events.ndjson

Recomputes every event's hash (see docs/audit.md):
    hash = sha256_hex(prev_hash + "\\n" + canonical_json(event))
An operations export rebuilds each operation's events from the exported fields and checks the
links between events with consecutive sequence numbers; the events in between are about no
operation (auditors' access, plans) and are in the events export. An unfiltered events export
holds every event with the exact text its hash covers: it is checked as one chain from the first
event. Exit status 0 when everything verifies, 1 otherwise (the first failure is printed).
"""
import hashlib
import json
import sys

GENESIS = "0" * 64
INTENT_FIELDS = ["operationId", "direction", "datasourceId", "accountId", "catalog", "schema", "table",
                 "requestedBy", "authMethod", "requestId", "clientAddress", "requestedAt"]
# Added after the first version: part of the event only when present, so older events still verify.
OPTIONAL_INTENT_FIELDS = ["planId", "scopes"]
OUTCOME_FIELDS = ["operationId", "state", "toe", "startTime", "endTime", "errorMessage", "upstreamStatus",
                  "durationMs", "completedAt"]


def canonical(event):
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash, text):
    return hashlib.sha256((prev_hash + "\n" + text).encode("utf-8")).hexdigest()


def operation_events(operation):
    chain = operation.get("chain") or {}
    intent = dict({k: operation.get(k) for k in INTENT_FIELDS}, event="INTENT")
    intent.update({k: operation[k] for k in OPTIONAL_INTENT_FIELDS if operation.get(k) is not None})
    yield chain.get("intent"), intent
    if chain.get("outcome") is not None:
        yield chain["outcome"], dict({k: operation.get(k) for k in OUTCOME_FIELDS}, event="OUTCOME")


def verify_operations(lines):
    links = []
    for number, operation in lines:
        for link, event in operation_events(operation):
            if link is None:
                return f"line {number}: operation {operation.get('operationId')} has no chain link"
            if link_hash(link["prevHash"], canonical(event)) != link["hash"]:
                return (f"line {number}: {event['event']} event seq {link['seq']} of operation "
                        f"{operation['operationId']} does not match its hash")
            links.append(link)
    links.sort(key=lambda link: link["seq"])
    linked = 0
    for previous, current in zip(links, links[1:]):
        if current["seq"] == previous["seq"] + 1:
            if current["prevHash"] != previous["hash"]:
                return f"event seq {current['seq']} does not follow seq {previous['seq']}"
            linked += 1
    print(f"verified {len(links)} operation events, {linked} links between consecutive events"
          " (verify an events export for the whole chain)")
    return None


def verify_events(lines):
    # An export that starts at the first event is taken as unfiltered: every event must link to the one before.
    whole_chain = bool(lines) and lines[0][1]["prevHash"] == GENESIS
    previous = None
    for number, event in lines:
        if link_hash(event["prevHash"], event["payload"]) != event["hash"]:
            return f"line {number}: {event['type']} event seq {event['seq']} does not match its hash"
        if whole_chain and previous is not None and event["prevHash"] != previous["hash"]:
            return f"line {number}: event seq {event['seq']} does not follow seq {previous['seq']}"
        previous = event
    print(f"verified {len(lines)} events" + (", chain complete from the first event" if whole_chain
                                              else " (filtered export: links between events not checked)"))
    return None


def main(path):
    with open(path, encoding="utf-8") as export:
        lines = [(number, json.loads(line)) for number, line in enumerate(export, 1) if line.strip()]
    events_export = bool(lines) and "payload" in lines[0][1] and "seq" in lines[0][1]
    failure = verify_events(lines) if events_export else verify_operations(lines)
    if failure:
        print(failure)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
