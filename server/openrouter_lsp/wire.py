"""JSON in, typed objects inside, JSON out: the one converter of the custom protocol.

Structuring is strict (a number is not a string, `"yes"` is not a bool) and every failure is
reported as `errors.InvalidInput` whose `data.errors` names the offending field, camelCase, the way
the client sent it (`routing.sort`, `messages[2].role`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from . import protocol
from .errors import InvalidInput, invalid

T = TypeVar("T")


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class _FieldTypeError(ValueError):
    """A value of the wrong JSON type; the message is shown to the user as is."""


def describe(value: object) -> str:
    """A JSON value's kind, for error messages ("a string", "an array")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _strict_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _FieldTypeError(f"expected a string, got {describe(value)}")
    if len(value) > protocol.MAX_STRING_CHARS:
        raise _FieldTypeError(_too_long(value, protocol.MAX_STRING_CHARS))
    return value


def _too_long(value: str, limit: int) -> str:
    return f"is too long ({len(value):,} characters; the limit is {limit:,})"


def _strict_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _FieldTypeError(f"expected true or false, got {describe(value)}")
    return value


def _strict_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise _FieldTypeError(f"expected an integer, got {describe(value)}")
    return value


def _strict_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _FieldTypeError(f"expected a number, got {describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _FieldTypeError("must be a finite number")
    return number


def _item_error(index: int, problem: str) -> cattrs.IterableValidationError:
    """An error inside a list, so that its path names the item (`ids[3]`), not the list."""
    from cattrs.errors import IterableValidationNote

    error = _FieldTypeError(problem)
    error.__notes__ = [IterableValidationNote(f"Structuring list @ index {index}", index, str)]
    return cattrs.IterableValidationError("an item breaks its limit", [error], list)


def _limit_problem(value: object, limits: dict[str, Any]) -> str | None:
    """Why `value` breaks the field's declared limits (`protocol.limited`), or None; an item
    of a list that breaks its own limit raises the error that names it."""
    if value is None:
        return None
    if isinstance(value, str) and "maxLength" in limits and len(value) > limits["maxLength"]:
        return _too_long(value, limits["maxLength"])
    if isinstance(value, list):
        if len(value) < limits.get("minItems", 0):
            return f"must contain at least {limits['minItems']:,} item(s)"
        if len(value) > limits.get("maxItems", len(value)):
            return f"has too many items ({len(value):,}; the limit is {limits['maxItems']:,})"
        item_limit = limits.get("items", {}).get("maxLength")
        for index, item in enumerate(value if item_limit is not None else []):
            if isinstance(item, str) and len(item) > item_limit:
                raise _item_error(index, _too_long(item, item_limit))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = limits.get("minimum", -math.inf), limits.get("maximum", math.inf)
        if not low <= value <= high:
            return f"must be between {low:,} and {high:,}, got {value}"
        if "exclusiveMinimum" in limits and not value > limits["exclusiveMinimum"]:
            return f"must be greater than {limits['exclusiveMinimum']:,}, got {value}"
    return None


def _literal_hook(value: object, literal: Any) -> object:
    choices = get_args(literal)
    if value not in choices or isinstance(value, bool):
        listed = ", ".join(repr(c) for c in choices)
        raise _FieldTypeError(f"must be one of {listed}, got {value!r:.80}")
    return value


def _progress_token(value: object, _: type) -> str | int | None:
    if (
        value is None
        or isinstance(value, str)
        or (isinstance(value, int) and not isinstance(value, bool))
    ):
        return value
    raise _FieldTypeError(f"expected a string or an integer, got {describe(value)}")


def _object_dict(value: object, _: type) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _FieldTypeError(f"expected an object, got {describe(value)}")
    return value


def _attribute_error(cls: type, name: str, message: str) -> cattrs.ClassValidationError:
    """An error naming `name` inside a value structured by hand (the path gains `.name`)."""
    from cattrs.errors import AttributeValidationNote

    error = _FieldTypeError(message)
    error.__notes__ = [AttributeValidationNote(f"Structuring {cls.__name__}", name, str)]
    return cattrs.ClassValidationError(f"While structuring {cls.__name__}", [error], cls)


def _tagged(value: object, tag: str, kinds: dict[str, type]) -> type:
    """The class of a `{tag: …}`-discriminated object, or an error naming the tag."""
    if not isinstance(value, dict):
        raise _FieldTypeError(f"expected an object, got {describe(value)}")
    kind = value.get(tag)
    if kind not in kinds or not isinstance(kind, str):
        listed = ", ".join(repr(k) for k in kinds)
        if kind is None:
            raise _attribute_error(dict, tag, f"is required (one of {listed})")
        raise _attribute_error(dict, tag, f"must be one of {listed}, got {kind!r:.80}")
    return kinds[kind]


_CONTENT_PARTS: dict[str, type] = {
    "text": protocol.TextPart,
    "image_url": protocol.ImageUrlPart,
    "image_file": protocol.ImageFilePart,
}


def _is_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal


def _is_list(tp: Any) -> bool:
    return get_origin(tp) is list


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True, omit_if_default=False)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook_func(lambda t: t == dict[str, object], _object_dict)
    converter.register_structure_hook_func(_is_literal, _literal_hook)
    converter.register_structure_hook_func(lambda t: t == (str | int | None), _progress_token)

    def content_part(value: object, _: type) -> Any:
        return converter.structure(value, _tagged(value, "type", _CONTENT_PARTS))

    def content(value: object, _: type) -> Any:
        if value is None or isinstance(value, str):
            return _strict_str(value, str) if value is not None else None
        if not isinstance(value, list):
            raise _FieldTypeError(
                f"expected a string, an array of content parts or null, got {describe(value)}"
            )
        return converter.structure(value, list[protocol.ContentPart])

    def tool_choice(value: object, _: type) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return _literal_hook(value, Literal["auto", "none", "required"])
        if not isinstance(value, dict):
            raise _FieldTypeError(
                f'expected "auto", "none", "required" or a function object, got {describe(value)}'
            )
        return converter.structure(value, protocol.NamedToolChoice)

    converter.register_structure_hook_func(lambda t: t == protocol.ContentPart, content_part)
    converter.register_structure_hook_func(
        lambda t: t == (str | list[protocol.ContentPart] | None), content
    )
    converter.register_structure_hook_func(
        lambda t: t == (protocol.ToolChoice | None), tool_choice
    )

    def structure_list(list_type: Any) -> Callable[[Any, type], Any]:
        inner = list_structure_factory(list_type, converter)

        def structure(value: object, target: type) -> Any:
            if not isinstance(value, list):
                raise _FieldTypeError(f"expected an array, got {describe(value)}")
            return inner(value, target)

        return structure

    converter.register_structure_hook_factory(_is_list, structure_list)

    def limited_hook(field_type: Any, limits: dict[str, Any]) -> Callable[[Any, type], Any]:
        def structure(value: object, _: type) -> Any:
            result = converter.structure(value, field_type)
            if (problem := _limit_problem(result, limits)) is not None:
                raise _FieldTypeError(problem)
            return result

        return structure

    def structure_attrs(cls: type) -> Callable[[Any, type], Any]:
        hints = get_type_hints(cls)
        renames = {
            a.name: override(
                rename=to_camel(a.name),
                struct_hook=limited_hook(hints[a.name], a.metadata[protocol.LIMITS])
                if protocol.LIMITS in a.metadata
                else None,
            )
            for a in attrs.fields(cls)
        }
        inner: Callable[[Any, type], Any] = make_dict_structure_fn(
            cls,
            converter,
            **renames,  # type: ignore[arg-type]
        )

        def structure(value: object, target: type) -> Any:
            if not isinstance(value, dict):
                raise _FieldTypeError(f"expected an object, got {describe(value)}")
            return inner(value, target)

        return structure

    def unstructure_attrs(cls: type) -> Callable[[Any], Any]:
        renames = {a.name: override(rename=to_camel(a.name)) for a in attrs.fields(cls)}
        return make_dict_unstructure_fn(cls, converter, **renames)  # type: ignore[arg-type]

    converter.register_structure_hook_factory(attrs.has, structure_attrs)
    converter.register_unstructure_hook_factory(attrs.has, unstructure_attrs)
    return converter


