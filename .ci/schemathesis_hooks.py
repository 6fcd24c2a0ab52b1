"""Schemathesis hooks for CI (loaded by `hooks` in .ci/schemathesis.toml).

- Every request comes from its own source address. The server runs with
  BOUTIQUE_TRUST_PROXY=true and believes the last `X-Forwarded-For` entry,
  so the fuzzer looks like many clients: the lockouts and bans that protect
  the API (20 failed logins or 20 unauthenticated probes per source and
  hour, 20 registrations per source and hour...) never stop it, and what it
  tests is each operation, not the ban.
- A well-formed `Idempotency-Key` is replaced by a fresh one on every
  request. Schemathesis sends the header's documented example (and the
  same boundary values) with many bodies: the same key with another body
  is the documented 422 `idempotency-key-reused`, and with the same body
  the replay of an answer recorded earlier (an address since deleted, say).
  Both are what the header promises; the HTTP tests in tests/api/ check
  them. Malformed keys are left as sent (a 400 is expected).
- A cart's or an order's secret that the server handed out in this run
  (`secret`, `access_secret`) and that the document's links carry to the
  next request (`X-Cart-Secret`, `X-Order-Secret`) is a credential the
  client holds, as a browser would: the request is marked as carrying
  explicit credentials. Schemathesis then checks, with a probe without
  them and one with a wrong one, that the operation refuses both (401).
  Without the mark it takes any such header for one it generated itself,
  and a guest reading their own cart for the API accepting a made-up
  secret.
- With SCHEMATHESIS_BEARER_TOKEN set (by .ci/schemathesis.sh), requests
  carry that token as the `bearer` security scheme. Given as auth, not as a
  plain `-H` header, so that Schemathesis still leaves it out where it tests
  a missing or invalid `Authorization` (401 expected there).
"""

import ast
import ipaddress
import itertools
import os
import re
import secrets
import threading
import uuid

import schemathesis

# RFC 2544's benchmarking range: never a real client, and IPv4, which the
# server counts per address (IPv6 is counted per prefix).
_NET = ipaddress.ip_network("198.18.0.0/15")
# Consecutive addresses from a random start: no two requests of a run share
# one (up to 131072 requests), and runs do not reuse each other's. Not the
# `random` module: Hypothesis reseeds it for every test case.
_NEXT = itertools.count(secrets.randbelow(_NET.num_addresses))
_LOCK = threading.Lock()


def _address() -> str:
    with _LOCK:
        n = next(_NEXT)
    return str(_NET[n % _NET.num_addresses])


# The document's pattern of the `Idempotency-Key` header.
_IDEMPOTENCY_KEY = re.compile(
    r'^(?:"(?:[ !#-\[\]-~]|\\["\\]){1,255}"|[!#-~](?:[ -~]{0,253}[!-~])?)$'
)


# Secrets the server answered in this run (see the module's description).
_ISSUED: set[str] = set()
_SECRET_FIELDS = ("secret", "access_secret")
_SECRET_HEADERS = ("x-cart-secret", "x-order-secret")


@schemathesis.hook
def after_call(context, case, response):
    if not 200 <= response.status_code < 300:
        return
    try:
        body = response.json()
    except Exception:
        return
    if isinstance(body, dict):
        with _LOCK:
            _ISSUED.update(
                body[f] for f in _SECRET_FIELDS if isinstance(body.get(f), str)
            )


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = dict(case.headers or {})
    headers["X-Forwarded-For"] = _address()
    with _LOCK:
        if any(
            name.lower() in _SECRET_HEADERS and value in _ISSUED
            for name, value in headers.items()
        ):
            case._has_explicit_auth = True
    for name, value in list(headers.items()):
        if (
            name.lower() == "idempotency-key"
            and isinstance(value, str)
            and _IDEMPOTENCY_KEY.match(value)
        ):
            headers[name] = f'"{uuid.uuid4()}"'
    case.headers = headers


_TOKEN = os.environ.get("SCHEMATHESIS_BEARER_TOKEN")

if _TOKEN:

    @schemathesis.auth(refresh_interval=None)
    class _Bearer:
        def get(self, case, ctx):
            return _TOKEN

        def set(self, case, data, ctx):
            headers = dict(case.headers or {})
            headers["Authorization"] = f"Bearer {data}"
            case.headers = headers


# CPython before 3.11.8 and 3.12.2 can fail `ast.parse` with "SystemError:
# AST constructor recursion depth mismatch" when two threads parse at once
# (python/cpython#106905). Hypothesis parses sources to describe strategies,
# and the runs use two workers (threads): one parse at a time.
_AST_LOCK = threading.Lock()
_ast_parse = ast.parse


def _parse_one_at_a_time(*args, **kwargs):
    with _AST_LOCK:
        return _ast_parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time


# Schemathesis 4.32.5 reads every string of a response that starts with
# `http://` or `https://` as a link to learn from, and a string that
# `urllib` cannot split ("Invalid IPv6 URL": a customer may well be named
# `https://[`, and the API keeps names as given) ends the whole run with an
# internal error. Such a string is no link.
from schemathesis.engine import observations as _observations  # noqa: E402

_same_origin_path = _observations._same_origin_path


def _same_origin_path_or_none(value, origin):
    try:
        return _same_origin_path(value, origin)
    except ValueError:
        return None


_observations._same_origin_path = _same_origin_path_or_none


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value):
    """A catalogue import in JSON Lines: the document types the body as a
    string (the file); anything else generated is sent as one JSON line."""
    import json

    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return (json.dumps(value) + "\n").encode()


@schemathesis.serializer("application/pdf", "application/zip", "application/octet-stream")
def _file(ctx, value):
    """A plan's file upload: the document types the body as binary; what
    is generated is sent as its bytes."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return repr(value).encode()
