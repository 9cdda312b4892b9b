"""A local stand-in for the parts of Stripe's API the shop calls, over real HTTP.

It reads the form-encoded bodies the stripe library sends (`line_items[0][quantity]=2`),
computes what Stripe would (a session's amount_total from its line items and shipping rate),
honours Idempotency-Key like Stripe (same key, same answer) and records every request, so
tests can check exactly what the shop asked for. Tests also sign webhook events the way
Stripe does (`stripe_signature`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_standin"
WEBHOOK_SECRET = "whsec_standin_secret"

_ids = itertools.count(1)


def stripe_signature(payload: str, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `payload`: t=..., v1=HMAC-SHA256(secret, "t.payload")."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event(type_: str, obj: dict[str, Any], *, event_id: str | None = None) -> str:
    """A webhook event body as Stripe sends it (JSON text, to be signed as is)."""
    return json.dumps(
        {
            "id": event_id or f"evt_{next(_ids):06d}",
            "object": "event",
            "type": type_,
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    )


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding back into nested dicts and lists (values stay strings)."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


@dataclass
class Recorded:
    method: str
    path: str
    idempotency_key: str | None
    params: dict[str, Any]


@dataclass
class StripeStandIn:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    # (status, error) to answer the next POST with, like a declined or invalid request.
    fail_next: tuple[int, dict[str, Any]] | None = None
    # Added to every session's amount_total, to play a Stripe that disagrees with us.
    skew: int = 0
    # How many POSTs to answer 500 (not remembered under their idempotency key), to play a
    # Stripe that cannot answer; the stripe client retries those itself.
    unreachable: int = 0
    # How many POSTs to carry out but answer 500, as when the answer is lost on the way back;
    # the outcome is remembered under the idempotency key, as Stripe does.
    lose_answers: int = 0
    _answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _first_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def posts(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    # -- the API ----------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, key: str | None, body: str
    ) -> tuple[int, dict[str, Any]]:
        params = parse_form(body if method == "POST" else query)
        self.requests.append(Recorded(method, path, key, params))
        if method == "POST" and key and key in self._answers:
            if params != self._first_params[key]:
                # What Stripe answers a key reused with other parameters.
                return 400, {
                    "error": {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                    }
                }
            if self.lose_answers > 0:
                self.lose_answers -= 1
                return _lost()
            return self._answers[key]
        if method == "POST" and self.fail_next is not None:
            answer, self.fail_next = self.fail_next, None
            return answer
        if method == "POST" and self.unreachable > 0:
            self.unreachable -= 1
            return 500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}
        answer = self._route(method, path, params)
        if method == "POST" and key:
            self._answers[key] = answer
            self._first_params[key] = params
        if method == "POST" and self.lose_answers > 0:
            self.lose_answers -= 1
            return _lost()
        return answer

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, self._create_session(params)
        expire = re.fullmatch(r"/v1/checkout/sessions/([\w]+)/expire", path)
        if method == "POST" and expire:
            return self._expire_session(expire[1])
        match = re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path)
        if method == "GET" and match:
            found = self.sessions.get(match[1])
            return (200, found) if found else _missing(match[1])
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        if method == "GET" and path == "/v1/refunds":
            charge = params.get("charge")
            data = [r for r in self.refunds if charge is None or r["charge"] == charge]
            return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "message": f"Unrecognized request URL ({method}: {path})",
            }
        }

    def _expire_session(self, session_id: str) -> tuple[int, dict[str, Any]]:
        found = self.sessions.get(session_id)
        if found is None:
            return _missing(session_id)
        if found["status"] != "open":
            message = f"Only Checkout Sessions with a status of `open` can be expired ({session_id})"
            return 400, {"error": {"type": "invalid_request_error", "message": message}}
        found["status"] = "expired"
        return 200, found

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        items = params.get("line_items", [])
        subtotal = sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items)
        shipping = sum(
            int(o["shipping_rate_data"]["fixed_amount"]["amount"]) for o in params.get("shipping_options", [])
        )
        session_id = f"cs_test_{next(_ids):06d}"
        created = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "amount_subtotal": subtotal,
            "amount_total": subtotal + shipping + self.skew,
            "currency": items[0]["price_data"]["currency"] if items else "eur",
            "customer_email": params.get("customer_email"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "payment_status": "unpaid",
            "status": "open",
            "payment_intent": None,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "expires_at": int(params.get("expires_at", 0)),
        }
        self.sessions[session_id] = created
        return created

    def add_refund(
        self, *, payment_intent: str, amount: int, charge: str, currency: str = "eur"
    ) -> dict[str, Any]:
        refund = {
            "id": f"re_{next(_ids):06d}",
            "object": "refund",
            "amount": amount,
            "currency": currency,
            "payment_intent": payment_intent,
            "charge": charge,
            "status": "succeeded",
        }
        self.refunds.append(refund)
        return refund

    def _create_refund(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        intent = params.get("payment_intent", "")
        if not intent.startswith("pi_"):
            return 400, {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}
        charge = f"ch_{intent.removeprefix('pi_')}"
        return 200, self.add_refund(payment_intent=intent, amount=int(params["amount"]), charge=charge)


def _missing(what: str) -> tuple[int, dict[str, Any]]:
    return 404, {"error": {"type": "invalid_request_error", "message": f"No such object: '{what}'"}}


def start_standin() -> tuple[StripeStandIn, ThreadingHTTPServer]:
    standin = StripeStandIn()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                self._send(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            url = urlsplit(self.path)
            status, payload = standin.handle(
                self.command, url.path, url.query, self.headers.get("Idempotency-Key"), body
            )
            self._send(status, payload)

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{next(_ids)}")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return standin, server


def _lost() -> tuple[int, dict[str, Any]]:
    return 500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}
