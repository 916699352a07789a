"""`Core`: the operations every entry point shares — settings, key, catalogue, account, chat.

Each public operation first takes any change another server process sharing the state folder
(another editor window) made to the settings or the key, so every entry point sees the same state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import InvalidInput, UpstreamError, invalid, no_api_key_error, upstream_error
from ..protocol import (
    AccountInfo,
    ApiKeyStatus,
    ChatParams,
    ChatResult,
    FieldError,
    ModelInfo,
    ModelsEndpointsResult,
    ModelsListParams,
    ProviderPin,
    Settings,
    SettingsView,
    SignInResult,
    SignInStartParams,
    SignInStartResult,
)
from ..secrets import KeyStore
from ..settings import SettingsStore
from ..state_dir import state_dir
from . import chat as chat_flow
from .attachments import DocumentLookup, no_documents
from .background import Background
from .chat_content import resolve_content
from .model_ids import check_syntax, unknown_model
from .model_settings import effort_problem, for_model, max_output_problem
from .pins import named_for_pin, pin_status

if TYPE_CHECKING:
    from .. import wire
    from ..openrouter.catalogue import Catalogue, CatalogueSnapshot
    from .balance import BalanceKeeper
    from .conversations import Conversations
    from .key_check import Verdict
    from .signin import SignInFlow

log = logging.getLogger(__name__)


def _ignore_delta(_content: str | None, _reasoning: str | None) -> None:
    return None


def _ignore_sign_in(_result: SignInResult) -> None:
    return None


def _ignore_tool_calls(_increments: list[dict[str, Any]]) -> None:
    return None


def _ignore_account(_info: AccountInfo) -> None:
    return None


def _ignore_conversation(_conversation_id: str) -> None:
    return None


class Core:
    def __init__(
        self,
        *,
        warn: Callable[[str], None],
        settings_changed: Callable[[SettingsView], None],
        sign_in_finished: Callable[[SignInResult], None] = _ignore_sign_in,
        account_changed: Callable[[AccountInfo], None] = _ignore_account,
        conversation_changed: Callable[[str], None] = _ignore_conversation,
    ) -> None:
        """`warn`: a message for the user; `settings_changed`: the new view after any change;
        `sign_in_finished`: how a sign-in ended (every flow ends exactly once);
        `account_changed`: the balance fetched in the background (after a chat, a key check);
        `conversation_changed`: a stored conversation changed outside a request (the id)."""
        self._warn = warn
        self._settings_changed = settings_changed
        self._sign_in_finished = sign_in_finished
        self._account_changed = account_changed
        self._conversation_changed = conversation_changed
        self._background = Background()
        self._balances: BalanceKeeper | None = None
        self._verdict: tuple[str, Verdict] | None = None  # (key digest, what its check said)
        self._sign_in: SignInFlow | None = None
        self._folder: Path | None = None
        self._settings: SettingsStore | None = None
        self._keys: KeyStore | None = None
        self._catalogue: Catalogue | None = None
        self._conversations: Conversations | None = None
        # The editor's synced documents, for chat attachments (the LSP adapter sets it).
        self.documents: DocumentLookup = no_documents

    # --- state, opened on first use (not while the editor waits for `initialize`) ---

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = state_dir()
        return self._folder

    @property
    def settings(self) -> SettingsStore:
        if self._settings is None:
            self._settings = SettingsStore(self.folder, warn=self._warn)
        return self._settings

    @property
    def keys(self) -> KeyStore:
        if self._keys is None:
            self._keys = KeyStore(self.folder, warn=self._warn)
        return self._keys

    @property
    def balances(self) -> BalanceKeeper:
        if self._balances is None:
            from .balance import BalanceKeeper  # hashlib: not part of start-up

            self._balances = BalanceKeeper(self._background, self._account_changed)
        return self._balances

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            from ..openrouter.catalogue import Catalogue

            self._catalogue = Catalogue(self.folder)
        return self._catalogue

    @property
    def conversations(self) -> Conversations:
        """The saved conversations (`core/conversations.py`); opened on first use."""
        if self._conversations is None:
            from .conversations import Conversations

            self._conversations = Conversations(
                lambda: self.folder,
                enabled=lambda: self.settings.current.chat_history,
                warn=self._warn,
            )
        return self._conversations

    def history(self) -> Conversations:
        """The conversations, after taking another window's change (say, to `chatHistory`)."""
        self.sync_with_disk()
        return self.conversations

    def open_state(self) -> None:
        """Open the state now, so that a corrupt file is reported at once."""
        self.settings  # noqa: B018

    def sync_with_disk(self) -> None:
        """Take a change another server sharing the state folder made, and announce it."""
        if self._settings is None:
            return  # not opened yet: the first use reads the latest
        settings_changed = self.settings.reload_if_changed()
        key_changed = self.keys.reload_if_changed()
        if settings_changed or key_changed:
            self._announce()

    def _announce(self) -> SettingsView:
        view = self.settings_view()
        self._settings_changed(view)
        return view

    @property
    def base_url(self) -> str:
        return self.settings.current.effective_base_url

    # --- settings ---

    def settings_view(self) -> SettingsView:
        s = self.settings.current
        return SettingsView(
            provider=s.provider,
            model_id=s.model_id,
            use_custom_base_url=s.use_custom_base_url,
            custom_base_url=s.custom_base_url,
            middle_out_transform=s.middle_out_transform,
            routing=s.routing,
            prompt_caching=s.prompt_caching,
            reasoning_effort=s.reasoning_effort,
            max_output_tokens=s.max_output_tokens,
            model_variant=s.model_variant,
            fallback_models=s.fallback_models,
            api_key=self.key_status(),
            effective_base_url=s.effective_base_url,
            provider_pin=self._pin_status(),
            favorite_models=list(s.favorite_models),
            chat_history=s.chat_history,
        )

    def _pin_status(self) -> ProviderPin:
        s = self.settings.current
        if s.routing.provider is None or s.provider != "openrouter":
            return pin_status(None, s.model_id, None)
        endpoints = self.catalogue.cached_endpoints(s.effective_base_url, s.model_id)
        return pin_status(s.routing.provider, s.model_id, endpoints)

    async def _check_pin(self, model_id: str, tag: str | None) -> ProviderPin:
        """Whether `tag` serves `model_id`, fetching the model's endpoints when unknown (a
        failure leaves it unchecked)."""
        s = self.settings.current
        if tag is None or s.provider != "openrouter":
            return pin_status(None, model_id, None)
        try:
            endpoints = await self.catalogue.endpoints(
                s.effective_base_url, self.api_key(), model_id
            )
        except UpstreamError as exc:
            log.info("Endpoints of %s unavailable (%s)", model_id, exc.kind)
            return pin_status(tag, model_id, None)
        return pin_status(tag, model_id, endpoints)

    def get_settings(self) -> SettingsView:
        self.sync_with_disk()
        return self.settings_view()

    async def update_settings(self, patch: dict[str, Any]) -> SettingsView:
        """Merge `patch` (paths relative to it), validate the whole result, check a new model id
        against the catalogue of the base URL it will be used with, persist, announce."""
        self.sync_with_disk()
        candidate = self.settings.preview(patch)
        model_changed = "modelId" in patch and candidate.model_id != self.settings.current.model_id
        if model_changed:
            await self._require_known_model(
                candidate.model_id, "modelId", candidate.effective_base_url, candidate.provider
            )
        await self._check_model_settings(patch, candidate, model_changed)
        current = self.settings.update(patch)
        await self._check_pin(current.model_id, current.routing.provider)
        return self._announce()

    async def _check_model_settings(
        self, patch: dict[str, Any], candidate: Settings, model_changed: bool
    ) -> None:
        """The settings that depend on the model, checked when the patch sets them: InvalidInput
        naming every bad field. A model switch alone is never refused for them (see
        `model_settings.py`); what its requests will leave out is logged."""
        errors: list[FieldError] = []
        openrouter = candidate.provider == "openrouter"
        base_url = candidate.effective_base_url
        if patch.get("fallbackModels") is not None:
            for index, model_id in enumerate(candidate.fallback_models):
                path = f"fallbackModels[{index}]"
                if model_id == candidate.model_id:
                    errors.append(FieldError(path, "is the model itself; a fallback is another"))
                    continue
                try:
                    await self._require_known_model(model_id, path, base_url, candidate.provider)
                except InvalidInput as exc:
                    errors.extend(exc.errors)
        sets_effort = patch.get("reasoningEffort") is not None
        sets_tokens = patch.get("maxOutputTokens") is not None
        model: ModelInfo | None = None
        if openrouter and (sets_effort or sets_tokens or model_changed):
            model = await self.find_model(candidate.model_id, base_url)
        if model is not None:
            effort = effort_problem(candidate.reasoning_effort, model)
            tokens = candidate.max_output_tokens
            limit = max_output_problem(tokens, model) if tokens is not None else None
            if sets_effort and effort:
                errors.append(FieldError("reasoningEffort", effort))
            elif effort:
                log.info("reasoningEffort kept; requests to %s leave it out: %s", model.id, effort)
            if sets_tokens and limit:
                errors.append(FieldError("maxOutputTokens", limit))
            elif limit:
                log.info("maxOutputTokens kept; requests to %s send its limit", model.id)
        if errors:
            raise InvalidInput(errors)

    def apply_editor_configuration(
        self, initialization: dict[str, Any], workspace: dict[str, Any]
    ) -> list[FieldError]:
        """This session's editor configuration (`initializationOptions`, then the workspace
        section); invalid fields are returned and skipped."""
        self.sync_with_disk()
        before = self.settings.current
        errors = self.settings.set_editor_layers(initialization, workspace)
        if self.settings.current != before:
            self._announce()
        return errors

    # --- the API key ---

    def set_api_key(self, raw_key: str) -> ApiKeyStatus:
        """Store the key and start its check (`key_check.py`): the answer comes at once, with
        the verdict known so far (null for a new key); the check's verdict is announced.
        InvalidInput paths are relative to the key (`""`)."""
        self.sync_with_disk()
        self.keys.set(raw_key)
        self._start_key_check()
        self._announce()
        return self.key_status()

    def clear_api_key(self) -> ApiKeyStatus:
        self.sync_with_disk()
        self.keys.clear()
        self._verdict = None
        self._announce()
        return self.key_status()

    def key_status(self) -> ApiKeyStatus:
        """The key store's status with the verdict of the key in force (when it was checked)."""
        status = self.keys.status()
        key = self.api_key()
        if self._verdict is None or not key:
            return status
        from .balance import key_digest

        digest, verdict = self._verdict
        if digest != key_digest(key):
            return status
        return attrs.evolve(
            status, verdict=verdict.verdict, verdict_message=verdict.message
        )

    def _start_key_check(self) -> None:
        key = self.api_key()
        if not key:
            return
        settings = self.settings.current
        self._background.spawn(
            self._check_key(settings.effective_base_url, settings.provider, key), "key check"
        )

    async def _check_key(self, base_url: str, provider: str, key: str) -> None:
        from .key_check import check_key

        verdict = await check_key(base_url, provider, key)
        if verdict.account is not None:
            self.balances.remember(base_url, key, verdict.account)
            self._account_changed(verdict.account)
        self._record_verdict(key, verdict)

    def _record_verdict(self, key: str, verdict: Verdict) -> None:
        """Remember what the service said of `key`, and announce it when it is news for the key
        in force (a check that ends after the key was replaced says nothing of the new one)."""
        from .balance import key_digest

        if key != self.api_key():
            return
        digest = key_digest(key)
        if self._verdict == (digest, verdict):
            return  # what every chat with a good key says again: nothing to announce
        before = self.key_status()
        self._verdict = (digest, verdict)
        if self.key_status() != before:
            self._announce()

    def api_key(self) -> str | None:
        return self.keys.get()

    # --- Sign in with OpenRouter (OAuth PKCE, S256) ---

    async def sign_in_start(self, params: SignInStartParams) -> SignInStartResult:
        """Start a sign-in (cancelling one that is waiting): the page to open, and the callback
        the server listens on unless the client gave its own `callback_url`."""
        from ..openrouter.auth import auth_page_url, challenge_of

        self.sync_with_disk()
        settings = self.settings.current
        if settings.provider != "openrouter":
            raise upstream_error(
                "bad_request",
                "Sign in with OpenRouter needs the OpenRouter provider; an OpenAI-compatible "
                "server takes its key as pasted.",
            )
        own_callback = None
        if params.callback_url is not None:
            own_callback = _checked_callback(params.callback_url)
            if params.callback_port is not None:
                raise invalid("callbackPort", "cannot be given with callbackUrl")
        # Loaded with the first sign-in: hashlib and hmac are not part of start-up.
        from .signin import DEFAULT_TIMEOUT_S, SignInFlow, with_state

        self.sign_in_cancel("A new sign-in replaced this one.")
        api_base = settings.effective_base_url
        flow = SignInFlow(
            exchange=lambda code, verifier: self._exchange_code(api_base, code, verifier),
            key_status=self.key_status,
            on_end=self._sign_in_finished,
            timeout_s=params.timeout_seconds or DEFAULT_TIMEOUT_S,
        )
        self._sign_in = flow
        if own_callback is not None:
            callback_url = with_state(own_callback, flow.state)
        else:
            callback_url = await flow.listen(params.callback_port or 0)
        return SignInStartResult(
            auth_url=auth_page_url(api_base, callback_url, challenge_of(flow.verifier)),
            callback_url=callback_url,
            state=flow.state,
            timeout_seconds=flow.timeout_s,
            loopback=own_callback is None,
        )

    async def _exchange_code(self, api_base: str, code: str, verifier: str) -> ApiKeyStatus:
        from ..openrouter.auth import exchange_code

        key = await exchange_code(api_base, code, verifier)
        return self.set_api_key(key)  # stored and announced like a pasted key

    async def sign_in_complete(self, code: str, state: str | None) -> SignInResult:
        """Finish the waiting sign-in with the code its redirect carried."""
        flow = self._sign_in
        if flow is None or flow.done:
            raise invalid("code", "no sign-in is waiting for a code: sign in again")
        if not code.strip():
            raise invalid("code", "must not be empty")
        if state is not None and state != flow.state:
            flow.finish("failed", "The sign-in was refused: its state does not match the "
                        "sign-in in progress. Sign in again.")
            raise invalid("state", "does not match the sign-in in progress: sign in again")
        return await flow.complete(code.strip())

    def sign_in_cancel(self, message: str = "The sign-in was cancelled.") -> SignInResult:
        flow, self._sign_in = self._sign_in, None
        if flow is None or flow.done:
            return SignInResult(
                state=flow.state if flow else "", outcome="cancelled",
                message="No sign-in was in progress.", api_key=self.key_status(),
            )
        return flow.finish("cancelled", message)

    def close(self) -> None:
        """Before the server exits: a waiting sign-in ends (its callback server closes), the
        history database is closed."""
        if self._sign_in is not None and not self._sign_in.done:
            self.sign_in_cancel("The server shut down; sign in again.")
        if self._conversations is not None:
            self._conversations.close()
        self._background.cancel_all()

    async def sign_in_outcome(self, state: str) -> SignInResult | None:
        """How the flow named `state` ends (waits); None when it is not the current one."""
        flow = self._sign_in
        if flow is None or flow.state != state:
            return None
        return await asyncio.shield(flow.result)

    # --- catalogue and account ---

    async def catalogue_snapshot(self, *, refresh: bool = False) -> tuple[CatalogueSnapshot, bool]:
        """The catalogue of the base URL in use, and whether it is stale (the refresh failed)."""
        self.sync_with_disk()
        return await self.catalogue.get(self.base_url, self.api_key(), refresh=refresh)

    async def list_models(self, params: ModelsListParams | None = None) -> wire.RawJson:
        """`models/list`'s result as JSON pieces (pre-encoded: the catalogue is large):
        searched, filtered and sorted as `params` ask, the user's favourites first."""
        params = params or ModelsListParams()
        snapshot, stale = await self.catalogue_snapshot(refresh=params.refresh)
        query = params.query.strip() if params.query else None
        favorites = self.settings.current.favorite_models
        return snapshot.models_answer(query or None, stale, params, favorites)

    async def model_endpoints(self, model_id: str) -> ModelsEndpointsResult:
        self.sync_with_disk()
        await self._require_known_model(
            model_id, "modelId", self.base_url, self.settings.current.provider
        )
        pin_before = self._pin_status()
        try:
            providers = await self.catalogue.endpoints(self.base_url, self.api_key(), model_id)
        except UpstreamError as exc:
            if exc.detail.status == 404:
                raise unknown_model(model_id) from None
            raise
        if self._pin_status() != pin_before:  # the current model's pin is now checked: say so
            self._announce()
        return ModelsEndpointsResult(model_id=model_id, providers=providers)

    async def account(self) -> AccountInfo:
        """The key's account and balance, fetched now (and remembered for the checks before
        sending). An OpenAI-compatible server has no OpenRouter account: a "bad_request" error
        that says so."""
        from .key_check import Verdict, from_error

        self.sync_with_disk()
        settings = self.settings.current
        if settings.provider != "openrouter":
            raise upstream_error(
                "bad_request",
                f"The OpenAI-compatible server at {self.base_url} has no OpenRouter account: "
                "there is no balance or key limit to show. Choose the OpenRouter provider to "
                "see them.",
            )
        key = self.api_key()
        if not key:
            raise no_api_key_error()
        try:
            info = await self.balances.fetch(self.base_url, key)
        except UpstreamError as exc:
            if exc.kind == "auth":
                self._record_verdict(key, from_error(exc))
            raise
        self._record_verdict(key, Verdict("accepted", None))
        return info

    async def find_model(self, model_id: str, base_url: str | None = None) -> ModelInfo | None:
        """The catalogue's entry for `model_id`, or None; a catalogue failure is never an error
        here (the caller decides)."""
        try:
            return await self.catalogue.find_model(
                base_url or self.base_url, self.api_key(), model_id
            )
        except Exception as exc:
            log.warning("Model lookup for %s failed (%s)", model_id, type(exc).__name__)
            return None

    async def _require_known_model(
        self, model_id: str, path: str, base_url: str, provider: str
    ) -> ModelInfo | None:
        """The one model-id rule: valid syntax, and listed by OpenRouter's catalogue for that
        base URL when the catalogue can be had (an OpenAI-compatible server's models are not in
        it; an unreachable catalogue refuses nothing)."""
        check_syntax(model_id, path)
        if provider != "openrouter":
            return None
        model = await self.find_model(model_id, base_url)
        if model is None and self.catalogue.cached(base_url) is not None:
            raise unknown_model(model_id, path)
        return model

    # --- chat ---

    async def chat(
        self,
        params: ChatParams,
        on_delta: chat_flow.OnDelta | None = None,
        on_tool_calls: chat_flow.OnToolCalls | None = None,
    ) -> ChatResult:
        """A chat; with `conversationId` the server holds the history: `messages` are this
        turn's new ones, sent after the stored ones and appended with the answer (see
        `Conversations.chat`)."""
        self.sync_with_disk()
        chat_flow.check_total_size(params)
        if params.conversation_id is None:
            return await self._chat(params, on_delta, on_tool_calls)
        # The turn is stored with its attachments and image files already resolved, so later
        # turns replay it even when the document is closed or the file gone.
        params = await resolve_content(params, self.documents)

        async def run(
            turn: ChatParams, relay: chat_flow.OnDelta, on_id: chat_flow.OnGenerationId
        ) -> ChatResult:
            return await self._chat(turn, relay, on_tool_calls, on_id)

        return await self.conversations.chat(
            params, on_delta or _ignore_delta, run, self._price_when_stopped()
        )

    def _price_when_stopped(self) -> Callable[[str, str], None]:
        """What a stopped answer kept in a conversation does: OpenRouter billed it, so its
        cost is fetched in the background and stored (`stopped_cost.py`)."""
        settings = self.settings.current
        base_url, api_key = settings.effective_base_url, self.api_key()

        def stopped(conversation_id: str, generation_id: str) -> None:
            if settings.provider != "openrouter" or not api_key:
                return
            from .stopped_cost import record_stopped_cost

            work = record_stopped_cost(
                lambda: self.conversations, base_url, api_key, conversation_id, generation_id,
                self._conversation_changed,
            )
            self._background.spawn(work, "stopped answer's cost")

        return stopped

    async def _chat(
        self,
        params: ChatParams,
        on_delta: chat_flow.OnDelta | None = None,
        on_tool_calls: chat_flow.OnToolCalls | None = None,
        on_generation_id: chat_flow.OnGenerationId | None = None,
    ) -> ChatResult:
        settings = self.settings.current
        api_key = self.api_key()
        # Local OpenAI-compatible servers often need no key; OpenRouter always does.
        if not api_key and settings.provider == "openrouter":
            raise no_api_key_error()
        base_url = settings.effective_base_url
        model: ModelInfo | None = None
        if params.model_id is not None:
            model = await self._require_known_model(
                params.model_id, "modelId", base_url, settings.provider
            )
        elif settings.provider == "openrouter":
            # Cache breakpoints depend on the model's cache-write price, and the cost falls back
            # to its prices (answered from memory once the catalogue is known).
            model = await self.find_model(settings.model_id, base_url)
        # A pin belongs to its model: a chat with another model uses that model's pin, and a
        # pin the model's endpoints do not list is left out.
        model_id = params.model_id or settings.model_id
        pin = (
            settings.routing.provider
            if model_id == settings.model_id
            else settings.provider_pins.get(model_id)
        )
        if pin is not None and (await self._check_pin(model_id, pin)).state == "not_served":
            log.info("Leaving out the pin %s: %s does not serve it", pin, model_id)
            pin = None
        if pin != settings.routing.provider:
            settings = attrs.evolve(settings, routing=attrs.evolve(settings.routing, provider=pin))
        if settings.provider == "openrouter" and api_key and model is not None:
            self._refuse_unaffordable(base_url, api_key, params, model, settings)
        context = chat_flow.ChatContext(
            settings=settings,
            api_key=api_key,
            base_url=base_url,
            model=model,
            find_model=lambda model_id: self.find_model(model_id, base_url),
            documents=self.documents,
        )
        try:
            result = await chat_flow.run_chat(
                context, params, on_delta or _ignore_delta, on_tool_calls or _ignore_tool_calls,
                on_generation_id,
            )
        except UpstreamError as exc:
            self._after_chat(settings.provider, base_url, api_key, exc)
            if pin is None:
                raise
            raise named_for_pin(exc, pin, model_id) from None
        except asyncio.CancelledError:  # a stopped answer was still billed
            if settings.provider == "openrouter" and api_key:
                self.balances.refresh_soon(base_url, api_key)
            raise
        self._after_chat(settings.provider, base_url, api_key, None)
        return result

    def _refuse_unaffordable(
        self, base_url: str, api_key: str, params: ChatParams, model: ModelInfo,
        settings: Settings,
    ) -> None:
        """The worst-case check against the balance remembered for this key (never a request
        here); when it refuses, the balance is refreshed for the next attempt."""
        from .affordability import check_affordable

        known = self.balances.known(base_url, api_key)
        if known is None or known.balance_usd is None:
            return
        fitted = for_model(settings, model, params)
        max_tokens = params.max_tokens or fitted.max_output_tokens
        if (error := check_affordable(known.balance_usd, params, model, max_tokens)) is not None:
            self.balances.refresh_soon(base_url, api_key)
            raise error

    def _after_chat(
        self, provider: str, base_url: str, api_key: str | None, error: UpstreamError | None
    ) -> None:
        """What a chat taught about the key, and the balance refresh it calls for (in the
        background: the chat's result is not held up)."""
        if provider != "openrouter" or not api_key:
            return
        from .key_check import Verdict, from_error

        if error is not None and error.kind == "auth":
            self._record_verdict(api_key, from_error(error))
            return
        if error is None:
            self._record_verdict(api_key, Verdict("accepted", None))
        self.balances.refresh_soon(base_url, api_key)



def _checked_callback(url: str) -> str:
    """A client's own callback: an absolute URL without a fragment (`vscode://pub.ext/path`)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if not parts.scheme or not (parts.netloc or parts.path) or parts.fragment:
        raise invalid("callbackUrl", "must be an absolute URL without a fragment")
    if parts.scheme in ("http", "https") and not parts.netloc:
        raise invalid("callbackUrl", "must name a host")
    return url.strip()
