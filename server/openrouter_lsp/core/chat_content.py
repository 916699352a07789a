"""What a chat's messages carry beyond text, checked and resolved before the request is built:
images (only for models that take them; files read into data URLs), attachments (resolved into
the message text), tools (only for models that take them), the roles' rules, and a token
estimate of the whole request against the model's context.

The estimate is the emulator's and OpenRouter's rule of thumb: 4 characters a token, 4 tokens
of overhead a message, and `IMAGE_TOKENS` an image (about what a 1-megapixel image costs on
Anthropic; OpenAI's high detail is less). Only the prompt is checked, and only when the model is
known and middle-out is off (middle-out makes the service fit the prompt): the reply's room and
a borderline prompt are left to the service, whose tokenizer is exact.
"""

from __future__ import annotations

import json
import operator
import re
from typing import Any

import attrs

from ..errors import InvalidInput
from ..protocol import (
    ChatMessage,
    ChatParams,
    ContentPart,
    FieldError,
    ImageFilePart,
    ImageUrl,
    ImageUrlPart,
    ModelInfo,
    Settings,
    TextPart,
)
from .attachments import DocumentLookup, resolve
from .images import check_image_url, image_file_url

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4
IMAGE_TOKENS = 1_600
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The fields only one role may carry: (wire name, attribute, that role).
_ROLE_FIELDS = (
    ("toolCalls", "tool_calls", "assistant"),
    ("reasoningDetails", "reasoning_details", "assistant"),
    ("toolCallId", "tool_call_id", "tool"),
    ("attachments", "attachments", "user"),
)


def message_text(message: ChatMessage) -> str:
    """The text of a message's content (its text parts joined)."""
    content = message.content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.text for part in content if isinstance(part, TextPart))


def text_chars(params: ChatParams) -> int:
    return sum(len(message_text(message)) for message in params.messages)


async def prepare(
    params: ChatParams, model: ModelInfo | None, documents: DocumentLookup, settings: Settings
) -> ChatParams:
    """`params` with attachments resolved into text and image files read into data URLs;
    InvalidInput naming every field that cannot be sent to `model`."""
    errors: list[FieldError] = []
    errors.extend(_tool_problems(params, model))
    messages: list[ChatMessage] = []
    for index, message in enumerate(params.messages):
        try:
            messages.append(await _prepared(message, f"messages[{index}]", model, documents))
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    unchanged = all(map(operator.is_, messages, params.messages))
    prepared = params if unchanged else attrs.evolve(params, messages=messages)
    if model is not None and model.context_length and not settings.middle_out_transform:
        _check_context(prepared, model)
    return prepared


async def resolve_content(params: ChatParams, documents: DocumentLookup) -> ChatParams:
    """`params` with attachments and image files resolved, before the model is known (a
    conversation stores its turns this way); `prepare` still checks them against the model.
    Each message keeps its `attachments` for display only: `sendable` leaves them out."""
    errors: list[FieldError] = []
    messages: list[ChatMessage] = []
    for index, message in enumerate(params.messages):
        try:
            resolved = await _prepared(message, f"messages[{index}]", None, documents)
            messages.append(attrs.evolve(resolved, attachments=message.attachments))
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return attrs.evolve(params, messages=messages)


def sendable(message: ChatMessage) -> ChatMessage:
    """A message whose attachments were resolved into its content, without them (sent upstream
    as it is, never resolved twice)."""
    if message.attachments is None:
        return message
    return attrs.evolve(message, attachments=None)


async def _prepared(
    message: ChatMessage, path: str, model: ModelInfo | None, documents: DocumentLookup
) -> ChatMessage:
    errors = _role_problems(message, path)
    content = message.content
    if isinstance(content, list):
        parts: list[ContentPart] = []
        for index, part in enumerate(content):
            part_path = f"{path}.content[{index}]"
            try:
                parts.append(await _part(part, part_path, message, model))
            except InvalidInput as exc:
                errors.extend(exc.errors)
        content = parts
    blocks: list[str] = []
    for index, attachment in enumerate(message.attachments or []):
        try:
            blocks.append(resolve(attachment, documents, f"{path}.attachments[{index}]"))
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    if blocks:
        content = _with_blocks(content, blocks)
    if content is message.content and message.attachments is None:
        return message
    return attrs.evolve(message, content=content, attachments=None)