converter = _make_converter()

_SNAKE_SEGMENT = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


def _error_path(path: str) -> str:
    path = path.removeprefix("$").removeprefix(".")
    return _SNAKE_SEGMENT.sub(lambda m: to_camel(m.group(0)), path)


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KeyError):
        return "is required"
    if isinstance(exc, _FieldTypeError):
        return str(exc)
    if isinstance(exc, (ValueError, TypeError)):
        expected = getattr(type_, "__name__", None) or str(type_)
        return f"invalid value (expected {expected})"
    return f"invalid value ({type(exc).__name__})"


def field_errors(exc: BaseException) -> list[protocol.FieldError]:
    errors: list[protocol.FieldError] = []
    for line in cattrs.transform_error(exc, path="$", format_exception=_format_exception):
        message, _, path = line.rpartition(" @ ")
        errors.append(protocol.FieldError(path=_error_path(path), message=message))
    return errors


def structure(raw: object, cls: type[T]) -> T:
    """Typed params from raw JSON params, or InvalidParams naming every bad field."""
    if raw is None or (isinstance(raw, list) and not raw):
        raw = {}
    if not isinstance(raw, dict):
        raise invalid("", f"params must be an object, got {describe(raw)}")
    try:
        return converter.structure(raw, cls)
    except (cattrs.BaseValidationError, _FieldTypeError) as exc:
        if isinstance(exc, _FieldTypeError):
            raise invalid("", str(exc)) from None
        raise InvalidInput(field_errors(exc)) from None


def unstructure(value: object) -> Any:
    return converter.unstructure(value)


def check_length(value: str | None, limit: int, path: str) -> None:
    if value is not None and len(value) > limit:
        raise invalid(path, f"is too long ({len(value):,} characters; the limit is {limit:,})")


class RawJson:
    """A result that is already strict JSON (no NaN or Infinity), as UTF-8 pieces whose
    concatenation is the value: the server writes the pieces as they are, with no copy (a
    5,000-model list is 5 MB; each copy of it costs ~3.5 ms of fresh pages).

    `clean_as_of`: `logging_setup.clean_as_of(pieces)`, computed by the producer, which may keep
    it for pieces it sends again; while it is current, the writer skips its secret scan.
    """

    __slots__ = ("clean_as_of", "pieces")

    def __init__(self, pieces: list[bytes], *, clean_as_of: int | None = None) -> None:
        self.pieces = pieces
        self.clean_as_of = clean_as_of

    def value(self) -> Any:
        """The value, parsed (for callers inside the server)."""
        return json.loads(b"".join(self.pieces))
