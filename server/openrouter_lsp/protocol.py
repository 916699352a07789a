"""The custom protocol: every `openrouter/*` method name and the types of its params and result.

This module is the single source of `schemas/` (see `schema_gen.py`). Attribute names are
snake_case here and camelCase on the wire (`wire.py` holds the one converter that maps them).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

# --- method names ----------------------------------------------------------------------------

SETTINGS_GET = "openrouter/settings/get"
SETTINGS_UPDATE = "openrouter/settings/update"
SETTINGS_DID_CHANGE = "openrouter/settings/didChange"  # server -> client notification
API_KEY_SET = "openrouter/apiKey/set"
API_KEY_CLEAR = "openrouter/apiKey/clear"
ACCOUNT_GET = "openrouter/account/get"
MODELS_LIST = "openrouter/models/list"
MODELS_ENDPOINTS = "openrouter/models/endpoints"
CHAT = "openrouter/chat"
SIGN_IN_START = "openrouter/signIn/start"
SIGN_IN_COMPLETE = "openrouter/signIn/complete"
SIGN_IN_CANCEL = "openrouter/signIn/cancel"
SIGN_IN_DID_FINISH = "openrouter/signIn/didFinish"  # server -> client notification
CONVERSATIONS_LIST = "openrouter/conversations/list"
CONVERSATIONS_GET = "openrouter/conversations/get"
CONVERSATIONS_RENAME = "openrouter/conversations/rename"
CONVERSATIONS_DELETE = "openrouter/conversations/delete"
CONVERSATIONS_TRUNCATE = "openrouter/conversations/truncate"
CONVERSATIONS_EXPORT = "openrouter/conversations/export"
# server -> client notification: the balance after a chat (AccountInfo)
ACCOUNT_DID_CHANGE = "openrouter/account/didChange"
# server -> client notification: a stored conversation changed outside a request (a stopped
# answer's cost arrived); clients showing it read it again with conversations/get
CONVERSATIONS_DID_CHANGE = "openrouter/conversations/didChange"

# JSON-RPC error codes beyond the standard ones.
UPSTREAM_ERROR_CODE = -32001

# --- limits ------------------------------------------------------------------------------------
# Declared once, on the fields below (`limited`): `wire.py` enforces them and `schema_gen.py`
# publishes them in `schemas/` (`tests/test_limits.py` checks both against the real server).

MAX_ID_LENGTH = 256
MAX_URL_LENGTH = 2048
MAX_API_KEY_LENGTH = 1024
MAX_QUERY_LENGTH = 256
MAX_STRING_CHARS = 4_000_000  # ~1M tokens: above every context window in the catalogue
MAX_MESSAGES = 10_000
MAX_COMPLETION_TOKENS = 2_000_000  # above every model's completion limit in the catalogue
MAX_AUTH_CODE_LENGTH = 1024
MAX_SIGN_IN_TIMEOUT_S = 1800
MAX_CONTEXT_TOKENS = 100_000_000  # `minContext` of models/list: far above any context window
MAX_PRICE_PER_MILLION = 1_000_000.0  # USD per million tokens: $1 a token, above every price
MAX_MODELS_PAGE = 100_000  # `limit` of models/list: above any catalogue
MAX_MODELS_OFFSET = 10_000_000
MAX_FAVORITES = 200  # `favoriteModels`
MAX_MODELS_BY_ID = 100  # `ids` of models/list
MAX_FALLBACK_MODELS = 3  # OpenRouter's `models` takes the model and at most three fallbacks
MAX_IGNORED_PROVIDERS = 200  # above the number of providers OpenRouter lists
MAX_TITLE_LENGTH = 200  # a conversation's title
MAX_STORED_MESSAGES = 1_000_000  # `keepMessages`: above any conversation a person keeps
# One image (a file read by the server, or the bytes of a data URL); providers take 5-20 MB.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# A data URL of the largest image: base64 (4 characters per 3 bytes) after its header.
MAX_IMAGE_URL_CHARS = 64 + (MAX_IMAGE_BYTES + 2) // 3 * 4
MAX_PATH_LENGTH = 4096
MAX_CONTENT_PARTS = 1000  # parts of one message
MAX_TOOLS = 512  # tools of one request (OpenAI takes 128; some providers more)
MAX_TOOL_CALLS = 1000  # tool calls of one assistant message
MAX_ATTACHMENTS = 100  # attachments of one message
MAX_DIAGNOSTICS = 10_000  # diagnostics of one attachment
MAX_POSITION = 2**31 - 1  # LSP's uinteger

LIMITS = "limits"  # the attrs metadata key; values are JSON Schema keywords


def limited(
    default: Any = attrs.NOTHING,
    *,
    max_length: int | None = None,
    minimum: float | None = None,
    exclusive_minimum: float | None = None,
    maximum: float | None = None,
    min_items: int | None = None,
    max_items: int | None = None,
    item_max_length: int | None = None,
) -> Any:
    """An attrs field whose limits the server enforces and the schemas state.

    Limits apply to the field's non-null value; every string without a `max_length` of its own
    is capped at `MAX_STRING_CHARS`. `item_max_length` caps each string of a list.
    """
    keywords = {
        "maxLength": max_length,
        "minimum": minimum,
        "exclusiveMinimum": exclusive_minimum,
        "maximum": maximum,
        "minItems": min_items,
        "maxItems": max_items,
    }
    limits: dict[str, Any] = {k: v for k, v in keywords.items() if v is not None}
    if item_max_length is not None:
        limits["items"] = {"maxLength": item_max_length}
    metadata = {LIMITS: limits}
    return attrs.field(default=default, metadata=metadata)

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_MODEL_ID = "anthropic/claude-sonnet-4.5"

ProviderKind = Literal["openrouter", "openai-compatible"]
RoutingSort = Literal["default", "price", "throughput", "latency"]
# models/list order: "default" is the catalogue's order, or relevance when there is a query.
ModelSort = Literal["default", "price", "context", "newest"]
DataPolicy = Literal["default", "allow", "deny", "zdr"]
KeySource = Literal["env", "keyring", "file"]
# What checking the key with the service said: "unverified" when it could not be asked (the
# network failed, or an OpenAI-compatible server has no key endpoint)
KeyVerdict = Literal["accepted", "rejected", "unverified"]
# Where a balance came from: /credits (account-wide), or the key's own spending limit
BalanceSource = Literal["credits", "key_limit"]
# Where a chat's cost came from: the stream's usage, /generation, or the catalogue's prices
CostSource = Literal["stream", "generation", "catalogue"]
# "default" sends no `reasoning` object: the model's own default applies.
ReasoningEffort = Literal["default", "none", "minimal", "low", "medium", "high", "xhigh"]
# OpenRouter's model suffixes: `:nitro` (fastest providers), `:floor` (cheapest), `:exacto`
# (providers with the best tool-calling quality), `:online` (web search).
ModelVariant = Literal["nitro", "floor", "exacto", "online"]
# The official OpenAPI `Quantization` enum.
Quantization = Literal[
    "int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32",
    "unknown",
]
ChatRole = Literal["system", "user", "assistant", "tool"]
ErrorKind = Literal[
    "no_api_key",
    "auth",
    "credits",
    "moderation",
    "timeout",
    "rate_limit",
    "context_length",
    "bad_request",
    "unavailable",
    "network",
    "stream_error",
    "insufficient_credits",  # refused before sending: the known balance cannot pay the worst case
]

# --- settings ----------------------------------------------------------------------------------


@attrs.define
class MaxPrice:
    """The most a request may cost, USD per million tokens (`provider.max_price`); null: no cap."""

    prompt: float | None = limited(None, minimum=0, maximum=MAX_PRICE_PER_MILLION)
    completion: float | None = limited(None, minimum=0, maximum=MAX_PRICE_PER_MILLION)


@attrs.define
class RoutingSettings:
    """How OpenRouter picks the provider that serves a request."""

    sort: RoutingSort = "default"
    # An endpoint tag from models/endpoints, pinned for the current model; overrides `sort`.
    provider: str | None = limited(None, max_length=MAX_ID_LENGTH)
    allow_fallbacks: bool = True
    data_policy: DataPolicy = "default"
    max_price: MaxPrice = attrs.Factory(MaxPrice)
    # Only endpoints serving one of these quantizations; empty: any. No duplicates (settings.py),
    # so at most one of each: no count limit of its own.
    quantizations: list[Quantization] = attrs.Factory(list)
    # Provider tags never to route to (`provider.ignore`).
    ignore: list[str] = limited(
        attrs.Factory(list), max_items=MAX_IGNORED_PROVIDERS, item_max_length=MAX_ID_LENGTH
    )
    # Tokens per second and seconds (p50); endpoints beyond them are deprioritised, not excluded.
    preferred_min_throughput: float | None = limited(None, exclusive_minimum=0)
    preferred_max_latency: float | None = limited(None, exclusive_minimum=0)


@attrs.define
class Settings:
    """The settings document: what a user chooses."""

    provider: ProviderKind = "openrouter"
    model_id: str = limited(DEFAULT_MODEL_ID, max_length=MAX_ID_LENGTH)
    use_custom_base_url: bool = False
    custom_base_url: str = limited("", max_length=MAX_URL_LENGTH)
    middle_out_transform: bool = False
    routing: RoutingSettings = attrs.Factory(RoutingSettings)
    prompt_caching: bool = True
    reasoning_effort: ReasoningEffort = "default"
    # `max_tokens` of a chat that gives none; at most the model's max completion tokens.
    max_output_tokens: int | None = limited(None, minimum=1, maximum=MAX_COMPLETION_TOKENS)
    model_variant: ModelVariant | None = None
    # Tried in order when the model fails (`models`); never the model itself.
    fallback_models: list[str] = limited(
        attrs.Factory(list), max_items=MAX_FALLBACK_MODELS, item_max_length=MAX_ID_LENGTH
    )
    # The provider pinned per model ({modelId: tag}); kept by the server: `routing.provider`
    # is the pin of `modelId` (see settings_layers.py).
    provider_pins: dict[str, str] = attrs.Factory(dict)
    # Model ids the user starred: they come first in models/list (ids the catalogue does not
    # list are kept, and skipped there).
    favorite_models: list[str] = limited(attrs.Factory(list), max_items=MAX_FAVORITES)
    # Conversations saved in the state folder (history.sqlite3); off: kept in memory only.
    chat_history: bool = True

    @property
    def effective_base_url(self) -> str:
        if self.use_custom_base_url:
            return self.custom_base_url.rstrip("/")
        return DEFAULT_BASE_URL


@attrs.define
class ApiKeyStatus:
    is_set: bool = False
    hint: str | None = None  # "sk-or-v1-…1c96": never the key itself
    source: KeySource | None = None
    # Checked with the service when set (null until the check ends; see core/key_check.py)
    verdict: KeyVerdict | None = None
    verdict_message: str | None = None  # a sentence for the user when not "accepted"


PinState = Literal["none", "ok", "unchecked", "not_served"]


@attrs.define
class ProviderPin:
    """The provider pinned for the current model and whether that model's endpoints serve it.

    Pins are kept per model: switching models brings back the pin chosen for that model (or none).
    """

    provider: str | None  # the tag in force for `modelId`; None when nothing is pinned
    # "none": no pin; "ok": the model's endpoints list it; "unchecked": endpoints not fetched yet;
    # "not_served": the model's endpoints do not list it, so requests do not send it
    state: PinState
    message: str | None  # a sentence for the user when `state` is "not_served"


@attrs.define
class SettingsView:
    """The settings as a client shows them: the document plus the key's status."""

    provider: ProviderKind
    model_id: str
    use_custom_base_url: bool
    custom_base_url: str
    middle_out_transform: bool
    routing: RoutingSettings
    prompt_caching: bool
    reasoning_effort: ReasoningEffort
    max_output_tokens: int | None
    model_variant: ModelVariant | None
    fallback_models: list[str]
    api_key: ApiKeyStatus
    effective_base_url: str
    provider_pin: ProviderPin
    favorite_models: list[str]
    chat_history: bool


