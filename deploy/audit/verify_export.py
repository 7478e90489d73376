#!/usr/bin/env python3
"""Verify an NDJSON export of the domo-migration-proxy audit trail offline.

    curl -H 'X-API-Key: …' -H 'Accept: application/x-ndjson' \
         https://proxy.example/api/v1/audit/operations > operations.ndjson
    python3 verify_export.py operations.ndjson

Recomputes every event's hash from the exported fields (see the README, "Audit trail"):
    hash = sha256_hex(prev_hash + "\\n" + canonical_json(event))
and, for an unfiltered export, checks that the events link up in sequence order from the first
one. Exit status 0 when everything verifies, 1 otherwise (the first failure is printed).
"""
import hashlib
import json
import sys

GENESIS = "0" * 64
INTENT_FIELDS = ["operationId", "direction", "datasourceId", "accountId", "catalog", "schema", "table",
                 "requestedBy", "authMethod", "requestId", "clientAddress", "requestedAt"]
OUTCOME_FIELDS = ["operationId", "state", "toe", "startTime", "endTime", "errorMessage", "upstreamStatus",
                  "durationMs", "completedAt"]


def canonical(event):
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash, event):
    return hashlib.sha256((prev_hash + "\n" + canonical(event)).encode("utf-8")).hexdigest()


def events(operation):
    chain = operation.get("chain") or {}
    intent = dict({k: operation.get(k) for k in INTENT_FIELDS}, event="INTENT")
    yield chain.get("intent"), intent
    if chain.get("outcome") is not None:
        yield chain["outcome"], dict({k: operation.get(k) for k in OUTCOME_FIELDS}, event="OUTCOME")


def main(path):
    links = []
    with open(path, encoding="utf-8") as export:
        for number, line in enumerate(export, 1):
            operation = json.loads(line)
            for link, event in events(operation):
                if link is None:
                    print(f"line {number}: operation {operation.get('operationId')} has no chain link")
                    return 1
                if link_hash(link["prevHash"], event) != link["hash"]:
                    print(f"line {number}: {event['event']} event seq {link['seq']} of operation "
                          f"{operation['operationId']} does not match its hash")
                    return 1
                links.append(link)
    links.sort(key=lambda link: link["seq"])
    contiguous = bool(links) and links[0]["prevHash"] == GENESIS
    if contiguous:
        for previous, current in zip(links, links[1:]):
            if current["prevHash"] != previous["hash"]:
                print(f"event seq {current['seq']} does not follow seq {previous['seq']}")
                return 1
    print(f"verified {len(links)} events" + (", chain complete from the first event" if contiguous
                                             else " (filtered export: links not checked between operations)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
