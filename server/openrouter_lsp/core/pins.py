"""Whether a pinned provider serves the model it is pinned for.

Pins are kept per model (`settings_layers.py`), but a provider can stop serving a model, and an
editor configuration's pin applies to whatever model is chosen: a pin the model's endpoints do
not list is reported in the settings view and left out of requests (with fallbacks off it would
make every request fail).
"""

from __future__ import annotations

from ..errors import UpstreamError, upstream_error
from ..protocol import ProviderEndpoint, ProviderPin


def serves(endpoint: ProviderEndpoint, tag: str) -> bool:
    """OpenRouter matches `provider.order` entries by endpoint tag, the tag's provider slug, or
    the provider's name."""
    wanted = tag.lower()
    endpoint_tag = endpoint.tag.lower()
    return wanted in (endpoint_tag, endpoint_tag.split("/")[0], endpoint.provider_name.lower())


def pin_status(
    tag: str | None, model_id: str, endpoints: list[ProviderEndpoint] | None
) -> ProviderPin:
    if tag is None:
        return ProviderPin(provider=None, state="none", message=None)
    if endpoints is None:
        return ProviderPin(provider=tag, state="unchecked", message=None)
    if any(serves(endpoint, tag) for endpoint in endpoints):
        return ProviderPin(provider=tag, state="ok", message=None)
    served_by = ", ".join(sorted({e.tag.split("/")[0] for e in endpoints})[:6]) or "none"
    return ProviderPin(
        provider=tag,
        state="not_served",
        message=(
            f"{tag} does not serve {model_id} (its providers: {served_by}); requests are routed "
            "as if no provider were pinned. Choose one of its providers or clear the pin."
        ),
    )


def named_for_pin(error: UpstreamError, tag: str, model_id: str) -> UpstreamError:
    """OpenRouter's "no allowed providers" 404 blames the pin, not the model id or base URL."""
    if error.detail.status != 404:
        return error
    return upstream_error(
        "bad_request",
        f"The pinned provider {tag} cannot serve {model_id} right now (HTTP 404: no allowed "
        "providers). Choose another provider in the routing settings, allow fallbacks, or clear "
        "the pin.",
        status=404,
        provider_name=tag,
    )