# --- params ------------------------------------------------------------------------------------


@attrs.define
class EmptyParams:
    """Params of methods that take none: `{}`, `null`, absent and `[]` are all accepted."""


@attrs.define
class SettingsUpdateParams:
    patch: dict[str, object]  # a partial settings document; `null` resets a field


@attrs.define
class ApiKeySetParams:
    api_key: str = limited(max_length=MAX_API_KEY_LENGTH)


@attrs.define
class ModelsListParams:
    """Which models to list and in what order; every filter is off by default.

    `query` ranks exact ids/names first, then whole words and id segments ("mini" in
    `openai/gpt-4o-mini`), then word prefixes, then other substrings; each of its words must
    match (its first 8 distinct words count). Favourites (`favoriteModels`) come first in
    whatever order is chosen.
    """

    refresh: bool = False
    query: str | None = limited(None, max_length=MAX_QUERY_LENGTH)
    free: bool = False  # only models that cost nothing
    image_input: bool = False  # only models that take images
    tools: bool = False  # only models that take `tools`
    reasoning: bool = False  # only models that can reason
    caching: bool = False  # only models with a prompt-cache price
    min_context: int | None = limited(None, minimum=0, maximum=MAX_CONTEXT_TOKENS)
    # USD per million prompt tokens; models without a fixed price are left out
    max_prompt_price: float | None = limited(None, minimum=0, maximum=MAX_PRICE_PER_MILLION)
    # "price": cheapest prompt first; "context": largest first; "newest": newest first
    sort: ModelSort = "default"
    # Paging: at most `limit` models (null: all) after skipping `offset`; the result's `total`
    # counts every match. A picker asks for the first page and more as the user scrolls.
    limit: int | None = limited(None, minimum=1, maximum=MAX_MODELS_PAGE)
    offset: int = limited(0, minimum=0, maximum=MAX_MODELS_OFFSET)
    # Only these models (a card asks for the chosen one without paging through the list); the
    # other filters and paging still apply, and ids the catalogue does not list are absent.
    ids: list[str] | None = limited(
        None, max_items=MAX_MODELS_BY_ID, item_max_length=MAX_ID_LENGTH
    )


