"""OpenRouter's official OpenAPI 3.1 description (tests/fixtures/openapi-2026-08-22.yaml) as
validators: OpenAPI 3.1 schemas are JSON Schema 2020-12."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(__file__).parents[1] / "fixtures" / "openapi-2026-08-22.yaml"
URN = "urn:openrouter-openapi"


class OpenApi:
    def __init__(self, document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        # Real /models responses lack the `total_count` and `links` the 2026 spec requires
        # (see tests/fixtures/PROVENANCE.md): the emulator serves the real capture, so the
        # root is checked with only `data` required; every item is still a full `Model`.
        schemas["X-ModelsListResponse-AsCaptured"] = {
            **schemas["ModelsListResponse"], "required": ["data"]}
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(URN, resource)
        self._validators: dict[str, Draft202012Validator] = {}

    def component(self, name: str) -> Draft202012Validator:
        return self._validator(f"#/components/schemas/{name}")

    def response(self, path: str, method: str = "get", status: str = "200"
                 ) -> Draft202012Validator:
        escaped = path.replace("~", "~0").replace("/", "~1")
        return self._validator(f"#/paths/{escaped}/{method}/responses/{status}/content/"
                               "application~1json/schema")

    def _validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"{URN}{pointer}"}, registry=self.registry)
        return self._validators[pointer]


def check(validator: Draft202012Validator, instance: Any) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:10])


@pytest.fixture(scope="session")
def spec() -> Iterator[OpenApi]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open(encoding="utf-8") as handle:
        yield OpenApi(yaml.load(handle, Loader=loader))