def _role_problems(message: ChatMessage, path: str) -> list[FieldError]:
    problems: list[FieldError] = []
    role = message.role
    if message.content is None and not (role == "assistant" and message.tool_calls):
        problems.append(FieldError(
            f"{path}.content", "may be null only in an assistant message with toolCalls"
        ))
    for field, attribute, allowed in _ROLE_FIELDS:
        value = getattr(message, attribute)
        if value is not None and role != allowed:
            problems.append(FieldError(f"{path}.{field}", f'belongs only to a "{allowed}" message'))
    if role == "tool" and not message.tool_call_id:
        problems.append(FieldError(
            f"{path}.toolCallId", "is required in a tool message (the id of the call it answers)"
        ))
    return problems


async def _part(
    part: ContentPart, path: str, message: ChatMessage, model: ModelInfo | None
) -> ContentPart:
    if isinstance(part, TextPart):
        return part
    if message.role != "user":
        raise InvalidInput([FieldError(path, "images belong only in user messages")])
    if model is not None and "image" not in model.input_modalities:
        takes = ", ".join(model.input_modalities) or "text"
        raise InvalidInput([FieldError(
            path, f"is an image, and {model.id} does not take images (its input: {takes}); "
            "pick a model whose input modalities include image",
        )])
    if isinstance(part, ImageUrlPart):
        check_image_url(part.image_url.url, f"{path}.imageUrl.url")
        return part
    assert isinstance(part, ImageFilePart)
    url = await image_file_url(part.path, f"{path}.path")
    return ImageUrlPart(type="image_url", image_url=ImageUrl(url=url))


def _with_blocks(content: str | list[ContentPart] | None, blocks: list[str]) -> Any:
    attached = "\n\n".join(blocks)
    if content is None or content == "":
        return attached
    if isinstance(content, str):
        return f"{content}\n\n{attached}"
    return [*content, TextPart(type="text", text=attached)]


def _tool_problems(params: ChatParams, model: ModelInfo | None) -> list[FieldError]:
    problems: list[FieldError] = []
    if params.tools is None:
        for field, value in (("toolChoice", params.tool_choice),
                             ("parallelToolCalls", params.parallel_tool_calls)):
            if value is not None:
                problems.append(FieldError(field, "needs tools"))
        return problems
    if model is not None and "tools" not in model.supported_parameters:
        problems.append(FieldError(
            "tools", f"{model.id} does not take tools (its supported parameters lack \"tools\"); "
            "pick a model that does (models/list with tools: true)",
        ))
    names: set[str] = set()
    for index, tool in enumerate(params.tools):
        function = tool.function
        path = f"tools[{index}].function"
        if not _TOOL_NAME.fullmatch(function.name):
            problems.append(FieldError(
                f"{path}.name", "must be 1 to 64 letters, digits, underscores or dashes"
            ))
        elif function.name in names:
            problems.append(FieldError(f"{path}.name", f"repeats the tool {function.name!r}"))
        names.add(function.name)
        schema = function.parameters
        if schema is not None and schema.get("type") != "object":
            problems.append(FieldError(
                f"{path}.parameters", 'must be a JSON Schema of type "object"'
            ))
    choice = params.tool_choice
    if choice is not None and not isinstance(choice, str) and choice.function.name not in names:
        problems.append(FieldError(
            "toolChoice.function.name", f"names no tool of this request ({choice.function.name!r})"
        ))
    return problems


def estimate_tokens(params: ChatParams) -> int:
    """The prompt's size in tokens by the rule of thumb (see the module's docstring)."""
    chars = 0
    images = 0
    for message in params.messages:
        chars += len(message_text(message))
        if isinstance(message.content, list):
            images += sum(1 for part in message.content if not isinstance(part, TextPart))
        for call in message.tool_calls or []:
            chars += len(call.function.name) + len(call.function.arguments)
    if params.tools:
        from ..wire import unstructure

        chars += len(json.dumps(unstructure(params.tools), separators=(",", ":")))
    text_tokens = (chars + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN
    return text_tokens + MESSAGE_OVERHEAD * len(params.messages) + IMAGE_TOKENS * images


def _check_context(params: ChatParams, model: ModelInfo) -> None:
    context = model.context_length or 0
    estimate = estimate_tokens(params)
    if estimate > context:
        raise InvalidInput([FieldError(
            "messages",
            f"are about {estimate:,} tokens (estimated at {CHARS_PER_TOKEN} characters a token, "
            f"{IMAGE_TOKENS:,} an image), more than the {context:,}-token context of {model.id}. "
            "Send less (fewer attachments or messages), pick a model with a larger context, or "
            "turn on middleOutTransform.",
        )])
