"""The one rule for model ids: their syntax, and whether the catalogue in use lists them."""

from __future__ import annotations

from ..errors import InvalidInput, invalid

EXAMPLE = '"openai/gpt-4o"'


def model_id_problem(model_id: str) -> str | None:
    """Why `model_id` cannot be a model id, or None (its length is limited on the wire types)."""
    if not model_id.strip():
        return f"must not be empty; use a model id such as {EXAMPLE}"
    if any(ch.isspace() or ord(ch) < 32 for ch in model_id):
        return f"must not contain spaces or control characters (a model id such as {EXAMPLE})"
    return None


def check_syntax(model_id: str, path: str) -> None:
    if (problem := model_id_problem(model_id)) is not None:
        raise invalid(path, problem)


def unknown_model(model_id: str, path: str = "modelId") -> InvalidInput:
    return invalid(
        # A sentence for a person: the model list, not the method that fetches it.
        path, f"unknown model {model_id[:80]!r}: it is not in the model list (refresh the list "
        "if the model is new)"
    )
