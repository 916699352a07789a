"""Code actions on a selection: explain it (answer shown like `openrouter.ask`), or add comments
to it / rewrite it (the model's code replaces the range through `workspace/applyEdit`).

The actions carry commands, not edits: the model runs only when the user picks one, under
work-done progress, and can be cancelled. The selection's text comes from pygls' synced
workspace (didOpen/didChange); the edit is not applied if the document changed meanwhile.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

import attrs
from lsprotocol import types as lsp

from .. import protocol, wire
from ..errors import invalid
from ..protocol import ChatMessage, ChatParams
from .commands import Call, Handler, WorkDone, answer
from .editor import client_supports

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from ..server import OpenRouterLanguageServer

EXPLAIN = "openrouter.explainSelection"
REWRITE = "openrouter.rewriteSelection"
KIND_EXPLAIN = "refactor.openrouter.explain"
KIND_COMMENT = "refactor.rewrite.openrouter.comment"
KIND_REWRITE = "refactor.rewrite.openrouter.rewrite"

EXPLAIN_SYSTEM = (
    "You explain code to a programmer: what the selected code does, how, and anything "
    "surprising or risky. Be concise; answer in Markdown."
)
REWRITE_SYSTEM = (
    "You edit code. Reply with only the replacement code for the selection: no explanation, "
    "no Markdown fences. Keep the indentation and the language of the original."
)
INSTRUCTIONS = {
    "comment": "Add clear, useful comments to this code. Do not change the code itself.",
    "rewrite": "Rewrite this code to be clearer and more idiomatic without changing behaviour.",
}
FENCE = re.compile(r"^\s*```[^\n]*\n(.*?)\n?```\s*$", re.DOTALL)


MAX_UINTEGER = 2**31 - 1  # LSP positions are `uinteger`


@attrs.define
class PositionArg:
    line: int = protocol.limited(minimum=0, maximum=MAX_UINTEGER)
    character: int = protocol.limited(minimum=0, maximum=MAX_UINTEGER)


@attrs.define
class RangeArg:
    start: PositionArg
    end: PositionArg


@attrs.define
class SelectionArgs:
    uri: str
    range: RangeArg
    mode: Literal["comment", "rewrite"] = "rewrite"
    instruction: str | None = None  # the user's own words, added to the mode's instruction


@attrs.define
class Selection:
    document: TextDocument
    range: lsp.Range
    text: str
    version: int | None


def _selection(call: Call) -> tuple[SelectionArgs, Selection]:
    args: SelectionArgs = call.structure(0, SelectionArgs)
    wire.check_length(args.uri, protocol.MAX_URL_LENGTH, "arguments[0].uri")
    wire.check_length(args.instruction, 2_000, "arguments[0].instruction")
    start = lsp.Position(line=args.range.start.line, character=args.range.start.character)
    end = lsp.Position(line=args.range.end.line, character=args.range.end.character)
    if (end.line, end.character) < (start.line, start.character):
        raise invalid("arguments[0].range", "ends before it starts")
    workspace = call.server.workspace
    if args.uri not in workspace.text_documents:
        raise invalid("arguments[0].uri", "is not a document open in the editor")
    document = workspace.get_text_document(args.uri)
    for name, pos in (("start", start), ("end", end)):
        if pos.line > len(document.lines):
            raise invalid(
                f"arguments[0].range.{name}.line",
                f"is past the end of the document ({len(document.lines):,} lines)",
            )
    text = document.source[document.offset_at_position(start) : document.offset_at_position(end)]
    if not text.strip():
        raise invalid("arguments[0].range", "selects no text")
    rng = lsp.Range(start=start, end=end)
    return args, Selection(document, rng, text, document.version)


def _user_prompt(selection: Selection, instruction: str | None) -> str:
    document = selection.document
    name = PurePosixPath(document.uri).name
    language = document.language_id or ""
    head = f"{instruction}\n\n" if instruction else ""
    return (
        f"{head}File: {name} ({language or 'unknown language'})\n\n```{language}\n"
        f"{selection.text}\n```"
    )


def clean_code(reply: str, original: str) -> str:
    """The model's code without a surrounding fence, ending like the original did."""
    match = FENCE.match(reply)
    code = match.group(1) if match else reply.strip("\n")
    if original.endswith("\n") and not code.endswith("\n"):
        code += "\n"
    return code


