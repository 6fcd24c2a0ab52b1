#!/usr/bin/env python3
"""Issue 7's two timing figures, measured against a release binary.

1. Login latency while 48 clients flood POST /v1/auth/password/reset with a
   made-up token and a long password (each flood request from its own
   address, so no ban stops it): a made-up token must cost no hash.
2. POST /v1/auth/password/forgot latency for an address with an account
   and for an unknown one: the two medians must not tell them apart.

    python3 bench/hardening.py target/release/boutique
"""
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/boutique"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"content-type": "application/json"}
    h.update(headers or {})
    start = time.perf_counter()
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    res = conn.getresponse()
    res.read()
    elapsed = (time.perf_counter() - start) * 1000
    conn.close()
    return res.status, elapsed


def random_ip():
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def main():
    port = free_port()
    data = tempfile.mkdtemp(prefix="boutique-hardening-")
    env = dict(os.environ, BOUTIQUE_PORT=str(port), BOUTIQUE_DATA_DIR=data, BOUTIQUE_LOG="warn",
               BOUTIQUE_TRUST_PROXY="true", BOUTIQUE_JOBS="false")
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if call(port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        password = "un long mot de passe pour la mesure"
        call(port, "POST", "/v1/auth/register", {"email": "known@example.fr", "name": "Known",
             "password": password, "accept_privacy_policy": True, "privacy_policy_version": "2019-03-06"},
             {"x-forwarded-for": random_ip()})
        login = {"email": "known@example.fr", "password": password}

        def logins(n):
            out = []
            for _ in range(n):
                status, ms = call(port, "POST", "/v1/auth/login", login, {"x-forwarded-for": "192.0.2.1"})
                assert status == 200, status
                out.append(ms)
            return statistics.median(out)

        quiet = logins(20)
        stop = threading.Event()
        flood_statuses = {}

        def flood():
            body = {"token": "made-up-token-made-up-token-made-up-token-00", "new_password": "x" * 120}
            while not stop.is_set():
                try:
                    status, _ = call(port, "POST", "/v1/auth/password/reset", body, {"x-forwarded-for": random_ip()})
                    flood_statuses[status] = flood_statuses.get(status, 0) + 1
                except OSError:
                    pass

        threads = [threading.Thread(target=flood) for _ in range(48)]
        for t in threads:
            t.start()
        time.sleep(1)
        flooded = logins(20)
        stop.set()
        for t in threads:
            t.join()
        print(f"login median alone {quiet:.1f} ms; during a reset flood of 48 clients {flooded:.1f} ms "
              f"(flood answers {flood_statuses})")

        # A probe waits a little between requests, as a careful attacker
        # would, so each answer is measured on a quiet server.
        time.sleep(2)
        known, unknown = [], []
        for i in range(150):
            for email, out in (("known@example.fr", known), (f"nobody{i}@example.fr", unknown)):
                time.sleep(0.02)
                status, ms = call(port, "POST", "/v1/auth/password/forgot", {"email": email},
                                  {"x-forwarded-for": random_ip()})
                assert status == 202, status
                out.append(ms)
        print(f"forgot-password median: existing address {statistics.median(known):.2f} ms, "
              f"unknown address {statistics.median(unknown):.2f} ms")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
