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
MAX_FALLBACK_MODELS = 3  # OpenRouter's `models` takes the model and at most three fallbacks
MAX_IGNORED_PROVIDERS = 200  # above the number of providers OpenRouter lists
MAX_PRICE_PER_MILLION = 1_000_000.0  # USD per million tokens: $1 a token, above every price

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
DataPolicy = Literal["default", "allow", "deny", "zdr"]
KeySource = Literal["env", "keyring", "file"]
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
ChatRole = Literal["system", "user", "assistant"]
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
    refresh: bool = False
    query: str | None = limited(None, max_length=MAX_QUERY_LENGTH)


@attrs.define
class ModelsEndpointsParams:
    model_id: str = limited(max_length=MAX_ID_LENGTH)


@attrs.define
class ChatMessage:
    role: ChatRole
    content: str


@attrs.define
class ChatParams:
    messages: list[ChatMessage] = limited(min_items=1, max_items=MAX_MESSAGES)
    model_id: str | None = limited(None, max_length=MAX_ID_LENGTH)
    max_tokens: int | None = limited(None, minimum=1, maximum=MAX_COMPLETION_TOKENS)
    temperature: float | None = limited(None, minimum=0, maximum=2)
    conversation_id: str | None = limited(None, max_length=MAX_ID_LENGTH)
    partial_result_token: str | int | None = limited(None, max_length=MAX_ID_LENGTH)


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
    max_completion_tokens: int | None
    pricing: Pricing
    input_modalities: list[str]
    supports_images: bool
    supports_reasoning: bool
    supports_prompt_caching: bool
    supported_parameters: list[str]
    is_free: bool
    # The catalogue's `reasoning` object: the efforts the model accepts (None: no allowlist) and
    # whether its reasoning cannot be turned off (effort "none" refused).
    supported_efforts: list[str] | None = None
    reasoning_mandatory: bool = False


@attrs.define
class ModelsListResult:
    models: list[ModelInfo]
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
    uptime_last30m: float | None
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


@attrs.define
class ChatProgress:
    """The value of each `$/progress` notification on a chat's partialResultToken."""

    content: str | None = None
    reasoning: str | None = None


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
}
NOTIFICATIONS: dict[str, type] = {SETTINGS_DID_CHANGE: SettingsView}