async def explain_selection(call: Call) -> Any:
    _, selection = _selection(call)
    name = PurePosixPath(selection.document.uri).name
    line = selection.range.start.line + 1
    return await answer(
        call,
        f"OpenRouter: explanation of {name}:{line}",
        [
            ChatMessage(role="system", content=EXPLAIN_SYSTEM),
            ChatMessage(role="user", content=_user_prompt(selection, None)),
        ],
    )


async def rewrite_selection(call: Call) -> Any:
    args, selection = _selection(call)
    server = call.server
    instruction = INSTRUCTIONS[args.mode]
    if args.instruction:
        instruction = f"{instruction} Also: {args.instruction}"
    title = "OpenRouter: adding comments" if args.mode == "comment" else "OpenRouter: rewriting"
    messages = [
        ChatMessage(role="system", content=REWRITE_SYSTEM),
        ChatMessage(role="user", content=_user_prompt(selection, instruction)),
    ]
    async with WorkDone(server, title, call.work_done_token) as work:
        work.report("Waiting for the model…", force=True)
        result = await server.ctx.core.chat(ChatParams(messages=messages), work.on_chat_delta)
    uri = selection.document.uri
    current = server.workspace.text_documents.get(uri)
    if current is None or current.version != selection.version:
        reason = "the document changed while the model was writing; nothing was replaced"
        server.window_show_message(
            lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=f"OpenRouter: {reason}.")
        )
        return {"applied": False, "failureReason": reason, "content": result.content}
    edit = lsp.TextEdit(range=selection.range, new_text=clean_code(result.content, selection.text))
    if client_supports(server, "workspace.workspace_edit.document_changes"):
        workspace_edit = lsp.WorkspaceEdit(
            document_changes=[
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=selection.version
                    ),
                    edits=[edit],
                )
            ]
        )
    else:
        workspace_edit = lsp.WorkspaceEdit(changes={uri: [edit]})
    applied = await server.workspace_apply_edit_async(
        lsp.ApplyWorkspaceEditParams(edit=workspace_edit, label=title)
    )
    return {
        "applied": bool(applied.applied),
        "failureReason": applied.failure_reason,
        "content": result.content,
    }


def handlers(server: OpenRouterLanguageServer) -> dict[str, Handler]:
    return {EXPLAIN: explain_selection, REWRITE: rewrite_selection}


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == o or kind.startswith(f"{o}.") for o in only)


def register(server: OpenRouterLanguageServer) -> None:
    options = lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.Refactor, lsp.CodeActionKind.RefactorRewrite]
    )

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, options)
    def code_actions(params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        rng = params.range
        if (rng.start.line, rng.start.character) == (rng.end.line, rng.end.character):
            return None  # actions are on a selection
        target = {"uri": params.text_document.uri, "range": _range_json(rng)}
        only = [str(k) for k in params.context.only] if params.context.only else None
        offered = [
            ("OpenRouter: Explain selection", KIND_EXPLAIN, EXPLAIN, target),
            (
                "OpenRouter: Add comments to selection",
                KIND_COMMENT,
                REWRITE,
                {**target, "mode": "comment"},
            ),
            ("OpenRouter: Rewrite selection", KIND_REWRITE, REWRITE, {**target, "mode": "rewrite"}),
        ]
        return [
            lsp.CodeAction(
                title=title,
                kind=kind,
                command=lsp.Command(title=title, command=command, arguments=[argument]),
            )
            for title, kind, command, argument in offered
            if _wanted(kind, only)
        ]


def _range_json(rng: lsp.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }
