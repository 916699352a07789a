"""Editor context attached to a message, resolved into text the model reads.

`document` and `range` quote the text the editor synced (didOpen/didChange), whole lines with
their numbers (1-based, as editors show them), in a fenced block headed by the file name. A
range covers the lines it touches; one ending at the start of a line leaves that line out.
`diagnostics` lists the diagnostics the client sent in the attachment (the server never
receives an editor's diagnostics otherwise; LSP only has them going from server to client), those
within `range` when one is given, followed by the lines they point at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

import attrs

from ..errors import InvalidInput
from ..protocol import AttachedDiagnostic, Attachment, FieldError, Range


@attrs.frozen
class SyncedDocument:
    text: str
    language_id: str | None


DocumentLookup = Callable[[str], SyncedDocument | None]  # uri -> the synced text, or None

SEVERITIES = {1: "Error", 2: "Warning", 3: "Information", 4: "Hint"}
_BACKTICKS = re.compile(r"`{3,}")


def no_documents(_uri: str) -> SyncedDocument | None:
    return None


def file_name(uri: str) -> str:
    """The path of a `file:` URI; any other URI as it is."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return unquote(parts.path)
    return uri


def resolve(attachment: Attachment, documents: DocumentLookup, path: str) -> str:
    """The text that stands for `attachment` in the message; InvalidInput naming the field
    (under `path`, `messages[i].attachments[j]`)."""
    document = documents(attachment.uri)
    if document is None:
        raise InvalidInput([FieldError(
            f"{path}.uri", "is not a document open in the editor (the server quotes only "
            "documents synced with didOpen/didChange)",
        )])
    lines = document.text.splitlines() or [""]
    if attachment.kind == "document":
        return _quote(attachment.uri, document, lines, 0, len(lines) - 1)
    if attachment.kind == "range":
        if attachment.range is None:
            raise InvalidInput([FieldError(f"{path}.range", 'is required for kind "range"')])
        first, last = _lines_of(attachment.range, lines, f"{path}.range")
        return _quote(attachment.uri, document, lines, first, last)
    return _diagnostics(attachment, document, lines, path)


def _lines_of(span: Range, lines: list[str], path: str) -> tuple[int, int]:
    start, end = span.start, span.end
    if (end.line, end.character) < (start.line, start.character):
        raise InvalidInput([FieldError(path, "ends before it starts")])
    for name, position in (("start", start), ("end", end)):
        if position.line > len(lines):
            raise InvalidInput([FieldError(
                f"{path}.{name}.line", f"is past the end of the document ({len(lines):,} lines)"
            )])
    last = end.line - 1 if end.character == 0 and end.line > start.line else end.line
    return start.line, min(last, len(lines) - 1)


def _quote(
    uri: str, document: SyncedDocument, lines: list[str], first: int, last: int, title: str = ""
) -> str:
    shown = lines[first : last + 1]
    width = len(str(last + 1))
    body = "\n".join(f"{n:>{width}} | {line}" for n, line in enumerate(shown, first + 1))
    fence = _fence(body)
    where = f"lines {first + 1}-{last + 1}" if last > first else f"line {first + 1}"
    heading = title or f"`{file_name(uri)}` ({where}):"
    return f"{heading}\n{fence}{document.language_id or ''}\n{body}\n{fence}"


def _fence(text: str) -> str:
    """A fence longer than any run of backticks in the text, so the block cannot end early."""
    longest = max((len(m.group(0)) for m in _BACKTICKS.finditer(text)), default=2)
    return "`" * max(3, longest + 1)


def _diagnostics(
    attachment: Attachment, document: SyncedDocument, lines: list[str], path: str
) -> str:
    if attachment.diagnostics is None:
        raise InvalidInput([FieldError(
            f"{path}.diagnostics", 'is required for kind "diagnostics" (the editor\'s diagnostics '
            "of the document, as LSP Diagnostic objects)",
        )])
    chosen = attachment.diagnostics
    if attachment.range is not None:
        first, last = _lines_of(attachment.range, lines, f"{path}.range")
        chosen = [d for d in chosen if d.range.start.line <= last and d.range.end.line >= first]
    name = file_name(attachment.uri)
    if not chosen:
        return f"`{name}`: no diagnostics" + (" in the attached range." if attachment.range
                                              else ".")
    chosen = sorted(chosen, key=lambda d: (d.range.start.line, d.range.start.character))
    listed = "\n".join(_diagnostic_line(d) for d in chosen)
    top = min(d.range.start.line for d in chosen)
    bottom = max(d.range.end.line for d in chosen)
    if attachment.range is not None:
        top, bottom = min(top, first), max(bottom, last)
    top, bottom = min(top, len(lines) - 1), min(bottom, len(lines) - 1)
    code = _quote(attachment.uri, document, lines, top, bottom, title="The lines they point at:")
    return f"Diagnostics of `{name}`:\n{listed}\n{code}"


def _diagnostic_line(diagnostic: AttachedDiagnostic) -> str:
    start = diagnostic.range.start
    severity = SEVERITIES.get(diagnostic.severity or 0, "Problem")
    origin = ", ".join(str(x) for x in (diagnostic.source, diagnostic.code) if x is not None)
    origin = f" ({origin})" if origin else ""
    message = " ".join(diagnostic.message.split())
    return f"- {severity} at line {start.line + 1}, column {start.character + 1}{origin}: {message}"
