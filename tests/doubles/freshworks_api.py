#!/usr/bin/env python3
"""A stand-in for Freshworks' REST APIs, for tests: no real Freshworks
account can be reached from here. It follows the public documentation of
what the relay calls:

Freshcaller (https://developers.freshcaller.com/api/), under /api/v1/:
  GET /users   the account's users (agents), paged
  GET /calls   calls, paged, filtered by by_time[from] / by_time[to]
               (ISO 8601, compared with each call's created_time)
  Auth: the API key in the X-Api-Auth header, else 401 with
  {"error_type", "message", "errors"}. Paging: page (from 1) and per_page
  (at most 100); the answer's "meta" has total_pages, current, total_count.
  A 429 carries Retry-After (seconds).

Freshdesk (https://developers.freshdesk.com/api/), under /api/v2/:
  GET /agents  the helpdesk's agents: id, contact {name, email}, group_ids
  GET /groups  its groups: id, name
  GET /tickets/{id}   one ticket (responder_id, group_id, status,
               updated_at, ...), else 404 {"code": "record_not_found"}
  PUT /tickets/{id}   a JSON object of fields to change (responder_id,
               ...): the ticket as changed, updated_at now; a responder_id
               that is no agent's gets 400 {"description": "Validation
               failed", "errors": [{"field": "responder_id", "code":
               "invalid_value"}]}
  Auth: Basic with the API key as the user and "X" as the password, else
  401 with {"code": "invalid_credentials", "message"}. Paging: page (from
  1) and per_page (at most 100); a page followed by another carries
  Link: <URL of the next page>; rel="next". Every answer carries
  X-RateLimit-Total, X-RateLimit-Remaining and
  X-RateLimit-Used-CurrentRequest; a 429 carries Retry-After (seconds).

What the test controls, under /_double/:
  POST /_double/users      a JSON list: the users from now on
  POST /_double/calls      a call object (or a list): added
  POST /_double/agents     a JSON list: Freshdesk's agents from now on
  POST /_double/groups     a JSON list: Freshdesk's groups from now on
  POST /_double/tickets    a JSON list: Freshdesk's tickets from now on
  POST /_double/throttle   {"requests": N, "retry_after": S}: the next N
                           API requests get 429 ({"status": 503} instead:
                           that status, for an API that is down)
  GET  /_double/requests   the API requests so far (method, path, query,
                           authorized, at, and a PUT's body)

Usage: freshworks_api.py --key KEY [--port 0]. The first line printed is
"freshworks-api-double: listening on http://127.0.0.1:PORT".
"""

import argparse
import base64
import json
import math
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10

lock = threading.Lock()
state = {
    "users": [],
    "calls": [],
    "agents": [],
    "groups": [],
    "tickets": {},
    "throttle": 0,
    "throttle_status": 429,
    "retry_after": 1,
    "requests": [],
}
RATE_LIMIT_TOTAL = 700


def parse_time(text):
    text = text.strip().replace("Z", "+00:00")
    return datetime.fromisoformat(text)


