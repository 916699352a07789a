"""models/list's search, filters, sorts and favourites, over a catalogue snapshot's facets.

Each model keeps a small `Facets` record, and each catalogue one `SearchIndex` over them (both
built once per fetched catalogue): filters read columns of flags, sorts read columns of keys, a
query narrows the models with one substring test per word and model before any ranking, and a
word made of letters and digits is ranked with two substring tests on a key whose other
characters are blanks. A catalogue of 5,000 models is searched in about a millisecond; the last
few orders are kept, so the pages of one list (`offset`) cost only their own JSON.

Ranking of a query: every word of the query must occur in the model's id or name; each word
scores how well it matches — the whole id or name (0), a whole word or id segment such as
"mini" in `openai/gpt-4o-mini` (1), the start of a word (2), elsewhere inside one, as "mini" in
"Gemini" (3) — and models are ordered by the sum, then catalogue order. Repeated words count
once, and only the first `MAX_QUERY_WORDS` distinct words count.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..protocol import ModelInfo, ModelsListParams

EXACT, WHOLE_WORD, WORD_START, INSIDE = 0, 1, 2, 3
# Distinct words of a query that count (a picker's query has a few; a pasted paragraph must not
# hold the event loop: ranking is words x models x occurrences).
MAX_QUERY_WORDS = 8
_LAST = float("inf")


@dataclass(frozen=True, slots=True)
class Facets:
    """What search, filters and sorts read of one model."""

    key: str  # "id\nname", case-folded
    id_chars: int  # where the id ends in `key` (no set of whole names per model: ~0.4 KB each)
    is_free: bool
    images: bool
    tools: bool
    reasoning: bool
    caching: bool
    context: int  # 0 when unknown
    prompt_price: float | None  # USD per million; None when unknown or variable
    completion_price: float | None
    created: str  # ISO-8601; "" when unknown


def facets_of(model: ModelInfo) -> Facets:
    model_id = model.id.casefold()
    name = model.name.casefold()
    return Facets(
        key=f"{model_id}\n{name}",
        id_chars=len(model_id),
        is_free=model.is_free,
        images=model.supports_images,
        tools=model.supports_tools,
        reasoning=model.supports_reasoning,
        caching=model.supports_prompt_caching,
        context=model.context_length or 0,
        prompt_price=model.pricing.prompt,
        completion_price=model.pricing.completion,
        created=model.created or "",
    )


def is_whole(facets: Facets, phrase: str) -> bool:
    """Whether `phrase` (case-folded) is the model's whole id, its id without the author, or its
    whole name: lengths first, so that most models cost two comparisons of integers."""
    key, id_end = facets.key, facets.id_chars
    size = len(phrase)
    if size == id_end and key.startswith(phrase):
        return True
    if size == len(key) - id_end - 1 and key.endswith(phrase):
        return True
    slash = key.find("/", 0, id_end)
    return slash != -1 and size == id_end - slash - 1 and key.startswith(phrase, slash + 1)


def _word_score(key: str, word: str) -> int | None:
    """How well `word` (case-folded) matches inside `key`: the best of its occurrences."""
    best: int | None = None
    start = key.find(word)
    end_limit = len(key)
    while start != -1:
        before = key[start - 1] if start else ""
        after_index = start + len(word)
        after = key[after_index] if after_index < end_limit else ""
        starts_word = not before.isalnum() or not word[0].isalnum()
        ends_word = not after.isalnum() or not word[-1].isalnum()
        score = (WHOLE_WORD if ends_word else WORD_START) if starts_word else INSIDE
        if best is None or score < best:
            best = score
            if best == WHOLE_WORD:
                break
        start = key.find(word, start + 1)
    return best


def query_words(phrase: str) -> list[str]:
    """The query's distinct words, first ones first, at most `MAX_QUERY_WORDS`."""
    return list(dict.fromkeys(phrase.split(" ")))[:MAX_QUERY_WORDS]


def relevance(facets: Facets, words: list[str], phrase: str) -> int | None:
    """The model's score for the query (lower is better), or None when it does not match."""
    if is_whole(facets, phrase):
        return EXACT
    if not all(word in facets.key for word in words):
        return None
    total = 0
    for word in words:
        score = _word_score(facets.key, word)
        if score is None:
            return None
        total += score
    return total


def is_filtered(params: ModelsListParams) -> bool:
    return bool(
        params.free
        or params.image_input
        or params.tools
        or params.reasoning
        or params.caching
        or params.min_context is not None
        or params.max_prompt_price is not None
    )


def _bounded(key: str) -> str:
    """`key` with every character that is not a letter or digit a blank, and blanks around."""
    return f" {''.join(c if c.isalnum() else ' ' for c in key)} "


@dataclass
class SearchIndex:
    """Columns of a catalogue's facets, for `select` (built on the first list of a catalogue;
    ~0.9 MB for 5,000 models)."""

    facets: list[Facets]
    keys: list[str] = field(init=False)
    bounded: list[str] = field(init=False)  # `_bounded(key)`
    # Columns of one byte or number a model, not lists of objects (5,000 models: 0.7 MB less)
    flags: dict[str, bytes] = field(init=False)  # filter name -> whether each model passes
    prompt_prices: array[float] = field(init=False)  # unknown and variable: infinite
    price_ranks: array[int] = field(init=False)  # place in the price order; ties share one
    # The last orders (compact: 4 bytes a model), by what was asked
    orders: OrderedDict[tuple[object, ...], array[int] | None] = field(
        init=False, default_factory=OrderedDict
    )

    def __post_init__(self) -> None:
        facets = self.facets
        self.keys = [f.key for f in facets]
        self.bounded = [_bounded(f.key) for f in facets]
        self.flags = {
            "free": bytes(f.is_free for f in facets),
            "image_input": bytes(f.images for f in facets),
            "tools": bytes(f.tools for f in facets),
            "reasoning": bytes(f.reasoning for f in facets),
            "caching": bytes(f.caching for f in facets),
        }
        price_keys = [_price_key(f) for f in facets]
        self.prompt_prices = array("d", (key[0] for key in price_keys))
        self.price_ranks = _dense_ranks(price_keys)


