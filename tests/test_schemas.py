"""schemas/ is generated from the server's types and never drifts; every schema is valid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from jsonschema import Draft202012Validator

from openrouter_lsp import protocol
from openrouter_lsp.schema_gen import all_schemas, render

SCHEMAS = Path(__file__).parent.parent / "schemas"


def test_committed_schemas_match_the_server_types() -> None:
    wanted = {name: render(schema) for name, schema in all_schemas().items()}
    present = {p.name: p.read_text() for p in SCHEMAS.glob("*.schema.json")}
    assert sorted(present) == sorted(wanted), "run `openrouter-lsp schemas`"
    for name, text in wanted.items():
        assert present[name] == text, f"{name} drifted: run `openrouter-lsp schemas`"


def test_the_check_command_fails_on_drift(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    run = [sys.executable, "-m", "openrouter_lsp", "schemas", "--out", str(out)]
    subprocess.run(run, check=True, capture_output=True)
    assert subprocess.run([*run, "--check"], capture_output=True).returncode == 0
    first = sorted(out.glob("*.schema.json"))[0]
    first.write_text(first.read_text().replace('"type"', '"tipe"', 1))
    assert subprocess.run([*run, "--check"], capture_output=True).returncode == 1


def test_every_method_has_params_and_result_schemas_that_are_valid() -> None:
    for method in protocol.METHODS:
        for role in ("params", "result"):
            path = SCHEMAS / f"{method.replace('/', '.')}.{role}.schema.json"
            Draft202012Validator.check_schema(json.loads(path.read_text()))
    Draft202012Validator.check_schema(json.loads((SCHEMAS / "settings.schema.json").read_text()))


def test_settings_schema_accepts_the_spec_example_and_rejects_bad_enums() -> None:
    validator = Draft202012Validator(json.loads((SCHEMAS / "settings.schema.json").read_text()))
    example = {
        "provider": "openrouter",
        "modelId": "anthropic/claude-sonnet-4.5",
        "useCustomBaseUrl": False,
        "customBaseUrl": "",
        "middleOutTransform": False,
        "routing": {
            "sort": "default",
            "provider": None,
            "allowFallbacks": True,
            "dataPolicy": "default",
        },
        "promptCaching": True,
    }
    assert validator.is_valid(example)
    example["routing"]["sort"] = "fastest"  # type: ignore[index]
    assert not validator.is_valid(example)