def page_of(items, query):
    try:
        per_page = min(int(query.get("per_page", [DEFAULT_PER_PAGE])[0]), MAX_PER_PAGE)
        page = max(int(query.get("page", ["1"])[0]), 1)
    except ValueError:
        return None
    per_page = max(per_page, 1)
    total_pages = max(math.ceil(len(items) / per_page), 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    return chunk, {"total_pages": total_pages, "current": page, "total_count": len(items)}


class Handler(BaseHTTPRequestHandler):
    server_version = "freshworks-api-double"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, error_type, message):
        self.answer(status, {"error_type": error_type, "message": message, "errors": []})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def do_POST(self):
        path = urlsplit(self.path).path
        body = self.body()
        with lock:
            if path == "/_double/users":
                state["users"] = list(body)
            elif path == "/_double/calls":
                state["calls"].extend(body if isinstance(body, list) else [body])
            elif path == "/_double/agents":
                state["agents"] = list(body)
            elif path == "/_double/groups":
                state["groups"] = list(body)
            elif path == "/_double/tickets":
                state["tickets"] = {str(t["id"]): dict(t) for t in body}
            elif path == "/_double/throttle":
                state["throttle"] = int(body.get("requests", 1))
                state["retry_after"] = int(body.get("retry_after", 1))
                state["throttle_status"] = int(body.get("status", 429))
            else:
                return self.error(404, "record_not_found", f"no {path}")
        self.answer(200, {"ok": True})

    def do_PUT(self):
        self.do_GET(method="PUT")

    def do_GET(self, method="GET"):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/_double/requests":
            with lock:
                return self.answer(200, state["requests"])
        sent = self.body() if method == "PUT" else None
        freshdesk = url.path.startswith("/api/v2/")
        if freshdesk:
            expected = "Basic " + base64.b64encode(f"{self.server.key}:X".encode()).decode()
            authorized = self.headers.get("Authorization") == expected
        else:
            authorized = self.headers.get("X-Api-Auth") == self.server.key
        with lock:
            entry = {"method": method, "path": url.path, "query": query, "authorized": authorized, "at": time.time()}
            if sent is not None:
                entry["body"] = sent
            state["requests"].append(entry)
            throttled = state["throttle"] > 0
            if throttled:
                state["throttle"] -= 1
                retry_after = state["retry_after"]
                throttle_status = state["throttle_status"]
            users = list(state["users"])
            calls = list(state["calls"])
            agents = list(state["agents"])
            groups = list(state["groups"])
            used = sum(1 for r in state["requests"] if r["at"] > time.time() - 60)
        if not authorized:
            if freshdesk:
                return self.answer(
                    401,
                    {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."},
                )
            return self.error(401, "unauthorized", "Invalid API key")
        limits = {
            "X-RateLimit-Total": str(RATE_LIMIT_TOTAL),
            "X-RateLimit-Remaining": str(max(RATE_LIMIT_TOTAL - used, 0)),
            "X-RateLimit-Used-CurrentRequest": "1",
        }
        if throttled and throttle_status != 429:
            return self.answer(throttle_status, {"code": "unavailable", "message": "down"})
        if throttled:
            return self.answer(
                429,
                {"error_type": "too_many_requests", "message": "Rate limit exceeded", "errors": []},
                {"Retry-After": str(retry_after), **(limits if freshdesk else {})},
            )
        if url.path.startswith("/api/v2/tickets/"):
            ticket_id = url.path.rsplit("/", 1)[1]
            with lock:
                ticket = state["tickets"].get(ticket_id)
                if ticket is None:
                    return self.answer(
                        404, {"code": "record_not_found", "message": "Record not found"}, limits
                    )
                if method == "PUT":
                    if not isinstance(sent, dict):
                        return self.answer(400, {"description": "Validation failed", "errors": []}, limits)
                    responder = sent.get("responder_id")
                    if "responder_id" in sent and responder is not None and not any(
                        a["id"] == responder for a in state["agents"]
                    ):
                        return self.answer(
                            400,
                            {"description": "Validation failed",
                             "errors": [{"field": "responder_id", "message": "There is no agent matching the given responder_id", "code": "invalid_value"}]},
                            limits,
                        )
                    ticket.update(sent)
                    ticket["updated_at"] = datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
                return self.answer(200, dict(ticket), limits)
        if url.path in ("/api/v2/agents", "/api/v2/groups"):
            items = agents if url.path == "/api/v2/agents" else groups
            paged = page_of(items, query)
            if paged is None:
                return self.answer(400, {"description": "Validation failed", "errors": [{"field": "page"}]})
            chunk, meta = paged
            headers = dict(limits)
            if meta["current"] < meta["total_pages"]:
                per_page = min(int(query.get("per_page", [DEFAULT_PER_PAGE])[0]), MAX_PER_PAGE)
                host = self.headers.get("Host")
                headers["Link"] = (
                    f'<http://{host}{url.path}?per_page={per_page}&page={meta["current"] + 1}>; rel="next"'
                )
            return self.answer(200, chunk, headers)
        if url.path == "/api/v1/users":
            paged = page_of(users, query)
            if paged is None:
                return self.error(400, "invalid_value", "page and per_page are numbers")
            return self.answer(200, {"users": paged[0], "meta": paged[1]})
        if url.path == "/api/v1/calls":
            try:
                start = parse_time(query["by_time[from]"][0]) if "by_time[from]" in query else None
                end = parse_time(query["by_time[to]"][0]) if "by_time[to]" in query else None
            except ValueError:
                return self.error(400, "invalid_value", "by_time takes ISO 8601 times")
            chosen = []
            for call in calls:
                created = parse_time(call["created_time"])
                if (start is None or created >= start) and (end is None or created <= end):
                    chosen.append(call)
            paged = page_of(chosen, query)
            if paged is None:
                return self.error(400, "invalid_value", "page and per_page are numbers")
            return self.answer(200, {"calls": paged[0], "meta": paged[1]})
        self.error(404, "record_not_found", f"no {url.path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.key = args.key
    print(f"freshworks-api-double: listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
