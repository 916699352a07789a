"""The model catalogue: fetched from `{base}/models`, cached in memory and on disk per base URL.

Fresh for an hour; `refresh` forces a fetch; concurrent callers share one fetch; when the
network fails the last good list is served with `stale: true`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from .. import wire
from ..errors import InvalidInput, UpstreamError, upstream_error
from ..logging_setup import clean_as_of, secrets_known
from ..memory import release_freed_memory, tune_malloc
from ..protocol import ModelInfo, ModelsListParams, ProviderEndpoint
from ..state_dir import write_atomic
from .client import get_body, get_json
from .json_items import ItemTooLarge, array_items
from .limits import MAX_CATALOGUE_BYTES, MAX_CATALOGUE_ENTRY_CHARS, MAX_CATALOGUE_MODELS
from .model_search import Facets, SearchIndex, facets_of, select
from .models_parse import parse_endpoints, parse_model
from .numbers import UPSTREAM_JSON

log = logging.getLogger(__name__)

FRESH_FOR_S = 3600.0
ENDPOINTS_FRESH_FOR_S = 300.0
CACHE_FORMAT = 2  # 2: the info card's fields (a format-1 cache is refetched)
_DEFAULT_LIST = ModelsListParams()


@dataclass
class CatalogueSnapshot:
    """One fetched catalogue, kept as each model's JSON text (camelCase, ASCII bytes): a warm
    models/list is those fragments written as they are, and the server holds one compact copy
    (~0.7 MB)."""

    base_url: str
    fragments: list[bytes]  # one ModelInfo as JSON text (ASCII) per model
    fetched_at: float  # epoch seconds
    ids: list[str]
    facets: list[Facets]  # what search, filters and sorts read, per model
    by_id: dict[str, int] = field(init=False)  # id -> index in `fragments`
    # Parsed entries, kept: a chat looks its model up on the path to the first token.
    _parsed: dict[int, ModelInfo] = field(init=False, default_factory=dict)
    # `logging_setup.clean_as_of(fragments)`, kept: the writer then sends them unscanned.
    _clean_as_of: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.by_id = {model_id: i for i, model_id in enumerate(self.ids)}

    @functools.cached_property
    def search(self) -> SearchIndex:
        return SearchIndex(self.facets)

    @classmethod
    def from_models(
        cls, base_url: str, models: list[ModelInfo], fetched_at: float
    ) -> CatalogueSnapshot:
        return cls(
            base_url,
            [_encode(m) for m in models],
            fetched_at,
            [m.id for m in models],
            [facets_of(m) for m in models],
        )

    def _index(self, model_id: str) -> int | None:
        # `:free`, `:nitro`… variants are routed to the base model's entry when not listed.
        found = self.by_id.get(model_id)
        return found if found is not None else self.by_id.get(model_id.split(":")[0])

    def knows(self, model_id: str) -> bool:
        return self._index(model_id) is not None

    def model(self, model_id: str) -> ModelInfo | None:
        index = self._index(model_id)
        if index is None:
            return None
        parsed = self._parsed.get(index)
        if parsed is None:
            parsed = wire.structure(json.loads(self.fragments[index]), ModelInfo)
            self._parsed[index] = parsed
        return parsed

    def models_answer(
        self,
        query: str | None,
        stale: bool,
        params: ModelsListParams = _DEFAULT_LIST,
        favorites: list[str] | None = None,
    ) -> wire.RawJson:
        """The models/list result as JSON pieces: `query` ranked over ids and names, `params`'
        filters and sort, `favorites` first (see model_search.py), then the page `offset` and
        `limit` ask for, with the `total` before paging. The fragments are sent as they are, not
        joined: the whole 5,000-model list is 5 MB."""
        order = select(self.search, params, query, favorites or [], self.by_id)
        total = len(self.fragments) if order is None else len(order)
        start = params.offset
        end = total if params.limit is None else start + params.limit
        if order is None:
            selected = self.fragments[start:end] if start or end < total else self.fragments
        else:
            selected = [self.fragments[i] for i in order[start:end]]
        pieces = [b'{"models":[', *_separated(selected)]
        # Numbers, a date and literals: nothing here can hold a secret.
        pieces.append(
            b'],"total":%d,"fetchedAt":"%s","stale":%s}'
            % (total, self.fetched_at_iso.encode(), b"true" if stale else b"false")
        )
        if self._clean_as_of is None or self._clean_as_of != secrets_known():
            self._clean_as_of = clean_as_of(self.fragments)
        return wire.RawJson(pieces, clean_as_of=self._clean_as_of)

    @property
    def fetched_at_iso(self) -> str:
        return datetime.fromtimestamp(self.fetched_at, tz=timezone.utc).isoformat()

    def is_fresh(self, now: float) -> bool:
        return 0 <= now - self.fetched_at < FRESH_FOR_S


def _encode(model: ModelInfo) -> bytes:
    # Strict (allow_nan=False): models/list sends these fragments as they are.
    text = json.dumps(wire.unstructure(model), separators=(",", ":"), allow_nan=False)
    return text.encode("ascii")  # json.dumps escapes anything else


def _separated(fragments: list[bytes]) -> list[bytes]:
    """`fragments` with a comma piece between each two (one list, no text joined)."""
    if not fragments:
        return []
    pieces = [b","] * (2 * len(fragments) - 1)
    pieces[::2] = fragments
    return pieces


async def build_snapshot(base_url: str, body: bytes, fetched_at: float) -> CatalogueSnapshot:
    """GET /models' body as a snapshot, parsed model by model so that the event loop gets a
    turn every few milliseconds (`json_items`); UpstreamError when it is not a model list."""
    where = f"{base_url}/models"
    max_models = MAX_CATALOGUE_MODELS.count()
    fragments: list[bytes] = []
    ids: list[str] = []
    facets: list[Facets] = []
    try:
        text = body.decode("utf-8-sig")
        max_entry = MAX_CATALOGUE_ENTRY_CHARS.count()
        async for item in array_items(text, "data", UPSTREAM_JSON, max_entry):
            model = parse_model(item) if isinstance(item, dict) else None
            if model is None:
                continue  # entries that are not models are skipped, not fatal
            if len(fragments) >= max_models:
                raise upstream_error(
                    "bad_request",
                    f"{where} lists more than {max_models:,} models, so it was not used "
                    f"(limit: {MAX_CATALOGUE_MODELS.env}). Check the base URL.",
                )
            fragments.append(_encode(model))
            ids.append(model.id)
            facets.append(facets_of(model))
    except ItemTooLarge as exc:
        raise upstream_error(
            "bad_request",
            f"{where}: {exc}, so it was not used (limit: {MAX_CATALOGUE_ENTRY_CHARS.env}). "
            "Check the base URL.",
        ) from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise upstream_error(
            "bad_request", f"{where}: not a model list with a `data` array ({exc})."
        ) from None
    return CatalogueSnapshot(base_url, fragments, fetched_at, ids, facets)


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
        return snapshot.model(model_id)

    async def _fetch_shared(self, base_url: str, api_key: str | None) -> CatalogueSnapshot:
        task = self._inflight.get(base_url)
        if task is None:
            task = asyncio.ensure_future(self._fetch(base_url, api_key))
            self._inflight[base_url] = task
            task.add_done_callback(lambda _: self._inflight.pop(base_url, None))
        # shield: one caller's cancellation must not cancel the fetch the others wait on.
        return await asyncio.shield(task)

    async def _fetch(self, base_url: str, api_key: str | None) -> CatalogueSnapshot:
        tune_malloc()  # (done at `initialized` too): the body's blocks are unmapped when freed
        body = await get_body(base_url, "/models", api_key, MAX_CATALOGUE_BYTES)
        try:
            snapshot = await build_snapshot(base_url, body, time.time())
        except BaseException:
            del body
            release_freed_memory()
            raise
        del body
        self._snapshots[base_url] = snapshot
        self._save_disk(snapshot)
        # The body, the parse's garbage and the cache file's text go back to the OS at once. Not
        # before the cache is written: glibc raises its mmap threshold to the body's size once
        # that is freed, so the file's text (as big as the fragments) would then come from the
        # heap and stay resident (5,000 models: +13 MB).
        release_freed_memory()
        return snapshot

    def _save_disk(self, snapshot: CatalogueSnapshot) -> None:
        path = cache_path(self._folder, snapshot.base_url)
        head = json.dumps(
            {"format": CACHE_FORMAT, "baseUrl": snapshot.base_url, "fetchedAt": snapshot.fetched_at}
        )
        data = b'%s,"models":[%s]}' % (head[:-1].encode(), b",".join(snapshot.fragments))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data, 0o600)
        except OSError as exc:
            log.warning("Could not write the model cache %s: %s", path, exc)

    def _load_disk(self, base_url: str) -> CatalogueSnapshot | None:
        snapshot = self._read_disk(base_url)
        if snapshot is not None:
            self._snapshots[base_url] = snapshot
            release_freed_memory()  # the file's parse and the models it re-encoded
        return snapshot

    def _read_disk(self, base_url: str) -> CatalogueSnapshot | None:
        path = cache_path(self._folder, base_url)
        try:
            document = json.loads(path.read_bytes())
            if document.get("format") != CACHE_FORMAT or document.get("baseUrl") != base_url:
                return None
            models = [wire.structure(m, ModelInfo) for m in document["models"]]  # validates
            snapshot = CatalogueSnapshot.from_models(
                base_url, models, float(document["fetchedAt"])
            )
        except FileNotFoundError:
            return None
        except (
            OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError, InvalidInput
        ):
            log.warning("Ignoring an unreadable model cache %s", path)
            return None
        return snapshot

    def cached_endpoints(self, base_url: str, model_id: str) -> list[ProviderEndpoint] | None:
        """The model's endpoints if fetched before (however long ago), without the network."""
        cached = self._endpoints.get((base_url, model_id))
        return cached[1] if cached else None

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
            raise upstream_error("bad_request", f"{base_url}{path}: {exc}.") from None
        self._endpoints[key] = (time.time(), providers)
        return providers
