#!/usr/bin/env python3
"""A webhook receiver for Boutique's tests. Each delivery is verified with
the Standard Webhooks specification's own library (`standardwebhooks` on
PyPI), never with Boutique's code.

    receiver.py <whsec_secret> <fail_first> <port_file> [port]

Answers 503 to the first <fail_first> deliveries, 400 to any that does not
verify, 204 to the rest; `GET /` tells what it saw. The port it listens on
is written to <port_file> once it is ready.
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET, FAIL_FIRST, PORT_FILE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
PORT = int(sys.argv[4]) if len(sys.argv) > 4 else 0
HOOK = Webhook(SECRET)
LOCK = threading.Lock()
STATE = {"seen": 0, "failed_on_purpose": 0, "refused": 0, "verified": []}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with LOCK:
            STATE["seen"] += 1
            fail = STATE["seen"] <= FAIL_FIRST
            if fail:
                STATE["failed_on_purpose"] += 1
        if fail:
            self.send_response(503)
            self.end_headers()
            return
        try:
            payload = HOOK.verify(body, headers)
        except WebhookVerificationError as e:
            with LOCK:
                STATE["refused"] += 1
            self.send_response(400)
            self.end_headers()
            self.wfile.write(str(e).encode())
            return
        with LOCK:
            STATE["verified"].append({"id": headers.get("webhook-id"), "payload": payload})
        self.send_response(204)
        self.end_headers()

    def do_GET(self):
        with LOCK:
            body = json.dumps(STATE).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