KEPT_ORDERS = 8  # a picker pages through one list, or goes back to the previous query


def select(
    index: SearchIndex, params: ModelsListParams, query: str | None, favorites: Sequence[str],
    by_id: dict[str, int],
) -> Sequence[int] | None:
    """Indices of the models to list, in order; None for "all, in catalogue order"."""
    phrase = " ".join(query.casefold().split()) if query else ""
    if params.ids is not None:
        # A few named models: cheap to select, and not kept (they would push a picker's pages out).
        return _select(index, params, phrase, favorites, by_id)
    key = (
        phrase, params.free, params.image_input, params.tools, params.reasoning, params.caching,
        params.min_context, params.max_prompt_price, params.sort, tuple(favorites),
    )
    orders = index.orders
    if key in orders:
        orders.move_to_end(key)
        return orders[key]
    chosen = _select(index, params, phrase, favorites, by_id)
    order = None if chosen is None else array("i", chosen)
    orders[key] = order
    if len(orders) > KEPT_ORDERS:
        orders.popitem(last=False)
    return order


def _select(
    index: SearchIndex, params: ModelsListParams, phrase: str, favorites: Sequence[str],
    by_id: dict[str, int],
) -> list[int] | None:
    filtered = is_filtered(params)
    named = params.ids is not None
    if not phrase and not filtered and params.sort == "default" and not favorites and not named:
        return None
    facets = index.facets
    words = query_words(phrase) if phrase else []
    if params.ids is not None:
        chosen = _named(index, params.ids, words, by_id)
    else:
        # The query's substring tests first: they leave the fewest models for the filters.
        chosen = _matching(index, words) if words else list(range(len(facets)))
    if filtered:
        chosen = _filtered(index, params, chosen)
    if words:
        chosen = _ranked(index, chosen, phrase, words)
    if params.sort == "price":
        chosen.sort(key=index.price_ranks.__getitem__)
    elif params.sort == "context":
        chosen.sort(key=lambda i: -facets[i].context)
    elif params.sort == "newest":
        chosen.sort(key=lambda i: facets[i].created, reverse=True)
    if favorites:
        starred = {by_id[m] for m in favorites if m in by_id}
        if starred:
            chosen = [i for i in chosen if i in starred] + [i for i in chosen if i not in starred]
    return chosen


def _matching(index: SearchIndex, words: list[str]) -> list[int]:
    """The models whose id or name holds every word, in catalogue order."""
    keys = index.keys
    first, rest = words[0], words[1:]
    found = [i for i, key in enumerate(keys) if first in key]
    for word in rest:
        found = [i for i in found if word in keys[i]]
    return found


def _named(
    index: SearchIndex, ids: list[str], words: list[str], by_id: dict[str, int]
) -> list[int]:
    """The listed models among `ids` that hold every word, in catalogue order."""
    keys = index.keys
    named = sorted({by_id[m] for m in ids if m in by_id})
    return [i for i in named if all(word in keys[i] for word in words)]


def _filtered(index: SearchIndex, params: ModelsListParams, chosen: list[int]) -> list[int]:
    facets = index.facets
    for name, flags in index.flags.items():
        if getattr(params, name):
            chosen = [i for i in chosen if flags[i]]
    if params.min_context is not None:
        least = params.min_context
        chosen = [i for i in chosen if facets[i].context >= least]
    limit = params.max_prompt_price
    if limit is not None:
        prices = index.prompt_prices
        chosen = [i for i in chosen if prices[i] <= limit]  # unknown prices are infinite
    return chosen


def _ranked(index: SearchIndex, found: list[int], phrase: str, words: list[str]) -> list[int]:
    """`found` (models that hold every word), by relevance then catalogue order."""
    keys = index.keys
    facets = index.facets
    bounded = index.bounded
    plain = [(word, f" {word} ", f" {word}") for word in words if word.isalnum()]
    other = [word for word in words if not word.isalnum()]
    scored: list[tuple[int, int]] = []
    for i in found:
        if is_whole(facets[i], phrase):
            scored.append((EXACT, i))
            continue
        text = bounded[i]
        total = 0
        for _word, whole, start in plain:
            total += WHOLE_WORD if whole in text else WORD_START if start in text else INSIDE
        for word in other:
            score = _word_score(keys[i], word)
            total += score if score is not None else INSIDE  # it occurs: found above
        scored.append((total, i))
    scored.sort()
    return [i for _score, i in scored]


def _dense_ranks(keys: list[tuple[float, float]]) -> array[int]:
    """Each key's place among the distinct keys, in order: sorting by it is sorting by the key
    (equal keys share a rank, so a stable sort keeps their order as it was)."""
    ranks = array("i", bytes(4 * len(keys)))
    rank, previous = -1, None
    for i in sorted(range(len(keys)), key=keys.__getitem__):
        if keys[i] != previous:
            rank, previous = rank + 1, keys[i]
        ranks[i] = rank
    return ranks


def _price_key(f: Facets) -> tuple[float, float]:
    """Cheapest prompt first (then completion); unknown and variable prices last."""
    if f.prompt_price is None:
        return (_LAST, _LAST)
    return (f.prompt_price, f.completion_price if f.completion_price is not None else _LAST)