@attrs.define
class ModelsEndpointsParams:
    model_id: str = limited(max_length=MAX_ID_LENGTH)


@attrs.define
class TextPart:
    type: Literal["text"]
    text: str


@attrs.define
class ImageUrl:
    """`data:image/png;base64,…` (PNG, JPEG, WebP or GIF) or an `https://` address."""

    url: str = limited(max_length=MAX_IMAGE_URL_CHARS)
    detail: Literal["auto", "low", "high"] | None = None


@attrs.define
class ImageUrlPart:
    type: Literal["image_url"]
    image_url: ImageUrl


@attrs.define
class ImageFilePart:
    """An image file the server reads and sends as a data URL (at most `MAX_IMAGE_BYTES`)."""

    type: Literal["image_file"]
    path: str = limited(max_length=MAX_PATH_LENGTH)  # absolute


# Told apart by `type` (`wire.py`); images only for models whose input modalities include them.
ContentPart = TextPart | ImageUrlPart | ImageFilePart


@attrs.define
class ToolCallFunction:
    arguments: str  # a JSON document, as the model wrote it
    name: str = limited(max_length=MAX_ID_LENGTH)


@attrs.define
class ToolCall:
    type: Literal["function"]
    function: ToolCallFunction
    id: str = limited(max_length=MAX_ID_LENGTH)


