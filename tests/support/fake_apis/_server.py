"""`FakeApi`: a stdlib HTTP server on 127.0.0.1 that subclasses turn into a provider's API.

The server (a `ThreadingHTTPServer` on a free loopback port, served from a daemon thread) starts
and stops as a context manager; `.url` is its base URL. Subclasses register routes with
`self.route(method, pattern, handler)` (a regex matched against the whole path; named groups
become `request.params`) and hold their data under `self.lock`.

Tests steer it through faults, checked before routing and authentication, by path prefix:
`fail_next(prefix, status=429, headers={"Retry-After": "1"}, times=1)`, `reset_next(prefix)`
(close the connection with a TCP reset instead of answering) and `fail_after(prefix, served=N)`
(serve N matching requests, then fail with 500 forever, to interrupt a run mid-way). Every
request lands in `requests` (method, path, query, arrival time, status) for assertions such as
"the retry came at least Retry-After later". Request bodies are never logged.

OAuth 2.0: `POST /token` (`token_pattern`) implements the refresh-token and client-credentials
grants against `credentials` and issues bearer tokens that expire after `token_lifetime`
seconds; every other route answers 401 unless it gets a live token. `revoke_tokens()` makes the
tokens already issued fail, as a password change or a revoked consent would.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["Credentials", "FakeApi", "LoggedRequest", "Request", "Response"]


@dataclass(frozen=True)
class Credentials:
    """What the token endpoint accepts; random by default so a leak check can look for them."""

    client_id: str = field(default_factory=lambda: "fake-client-" + secrets.token_hex(6))
    client_secret: str = field(default_factory=lambda: "fake-secret-" + secrets.token_hex(12))
    refresh_token: str = field(default_factory=lambda: "fake-refresh-" + secrets.token_hex(12))
    scope: str | None = None  # when set, a client-credentials request must ask for exactly this

    def secrets(self) -> list[str]:
        """The values that must never appear in a log."""
        return [self.client_secret, self.refresh_token]


@dataclass(frozen=True)
class Request:
    """One request as a route handler sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    form: dict[str, str]
    params: dict[str, str]
    #: The request target exactly as it arrived (path and raw query string, not decoded).
    target: str = ""

    def arg(self, name: str) -> str | None:
        """The first value of a query parameter, or None."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Response:
    """A JSON answer (`body` None sends an empty body)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedRequest:
    """A request as it arrived; `status` is None when the connection was reset instead."""

    method: str
    path: str
    query: dict[str, list[str]]
    at: float  # time.monotonic() on arrival
    status: int | None


@dataclass
class _Fault:
    prefix: str
    status: int | None  # None: reset the connection
    headers: dict[str, str]
    remaining: int | None  # None: forever
    skip: int = 0  # matching requests served normally first


Handler = Callable[[Request], Response]


