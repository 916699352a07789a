"""The OpenRouter routes under `/api/v1`, each wrapped to record the request, apply a
matching fault and check the Bearer key."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .account import credits_data, key_data
from .catalogue import Catalogue
from .chat import ChatPlan, plan_chat
from .errors import json_error
from .faults import error_body_200, fault_response
from .oauth import OAuth
from .state import EmulatorState, Fault, RequestRecord
from .stream import Progress, WatchedStream, sse_events

API = "/api/v1"
ANY = ["GET", "POST", "PUT", "PATCH", "DELETE"]
Handler = Callable[[Request, RequestRecord, "Fault | None"], Awaitable[Response]]


class Api:
    def __init__(self, state: EmulatorState, catalogue: Catalogue) -> None:
        self.state = state
        self.catalogue = catalogue
        self.oauth = OAuth(state)

    def routes(self) -> list[BaseRoute]:
        return [
            self._route("/models", self.models, auth=False),
            self._route("/models/{model_id:path}/endpoints", self.endpoints, auth=False,
                        template="/models/{author}/{slug}/endpoints"),
            self._route("/providers", self.providers, auth=False),
            self._route("/key", self.key),
            self._route("/auth/key", self.key),
            self._route("/credits", self.credits),
            self._route("/generation", self.generation),
            self._route("/chat/completions", self.chat, methods=["POST"]),
            self._route("/auth/keys", self.auth_keys, auth=False, methods=["POST"]),
            # The authorisation page lives on the site's origin, as openrouter.ai/auth does.
            self._route("/auth", self.auth_page, auth=False, prefix=""),
            self._route("/auth/authorize", self.authorize, auth=False, prefix=""),
            self._route("/{rest:path}", self.not_found, auth=False, methods=ANY),
            # Outside /api/v1 too (a client with a wrong base URL): recorded, then 404.
            self._route("/{rest:path}", self.not_found, auth=False, methods=ANY, prefix=""),
        ]

    def _route(self, path: str, handler: Handler, *, auth: bool = True,
               methods: list[str] | None = None, template: str | None = None,
               prefix: str = API) -> Route:
        async def endpoint(request: Request) -> Response:
            record = await self._record(request)
            relative = request.url.path.removeprefix(API)
            # Faults name /api/v1 routes: paths outside it never consume one.
            fault = self.state.take_fault((relative, template or path)) if prefix else None
            if fault is not None and fault.delay_seconds:
                await asyncio.sleep(fault.delay_seconds)
            if fault is not None and fault.mode is None and fault.status is not None:
                config = self.state.snapshot_config()
                response = fault_response(fault, config.rate_limit_headers)
            elif auth and (denied := self._check_key(request)) is not None:
                response = denied
            else:
                response = await handler(request, record, fault)
            record.status = response.status_code
            return response

        return Route(prefix + path, endpoint, methods=methods or ["GET"])

    async def _record(self, request: Request) -> RequestRecord:
        raw = await request.body()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
        return self.state.add_request({
            "method": request.method,
            "path": request.url.path,
            "query": dict(request.query_params),
            "headers": dict(request.headers),
            "body": body,
            "received_at": now.replace("+00:00", "Z"),
        })

    def _check_key(self, request: Request) -> Response | None:
        key = _bearer(request)
        if not key:
            return json_error(401, "No auth credentials found")
        keys = self.state.snapshot_config().api_keys
        with self.state.lock:
            issued = key in self.state.issued_keys
        if issued:
            return None
        if (keys and key not in keys) or (not keys and not key.startswith("sk-or-")):
            return json_error(401, "User not found.")
        return None

    # -- catalogue ------------------------------------------------------------------------
    async def models(self, request: Request, record: RequestRecord, fault: Fault | None
                     ) -> Response:
        return JSONResponse(self.catalogue.list_models(dict(request.query_params)))

    async def endpoints(self, request: Request, record: RequestRecord, fault: Fault | None
                        ) -> Response:
        model_id = request.path_params["model_id"]
        data = self.catalogue.endpoints(model_id)
        if data is None:
            return json_error(404, f"Model {model_id} not found", {"error_type": "not_found"})
        return JSONResponse({"data": data})

    async def providers(self, request: Request, record: RequestRecord, fault: Fault | None
                        ) -> Response:
        return JSONResponse({"data": self.catalogue.providers()})

    async def not_found(self, request: Request, record: RequestRecord, fault: Fault | None
                        ) -> Response:
        return json_error(404, "Not Found", {"error_type": "not_found"})

    # -- account --------------------------------------------------------------------------
    async def key(self, request: Request, record: RequestRecord, fault: Fault | None
                  ) -> Response:
        with self.state.lock:
            usage, free = self.state.total_usage, self.state.free_requests_today
        data = key_data(_bearer(request), self.state.snapshot_config(), usage, free)
        return JSONResponse({"data": data})

    async def credits(self, request: Request, record: RequestRecord, fault: Fault | None
                      ) -> Response:
        data = credits_data(self.state.snapshot_config(), self.state.total_usage)
        return JSONResponse({"data": data})

    async def generation(self, request: Request, record: RequestRecord, fault: Fault | None
                         ) -> Response:
        gen_id = request.query_params.get("id")
        if not gen_id:
            return json_error(400, "Missing generation id", {"error_type": "invalid_request"})
        found = self.state.generation(gen_id)
        if found is None:
            return json_error(404, f"Generation {gen_id} not found",
                              {"error_type": "not_found"})
        return JSONResponse({"data": found})

    # -- OAuth PKCE (oauth.py) --------------------------------------------------------------
    async def auth_page(self, request: Request, record: RequestRecord, fault: Fault | None
                        ) -> Response:
        return await self.oauth.auth_page(request)

    async def authorize(self, request: Request, record: RequestRecord, fault: Fault | None
                        ) -> Response:
        return await self.oauth.authorize(request)

    async def auth_keys(self, request: Request, record: RequestRecord, fault: Fault | None
                        ) -> Response:
        return await self.oauth.exchange(record.body)

    # -- chat -----------------------------------------------------------------------------
    async def chat(self, request: Request, record: RequestRecord, fault: Fault | None
                   ) -> Response:
        config = self.state.snapshot_config()
        plan = plan_chat(record.body, self.catalogue, self.state, config)
        if not isinstance(plan, ChatPlan):
            return plan
        record.generation_id = plan.gen_id
        headers = {"X-Generation-Id": plan.gen_id, **(fault.headers if fault else {})}
        if fault is not None and fault.mode == "error_body_200":
            return error_body_200(fault)
        if not plan.stream:
            if config.tokens_per_second:
                await asyncio.sleep(min(plan.completion_tokens / config.tokens_per_second, 30))
            self.state.add_generation(plan.generation(
                finish_reason=plan.finish_reason, cancelled=False,
                completion_tokens=plan.completion_tokens, headers=record.headers))
            return JSONResponse(plan.result(), headers=headers)
        progress = Progress()

        def on_end(disconnected: bool) -> None:
            with self.state.lock:
                record.disconnected = disconnected
            finish = None if disconnected else progress.finish_reason
            self.state.add_generation(plan.generation(
                finish_reason=finish, cancelled=finish is None,
                completion_tokens=progress.tokens, headers=record.headers))

        return WatchedStream(sse_events(plan, fault, config, progress), headers, on_end)


def _bearer(request: Request) -> str:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