@attrs.define
class Position:
    line: int = limited(minimum=0, maximum=MAX_POSITION)  # zero-based, as in LSP
    character: int = limited(minimum=0, maximum=MAX_POSITION)


@attrs.define
class Range:
    start: Position
    end: Position


@attrs.define
class AttachedDiagnostic:
    """An LSP Diagnostic as the editor has it (other members are accepted and ignored)."""

    range: Range
    message: str
    severity: int | None = limited(None, minimum=1, maximum=4)
    source: str | None = limited(None, max_length=MAX_ID_LENGTH)
    code: str | int | None = None


AttachmentKind = Literal["document", "range", "diagnostics"]


@attrs.define
class Attachment:
    """Editor context the server resolves into the message text (a fenced block with the file
    name and line numbers): a whole document, a range of it, or diagnostics. `document` and
    `range` read the text the editor synced (didOpen/didChange); `diagnostics` carries the
    editor's diagnostics itself (the server never receives them otherwise), optionally only
    those within `range`, and shows them with the lines they point at."""

    kind: AttachmentKind
    uri: str = limited(max_length=MAX_URL_LENGTH)
    range: Range | None = None  # required for "range"
    diagnostics: list[AttachedDiagnostic] | None = limited(None, max_items=MAX_DIAGNOSTICS)


