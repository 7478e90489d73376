#!/usr/bin/env python3
"""Domo stand-in for the plan benchmark (deploy/bench/plans.sh); benchmark only.

An estate of ACCOUNTS accounts named bench-000..., each listing CANDIDATES data sources
bench-000-0001..., none migrated; migrate and reverse answer COMPLETE after DELAY seconds, in
parallel (one thread per connection). Like Domo, it refuses requests without the developer token.

    upstream.py PORT TOKEN [DELAY] [ACCOUNTS] [CANDIDATES]
"""
import json
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, TOKEN = int(sys.argv[1]), sys.argv[2]
DELAY = float(sys.argv[3]) if len(sys.argv) > 3 else 0.2
ACCOUNTS = int(sys.argv[4]) if len(sys.argv) > 4 else 100
CANDIDATES = int(sys.argv[5]) if len(sys.argv) > 5 else 100
PREFIX = "/api/query/migration/federated/v1/to/v2"
ID = "[A-Za-z0-9_-]+"


def account_ids():
    return [f"bench-{a:03d}" for a in range(ACCOUNTS)]


class Domo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; on a kept-alive connection, Nagle's algorithm would hold
    # the body back until the client's delayed ACK (40 ms on Linux) and add that to every migration.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorised(self):
        if self.headers.get("X-DOMO-Developer-Token") == TOKEN:
            return True
        self.answer(401, {"status": 401, "statusReason": "Unauthorized", "message": "Bad token", "toe": "BENCH-401"})
        return False

    def do_GET(self):
        if not self.authorised():
            return
        path = self.path
        if path == PREFIX + "/types":
            self.answer(200, ["mysql-federated"])
        elif re.fullmatch(PREFIX + "/accounts/" + ID, path):
            self.answer(200, [{"id": a, "type": "mysql-federated", "name": a} for a in account_ids()])
        elif m := re.fullmatch(PREFIX + "/candidates/(" + ID + ")", path):
            account = m.group(1)
            self.answer(200, [{"id": f"{account}-{n:04d}", "name": f"{account} table {n}", "migrated": False,
                               "migrationDate": None} for n in range(1, CANDIDATES + 1)])
        else:
            self.answer(404, {"status": 404, "statusReason": "Not Found", "message": "No such path", "toe": "BENCH-404"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if not self.authorised():
            return
        m = re.fullmatch(PREFIX + "/(" + ID + ")/(accounts/" + ID + "|reverse)", self.path)
        if not m:
            self.answer(404, {"status": 404, "statusReason": "Not Found", "message": "No such path", "toe": "BENCH-404"})
            return
        start = datetime.now(timezone.utc).isoformat()
        time.sleep(DELAY)
        self.answer(200, {"toe": "BENCH-" + uuid.uuid4().hex[:12], "datasourceId": m.group(1),
                          "direction": "V2_TO_V1" if m.group(2) == "reverse" else "V1_TO_V2", "startTime": start,
                          "state": "COMPLETE", "errorMessage": None,
                          "endTime": datetime.now(timezone.utc).isoformat()})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


Server(("127.0.0.1", PORT), Domo).serve_forever()
