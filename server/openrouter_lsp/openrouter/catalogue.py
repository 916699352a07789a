"""The model catalogue: fetched from `{base}/models`, cached in memory and on disk per base URL.

Fresh for an hour; `refresh` forces a fetch; concurrent callers share one fetch; when the
network fails the last good list is served with `stale: true`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import wire
from ..protocol import ModelInfo, ProviderEndpoint
from ..state_dir import write_atomic
from .client import get_json
from .errors import UpstreamError
from .models_parse import parse_endpoints, parse_models

log = logging.getLogger(__name__)

FRESH_FOR_S = 3600.0
ENDPOINTS_FRESH_FOR_S = 300.0
CACHE_FORMAT = 1


@dataclass
class CatalogueSnapshot:
    base_url: str
    models: list[ModelInfo]
    fetched_at: float  # epoch seconds
    by_id: dict[str, ModelInfo] = field(init=False)
    # The wire form, built once: a warm models/list must not unstructure 337 models each time.
    wire_models: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {m.id: m for m in self.models}
        self.wire_models = [wire.unstructure(m) for m in self.models]

    @property
    def fetched_at_iso(self) -> str:
        return datetime.fromtimestamp(self.fetched_at, tz=timezone.utc).isoformat()

    def is_fresh(self, now: float) -> bool:
        return 0 <= now - self.fetched_at < FRESH_FOR_S


def cache_path(folder: Path, base_url: str) -> Path:
    digest = hashlib.sha256(base_url.encode()).hexdigest()[:20]
    return folder / "cache" / f"models-{digest}.json"


class Catalogue:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._snapshots: dict[str, CatalogueSnapshot] = {}
        self._inflight: dict[str, asyncio.Task[CatalogueSnapshot]] = {}
        self._endpoints: dict[tuple[str, str], tuple[float, list[ProviderEndpoint]]] = {}

    async def get(
        self, base_url: str, api_key: str | None, *, refresh: bool = False
    ) -> tuple[CatalogueSnapshot, bool]:
        """The catalogue for `base_url` and whether it is stale (the network failed)."""
        now = time.time()
        known = self._snapshots.get(base_url) or self._load_disk(base_url)
        if known and not refresh and known.is_fresh(now):
            return known, False
        try:
            return await self._fetch_shared(base_url, api_key), False
        except UpstreamError as exc:
            if known is None or exc.kind in ("auth", "no_api_key"):
                raise
            log.warning("Serving the cached model list for %s: %s", base_url, exc.kind)
            return known, True

    def cached(self, base_url: str) -> CatalogueSnapshot | None:
        """Whatever is known without touching the network (memory, then disk)."""
        return self._snapshots.get(base_url) or self._load_disk(base_url)

    async def find_model(
        self, base_url: str, api_key: str | None, model_id: str
    ) -> ModelInfo | None:
        """The model's entry, fetching the catalogue if needed; None when unknown or unavailable."""
        try:
            snapshot, _ = await self.get(base_url, api_key)
        except UpstreamError:
            return None
        return snapshot.by_id.get(model_id) or snapshot.by_id.get(model_id.split(":")[0])

    async def _fetch_shared(self, base_url: str, api_key: str | None) -> CatalogueSnapshot:
        task = self._inflight.get(base_url)
        if task is None:
            task = asyncio.ensure_future(self._fetch(base_url, api_key))
            self._inflight[base_url] = task
            task.add_done_callback(lambda _: self._inflight.pop(base_url, None))
        # shield: one caller's cancellation must not cancel the fetch the others wait on.
        return await asyncio.shield(task)

    async def _fetch(self, base_url: str, api_key: str | None) -> CatalogueSnapshot:
        payload = await get_json(base_url, "/models", api_key)
        try:
            models = parse_models(payload)
        except ValueError as exc:
            from .errors import upstream_error

            raise upstream_error("bad_request", f"{base_url}/models: {exc}.") from None
        snapshot = CatalogueSnapshot(base_url=base_url, models=models, fetched_at=time.time())
        self._snapshots[base_url] = snapshot
        self._save_disk(snapshot)
        return snapshot

    def _save_disk(self, snapshot: CatalogueSnapshot) -> None:
        path = cache_path(self._folder, snapshot.base_url)
        document = {
            "format": CACHE_FORMAT,
            "baseUrl": snapshot.base_url,
            "fetchedAt": snapshot.fetched_at,
            "models": snapshot.wire_models,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(document, separators=(",", ":")).encode(), 0o600)
        except OSError as exc:
            log.warning("Could not write the model cache %s: %s", path, exc)

    def _load_disk(self, base_url: str) -> CatalogueSnapshot | None:
        path = cache_path(self._folder, base_url)
        try:
            document = json.loads(path.read_bytes())
            if document.get("format") != CACHE_FORMAT or document.get("baseUrl") != base_url:
                return None
            models = [wire.structure(m, ModelInfo) for m in document["models"]]
            snapshot = CatalogueSnapshot(base_url, models, float(document["fetchedAt"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, wire.InvalidParams):
            log.warning("Ignoring an unreadable model cache %s", path)
            return None
        self._snapshots[base_url] = snapshot
        return snapshot

    async def endpoints(
        self, base_url: str, api_key: str | None, model_id: str
    ) -> list[ProviderEndpoint]:
        key = (base_url, model_id)
        cached = self._endpoints.get(key)
        if cached and time.time() - cached[0] < ENDPOINTS_FRESH_FOR_S:
            return cached[1]
        path = f"/models/{quote(model_id, safe='/:')}/endpoints"
        payload = await get_json(base_url, path, api_key)
        try:
            providers = parse_endpoints(payload)
        except ValueError as exc:
            from .errors import upstream_error

            raise upstream_error("bad_request", f"{base_url}{path}: {exc}.") from None
        self._endpoints[key] = (time.time(), providers)
        return providers