@attrs.define
class ChatMessage:
    """One message. `content` is null only for an assistant message with `toolCalls`."""

    role: ChatRole
    content: str | list[ContentPart] | None = limited(max_items=MAX_CONTENT_PARTS)
    tool_calls: list[ToolCall] | None = limited(None, max_items=MAX_TOOL_CALLS)  # assistant
    tool_call_id: str | None = limited(None, max_length=MAX_ID_LENGTH)  # tool
    # assistant: the `reasoningDetails` of its ChatResult, sent back unchanged
    reasoning_details: list[dict[str, object]] | None = None
    attachments: list[Attachment] | None = limited(None, max_items=MAX_ATTACHMENTS)  # user


@attrs.define
class ToolFunction:
    name: str = limited(max_length=64)  # letters, digits, `_` and `-`
    description: str | None = None
    parameters: dict[str, object] | None = None  # a JSON Schema of type "object"
    strict: bool | None = None


@attrs.define
class Tool:
    """A tool the model may call (OpenAI's function format)."""

    type: Literal["function"]
    function: ToolFunction


@attrs.define
class ToolChoiceFunction:
    name: str = limited(max_length=64)


@attrs.define
class NamedToolChoice:
    type: Literal["function"]
    function: ToolChoiceFunction


ToolChoice = Literal["auto", "none", "required"] | NamedToolChoice


@attrs.define
class ChatParams:
    messages: list[ChatMessage] = limited(min_items=1, max_items=MAX_MESSAGES)
    model_id: str | None = limited(None, max_length=MAX_ID_LENGTH)
    max_tokens: int | None = limited(None, minimum=1, maximum=MAX_COMPLETION_TOKENS)
    temperature: float | None = limited(None, minimum=0, maximum=2)
    conversation_id: str | None = limited(None, max_length=MAX_ID_LENGTH)
    partial_result_token: str | int | None = limited(None, max_length=MAX_ID_LENGTH)
    # Only for models whose `supportedParameters` include "tools".
    tools: list[Tool] | None = limited(None, max_items=MAX_TOOLS)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None


@attrs.define
class ConversationParams:
    """Names one conversation: the id the client chose when it first chatted with it."""

    conversation_id: str = limited(max_length=MAX_ID_LENGTH)


@attrs.define
class ConversationRenameParams:
    conversation_id: str = limited(max_length=MAX_ID_LENGTH)
    title: str = limited(max_length=MAX_TITLE_LENGTH)


@attrs.define
class ConversationTruncateParams:
    """Keep the first `keepMessages` messages and drop the rest (regenerate, edit and resend)."""

    conversation_id: str = limited(max_length=MAX_ID_LENGTH)
    keep_messages: int = limited(minimum=0, maximum=MAX_STORED_MESSAGES)


@attrs.define
class SignInStartParams:
    """Start "Sign in with OpenRouter" (OAuth PKCE, S256); a flow already waiting is cancelled.

    Without `callbackUrl` the server listens on a one-shot loopback callback
    (`http://127.0.0.1:{callbackPort}/callback`; port 0 or absent: any free port). With it the
    client receives the redirect itself (VS Code's URI handler) and hands the code over with
    `openrouter/signIn/complete`.
    """

    callback_port: int | None = limited(None, minimum=0, maximum=65535)
    callback_url: str | None = limited(None, max_length=MAX_URL_LENGTH)
    timeout_seconds: float | None = limited(None, minimum=1, maximum=MAX_SIGN_IN_TIMEOUT_S)


@attrs.define
class SignInCompleteParams:
    """The code the authorisation page redirected with, and the `state` of that redirect."""

    code: str = limited(max_length=MAX_AUTH_CODE_LENGTH)
    state: str | None = limited(None, max_length=MAX_ID_LENGTH)