class FakeApi:
    """Base class of the fake APIs; see the module docstring."""

    token_pattern = r"/token"

    def __init__(self, *, credentials: Credentials | None = None,
                 token_lifetime: int = 3600) -> None:
        self.credentials = credentials or Credentials()
        self.token_lifetime = token_lifetime
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self._faults: list[_Fault] = []
        self._log: list[LoggedRequest] = []
        self._tokens: dict[str, float] = {}  # live token -> monotonic expiry
        self.issued_tokens: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.route("POST", self.token_pattern, self._token, auth=False)

    # Lifecycle

    def __enter__(self) -> Self:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The fake API is not running: use it as a context manager.")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_url(self) -> str:
        return self.url + self.token_pattern

    # Routes and errors (for subclasses)

    def route(self, method: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
        """Serve `method` requests whose path fully matches `pattern` with `handler`."""
        self._routes.append((method, re.compile(pattern), handler, auth))

    def error(self, status: int, message: str) -> Response:
        """An error answer in the provider's format (override `error_body` to change it)."""
        return Response(status, self.error_body(status, message))

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"code": status, "message": message}}

    # Faults

    def fail_next(self, path_prefix: str, *, status: int = 500,
                  headers: Mapping[str, str] | None = None, times: int = 1) -> None:
        """Answer the next `times` requests under `path_prefix` with `status`."""
        self._add_fault(_Fault(path_prefix, status, dict(headers or {}), times))

    def reset_next(self, path_prefix: str, *, times: int = 1) -> None:
        """Reset the connection of the next `times` requests under `path_prefix`."""
        self._add_fault(_Fault(path_prefix, None, {}, times))

    def fail_after(self, path_prefix: str, served: int, *, status: int = 500) -> None:
        """Serve `served` more requests under `path_prefix`, then fail all later ones."""
        self._add_fault(_Fault(path_prefix, status, {}, None, skip=served))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def revoke_tokens(self) -> None:
        """Make every token issued so far fail with 401."""
        with self.lock:
            self._tokens.clear()

    # The request log

    @property
    def requests(self) -> list[LoggedRequest]:
        with self.lock:
            return list(self._log)

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[LoggedRequest]:
        return [r for r in self.requests
                if r.path.startswith(path_prefix) and method in (None, r.method)]

    # Internals

    def _add_fault(self, fault: _Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def _take_fault(self, path: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if not path.startswith(fault.prefix):
                    continue
                if fault.skip:
                    fault.skip -= 1
                    return None
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        parts = urlsplit(handler.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        fault = self._take_fault(path)
        if fault is not None and fault.status is None:
            self._record(LoggedRequest(handler.command, path, query, arrived, None))
            _reset(handler)
            return
        if fault is not None and fault.status is not None:
            response = Response(fault.status, self.error_body(fault.status, "Injected fault."),
                                dict(fault.headers))
        else:
            form = ({k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()}
                    if "form-urlencoded" in (handler.headers.get("Content-Type") or "") else {})
            response = self._dispatch(handler.command, path, query, dict(handler.headers), form,
                                      handler.path)
        self._record(LoggedRequest(handler.command, path, query, arrived, response.status))
        _write(handler, response)

    def _dispatch(self, method: str, path: str, query: dict[str, list[str]],
                  headers: dict[str, str], form: dict[str, str], target: str = "") -> Response:
        for route_method, pattern, route_handler, auth in self._routes:
            match = pattern.fullmatch(path)
            if match is None or route_method != method:
                continue
            if auth and not self._authorized(headers.get("Authorization", "")):
                response = self.error(401, "Request had invalid authentication credentials.")
                response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                return response
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            return route_handler(Request(method, path, query, headers, form, params, target))
        return self.error(404, "Not found.")

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        with self.lock:
            expiry = self._tokens.get(token)
        return scheme == "Bearer" and expiry is not None and time.monotonic() < expiry

    def _token(self, request: Request) -> Response:
        form, expected = request.form, self.credentials
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "client_credentials"):
            return Response(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != (expected.client_id,
                                                                  expected.client_secret):
            return Response(401, {"error": "invalid_client"})
        if grant == "refresh_token" and form.get("refresh_token") != expected.refresh_token:
            return Response(400, {"error": "invalid_grant",
                                  "error_description": "Token has been expired or revoked."})
        if grant == "client_credentials" and expected.scope not in (None, form.get("scope")):
            return Response(400, {"error": "invalid_scope"})
        token = "fake-access-" + secrets.token_hex(16)
        with self.lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime
            self.issued_tokens.append(token)
        return Response(200, {"access_token": token, "token_type": "Bearer",
                              "expires_in": self.token_lifetime})

    def _record(self, entry: LoggedRequest) -> None:
        with self.lock:
            self._log.append(entry)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive connections must not hold up stop()
    api: FakeApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up: fine
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients use the APIs
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def do_GET(self) -> None:
        self.server.api._serve(self)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log replaces the stderr lines


def _write(handler: BaseHTTPRequestHandler, response: Response) -> None:
    payload = b"" if response.body is None else json.dumps(response.body).encode()
    handler.send_response(response.status)
    for name, value in {"Content-Type": "application/json", **response.headers}.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    # SO_LINGER with a zero timeout makes close() send a TCP RST: the client sees a reset
    # connection, not a clean end of stream.
    handler.close_connection = True
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
