"""`FakeStripe`: Stripe's list endpoints for customers, invoices, payment intents and refunds.

`GET /v1/customers`, `/v1/invoices`, `/v1/payment_intents` and `/v1/refunds` answer Stripe's list
object `{"object": "list", "data": [...], "has_more": bool, "url": "/v1/<resource>"}` newest
first (by `created`, then id descending), with `limit` (1-100, default 10), `starting_after` (an
id of that resource: the page starts just after it; an unknown id is a 400 `resource_missing`)
and `created[gte]`, `created[gt]`, `created[lte]`, `created[lt]` (unix seconds). Any other query
parameter is a 400, so a test cannot pass on a filter the fake silently ignored. Objects are
served exactly as given. Authentication is the API key as a bearer token
(`Authorization: Bearer sk_…`); anything else gets Stripe's 401, and a resource listed in
`denied` gets the 403 a restricted key without that permission gets. Errors, injected faults
included, carry Stripe's body `{"error": {"type", "message", "code"?}}`. `add(objects)` is new
data arriving; each object goes to the resource its `object` field names. Every accepted request's
`Stripe-Version` header (None when absent) lands in `stripe_versions`. An invoice's `payments`
list is includable, as in Stripe's current API: stored invoices carry it, and it is served only
to a request with `expand[]=data.payments` (`expand[]` on another resource, or naming anything
else, is a 400).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable
from typing import Any

from tests.support.fake_apis._server import FakeApi, Request, Response

__all__ = ["RESOURCES", "FakeStripe"]

#: Resource (URL segment) -> the `object` value of its items.
RESOURCES = {"customers": "customer", "invoices": "invoice",
             "payment_intents": "payment_intent", "refunds": "refund"}
_RESOURCE_OF = {kind: resource for resource, kind in RESOURCES.items()}
_CREATED_OPS = {"gte": int.__ge__, "gt": int.__gt__, "lte": int.__le__, "lt": int.__lt__}
_PARAMS = {"limit", "starting_after", "expand[]", *(f"created[{op}]" for op in _CREATED_OPS)}
#: Includable fields per resource: absent unless the list is asked to expand `data.<field>`.
_INCLUDABLE = {"invoices": ("payments",)}


class FakeStripe(FakeApi):
    """Stripe's list endpoints for four resources, authenticated by API key."""

    def __init__(self, objects: Iterable[dict[str, Any]] = (), *, api_key: str | None = None,
                 denied: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key or "sk_test_fake" + secrets.token_hex(12)
        self.denied = frozenset(denied)
        self.stripe_versions: list[str | None] = []
        self._objects: dict[str, dict[str, dict[str, Any]]] = {r: {} for r in RESOURCES}
        self.add(objects)
        pattern = "/v1/(?P<resource>" + "|".join(RESOURCES) + ")"
        # The base class checks OAuth tokens it issued; Stripe takes the API key itself.
        self.route("GET", pattern, self._list, auth=False)

    def add(self, objects: Iterable[dict[str, Any]]) -> None:
        """Store Stripe objects, as if they had just been created."""
        with self.lock:
            for item in objects:
                self._objects[_RESOURCE_OF[item["object"]]][item["id"]] = copy.deepcopy(item)

    def objects(self, resource: str) -> list[dict[str, Any]]:
        """Copies of the stored objects of one resource, oldest first."""
        with self.lock:
            return copy.deepcopy(sorted(self._objects[resource].values(), key=_order_key))

    def error_body(self, status: int, message: str) -> Any:
        error: dict[str, Any] = {"type": "api_error" if status >= 500 else
                                 "invalid_request_error", "message": message}
        if status == 429:
            error["code"] = "rate_limit"
        return {"error": error}

    def _list(self, request: Request) -> Response:
        resource = request.params["resource"]
        authorization = next((value for name, value in request.headers.items()
                              if name.lower() == "authorization"), "")
        if authorization != f"Bearer {self.api_key}":
            response = self.error(401, "Invalid API Key provided.")
            response.headers["WWW-Authenticate"] = 'Basic realm="Stripe"'
            return response
        if resource in self.denied:
            return self.error(403, f"The provided key does not have the required permissions "
                                   f"for this endpoint (/v1/{resource}).")
        with self.lock:
            self.stripe_versions.append(next((value for name, value in request.headers.items()
                                              if name.lower() == "stripe-version"), None))
        unknown = sorted(set(request.query) - _PARAMS)
        if unknown:
            return self.error(400, f"Received unknown parameter: {unknown[0]}")
        expand = set(request.query.get("expand[]", []))
        includable = {f"data.{name}" for name in _INCLUDABLE.get(resource, ())}
        if expand - includable:
            return self.error(400, f"This property cannot be expanded "
                                   f"({sorted(expand - includable)[0]}).")
        try:
            limit = int(request.arg("limit") or 10)
            bounds = [(_CREATED_OPS[op], int(value)) for op in _CREATED_OPS
                      if (value := request.arg(f"created[{op}]")) is not None]
        except ValueError:
            return self.error(400, "Invalid integer.")
        if not 1 <= limit <= 100:
            return self.error(400, "Invalid limit: must be between 1 and 100.")
        newest_first = self.objects(resource)[::-1]
        cursor = request.arg("starting_after")
        if cursor is not None:
            ids = [item["id"] for item in newest_first]
            if cursor not in ids:
                response = self.error(400, f"No such {RESOURCES[resource]}: '{cursor}'")
                response.body["error"].update(code="resource_missing", param="starting_after")
                return response
            newest_first = newest_first[ids.index(cursor) + 1:]
        matching = [item for item in newest_first
                    if all(compare(int(item["created"]), value) for compare, value in bounds)]
        hidden = [name for name in _INCLUDABLE.get(resource, ()) if f"data.{name}" not in expand]
        page = [{k: v for k, v in item.items() if k not in hidden} for item in matching[:limit]]
        return Response(200, {"object": "list", "data": page,
                              "has_more": len(matching) > limit, "url": f"/v1/{resource}"})


def _order_key(item: dict[str, Any]) -> tuple[int, str]:
    return int(item["created"]), item["id"]