# --- results -----------------------------------------------------------------------------------


@attrs.define
class Pricing:
    """USD per million tokens; None when unknown or variable."""

    prompt: float | None = None
    completion: float | None = None
    cache_read: float | None = None
    cache_write: float | None = None


@attrs.define
class ModelInfo:
    id: str
    name: str
    description: str
    context_length: int | None
    max_completion_tokens: int | None  # the most output tokens per request
    pricing: Pricing
    input_modalities: list[str]
    output_modalities: list[str]
    supports_images: bool
    supports_tools: bool
    supports_reasoning: bool
    # Reasoning efforts the model accepts, highest first ([] when not known); from the
    # catalogue's `reasoning` object, else none
    supported_efforts: list[str]
    default_effort: str | None
    reasoning_mandatory: bool  # reasoning cannot be turned off
    supports_prompt_caching: bool
    supported_parameters: list[str]
    is_free: bool
    created: str | None  # ISO-8601, UTC: when OpenRouter added the model
    # A router whose price is that of the model it picks: no fixed price (`pricing` is null)
    variable_pricing: bool
    pricing_note: str | None  # a sentence explaining a variable price


@attrs.define
class ModelsListResult:
    models: list[ModelInfo]  # the page asked for (`limit`, `offset`), or every match
    total: int  # matches before paging
    fetched_at: str  # ISO-8601
    stale: bool


@attrs.define
class ProviderEndpoint:
    tag: str
    name: str
    provider_name: str
    context_length: int | None
    max_completion_tokens: int | None
    quantization: str | None
    status: int | None
    uptime_last30m: float | None  # percent of successful requests over the last 30 minutes
    uptime_last1d: float | None
    # Time to first token in milliseconds, median over the last 30 minutes (the OpenAPI spec's
    # PercentileStats: "Latency percentiles in milliseconds")
    latency_p50: float | None
    throughput_p50: float | None  # output tokens per second, median over the last 30 minutes
    supports_implicit_caching: bool | None  # the provider caches prompts without breakpoints
    pricing: Pricing


@attrs.define
class ModelsEndpointsResult:
    model_id: str
    providers: list[ProviderEndpoint]


@attrs.define
class AccountInfo:
    label: str | None
    limit: float | None
    usage: float | None
    limit_remaining: float | None
    is_free_tier: bool | None
    # What can still be spent, USD: the key's `limit_remaining` when the key has a limit, else
    # /credits' total_credits - total_usage; null when neither could be had
    balance_usd: float | None = None
    total_credits: float | None = None
    total_usage: float | None = None
    balance_source: BalanceSource | None = None
    checked_at: str | None = None  # ISO-8601, UTC: when the balance was fetched


@attrs.define
class ToolCallFunctionDelta:
    name: str | None = None
    arguments: str | None = None  # the next piece of the arguments


@attrs.define
class ToolCallDelta:
    """A piece of the tool call at `index`: `id`, `type` and `name` come with its first piece."""

    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: ToolCallFunctionDelta | None = None


@attrs.define
class ChatProgress:
    """The value of each `$/progress` notification on a chat's partialResultToken (members
    without news are left out)."""

    content: str | None = None
    reasoning: str | None = None
    tool_calls: list[ToolCallDelta] | None = None


@attrs.define
class ChatUsage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None


@attrs.define
class ChatResult:
    content: str
    reasoning: str
    finish_reason: str | None
    model: str | None
    provider: str | None
    generation_id: str | None
    usage: ChatUsage
    tool_calls: list[ToolCall] = attrs.Factory(list)  # complete; [] when none
    # Structured reasoning (opaque, signed or encrypted): sent back on the assistant message
    reasoning_details: list[dict[str, object]] = attrs.Factory(list)
    # The conversation the answer was appended to (the request's `conversationId`), or null
    conversation_id: str | None = None
    cost_source: CostSource | None = None  # where `usage.costUsd` came from; null: no cost


@attrs.define
class ConversationTotals:
    """Sums over a conversation's stored messages (unknown counts and costs count as 0)."""

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


