"""models/list's search, filters, sorts and favourites, over a catalogue snapshot's facets.

Each model keeps a small `Facets` record (built once per fetched catalogue) so that a filtered or
ranked list is a pass over 337 tuples and a join of the pre-encoded JSON fragments.

Ranking of a query: every word of the query must occur in the model's id or name; each word
scores how well it matches — the whole id or name (0), a whole word or id segment such as
"mini" in `openai/gpt-4o-mini` (1), the start of a word (2), elsewhere inside one, as "mini" in
"Gemini" (3) — and models are ordered by the sum, then catalogue order. Repeated words count
once, and only the first `MAX_QUERY_WORDS` distinct words count.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    whole: frozenset[str]  # the id, the id without its author, the name; case-folded
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
        whole=frozenset({model_id, model_id.split("/", 1)[-1], name}),
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
    if phrase in facets.whole:
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


def _passes(f: Facets, params: ModelsListParams) -> bool:
    if params.free and not f.is_free:
        return False
    if params.image_input and not f.images:
        return False
    if params.tools and not f.tools:
        return False
    if params.reasoning and not f.reasoning:
        return False
    if params.caching and not f.caching:
        return False
    if params.min_context is not None and f.context < params.min_context:
        return False
    limit = params.max_prompt_price
    return limit is None or (f.prompt_price is not None and f.prompt_price <= limit)


def select(
    facets: list[Facets], params: ModelsListParams, query: str | None, favorites: list[str],
    by_id: dict[str, int],
) -> list[int] | None:
    """Indices of the models to list, in order; None for "all, in catalogue order"."""
    filtered = is_filtered(params)
    if not query and not filtered and params.sort == "default" and not favorites:
        return None
    chosen: list[int] = list(range(len(facets)))
    if filtered:
        chosen = [i for i in chosen if _passes(facets[i], params)]
    scores: dict[int, int] = {}
    if query:
        phrase = " ".join(query.casefold().split())
        words = query_words(phrase)
        for i in chosen:
            score = relevance(facets[i], words, phrase)
            if score is not None:
                scores[i] = score
        chosen = sorted(scores, key=lambda i: (scores[i], i))  # relevance, then catalogue order
    if params.sort == "price":
        chosen.sort(key=lambda i: _price_key(facets[i]))
    elif params.sort == "context":
        chosen.sort(key=lambda i: -facets[i].context)
    elif params.sort == "newest":
        chosen.sort(key=lambda i: facets[i].created, reverse=True)
    if favorites:
        starred = {by_id[m] for m in favorites if m in by_id}
        if starred:
            chosen = [i for i in chosen if i in starred] + [i for i in chosen if i not in starred]
    return chosen


def _price_key(f: Facets) -> tuple[float, float]:
    """Cheapest prompt first (then completion); unknown and variable prices last."""
    if f.prompt_price is None:
        return (_LAST, _LAST)
    return (f.prompt_price, f.completion_price if f.completion_price is not None else _LAST)