@attrs.define
class ConversationSummary:
    id: str
    title: str  # the first user message, trimmed, until renamed; "" before one
    created_at: str  # ISO-8601, UTC
    updated_at: str
    message_count: int
    model: str | None  # the model of the latest answer
    totals: ConversationTotals


@attrs.define
class StoredMessage(ChatMessage):
    """A message as the conversation keeps it: the ChatMessage sent or received, and what is
    known about the answer that produced it (null for the messages the client sent)."""

    created_at: str = ""
    model: str | None = None
    provider: str | None = None
    generation_id: str | None = None
    usage: ChatUsage | None = None
    reasoning: str | None = None
    # The answer's finish reason; "cancelled" for an answer stopped part-way (its text so far)
    finish_reason: str | None = None


@attrs.define
class Conversation(ConversationSummary):
    messages: list[StoredMessage]


@attrs.define
class ConversationsListResult:
    conversations: list[ConversationSummary]  # newest first


@attrs.define
class ConversationGetResult:
    conversation: Conversation


@attrs.define
class ConversationDeleteResult:
    deleted: bool  # false: there was no such conversation


@attrs.define
class ConversationExportResult:
    markdown: str


@attrs.define
class SignInStartResult:
    auth_url: str  # the page to open in the browser
    callback_url: str  # where the page sends the browser back (it carries `state`)
    state: str  # names this flow: matches the callback and `signIn/didFinish`
    timeout_seconds: float  # the flow is abandoned after this long
    loopback: bool  # true when the server itself listens on `callbackUrl`


SignInOutcome = Literal["signed_in", "failed", "cancelled", "timed_out"]


@attrs.define
class SignInResult:
    """How a sign-in ended: the `signIn/complete` result and the `signIn/didFinish` params."""

    state: str
    outcome: SignInOutcome
    message: str  # a sentence for the user
    api_key: ApiKeyStatus  # the key store after the flow (the new key's hint when signed in)


@attrs.define
class FieldError:
    path: str  # "routing.sort", "messages[0].content"; "" for the params object itself
    message: str


@attrs.define
class UpstreamErrorData:
    """`data` of a -32001 error: what went wrong upstream, as a sentence a person can act on."""

    kind: ErrorKind
    message: str
    status: int | None = None
    retry_after_seconds: float | None = None
    provider_name: str | None = None
    partial_content: str | None = None


# method -> (params type, result type); the schema generator and the docs read this table.
METHODS: dict[str, tuple[type, type]] = {
    SETTINGS_GET: (EmptyParams, SettingsView),
    SETTINGS_UPDATE: (SettingsUpdateParams, SettingsView),
    API_KEY_SET: (ApiKeySetParams, ApiKeyStatus),
    API_KEY_CLEAR: (EmptyParams, ApiKeyStatus),
    ACCOUNT_GET: (EmptyParams, AccountInfo),
    MODELS_LIST: (ModelsListParams, ModelsListResult),
    MODELS_ENDPOINTS: (ModelsEndpointsParams, ModelsEndpointsResult),
    CHAT: (ChatParams, ChatResult),
    SIGN_IN_START: (SignInStartParams, SignInStartResult),
    SIGN_IN_COMPLETE: (SignInCompleteParams, SignInResult),
    SIGN_IN_CANCEL: (EmptyParams, SignInResult),
    CONVERSATIONS_LIST: (EmptyParams, ConversationsListResult),
    CONVERSATIONS_GET: (ConversationParams, ConversationGetResult),
    CONVERSATIONS_RENAME: (ConversationRenameParams, ConversationSummary),
    CONVERSATIONS_DELETE: (ConversationParams, ConversationDeleteResult),
    CONVERSATIONS_TRUNCATE: (ConversationTruncateParams, ConversationSummary),
    CONVERSATIONS_EXPORT: (ConversationParams, ConversationExportResult),
}
NOTIFICATIONS: dict[str, type] = {
    SETTINGS_DID_CHANGE: SettingsView,
    SIGN_IN_DID_FINISH: SignInResult,
    ACCOUNT_DID_CHANGE: AccountInfo,
    CONVERSATIONS_DID_CHANGE: ConversationParams,
}
