"""The README and the editor guide describe what exists: their config snippets parse, the
commands they name are the ones the server advertises, and the files they link exist."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dev extra installs tomli on 3.10
    import tomli as tomllib

from tests.support.lsp import LspSession

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", ROOT / "docs/editors.md", ROOT / "docs/vscode.md"]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_helix_configuration_snippets_are_valid_toml() -> None:
    blocks = [b for doc in DOCS for b in code_blocks(doc.read_text(), "toml")]
    assert blocks, "the guides show a Helix languages.toml"
    for block in blocks:
        config = tomllib.loads(block)
        server = config["language-server"]["openrouter"]
        assert server["command"] == "openrouter-lsp"
        assert "openrouter" in config["language"][0]["language-servers"]


def test_relative_links_point_at_files_that_exist() -> None:
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


async def test_the_commands_the_readme_names_are_advertised(lsp: LspSession) -> None:
    assert lsp.initialize_result is not None
    provider = lsp.initialize_result.capabilities.execute_command_provider
    assert provider is not None
    advertised = set(provider.commands)
    named = set(re.findall(r"`(openrouter\.[A-Za-z]+)`", (ROOT / "README.md").read_text()))
    assert named and named <= advertised, named - advertised


def test_the_architecture_guide_names_only_modules_that_exist() -> None:
    """Every module and folder in the layout block of docs/ARCHITECTURE.md exists (modules named
    in a folder's description included), and every `Core.<operation>` it names is one."""
    from openrouter_lsp.core.service import Core

    text = (ROOT / "docs/ARCHITECTURE.md").read_text()
    layout = code_blocks(text, "")[0]
    root_line, *lines = layout.splitlines()
    package = ROOT / root_line.strip()
    named: list[Path] = []
    folder = package
    for line in lines:
        if top := re.match(r"(\S+/)\s", line):  # another package at the root
            named.append(ROOT / top.group(1))
        elif entry := re.match(r"  (\S+?)(/)?\s", line + " "):
            name, is_folder = entry.group(1), entry.group(2)
            named.append(package / name)
            folder = package / name if is_folder else package
            if is_folder:  # modules its description names
                named += [folder / m for m in re.findall(r"\b(\w+\.py)\b", line)]
        elif nested := re.match(r"    (\S+\.py)\s", line + " "):
            named.append(folder / nested.group(1))
        else:  # a description's continuation line
            named += [folder / m for m in re.findall(r"\b(\w+\.py)\b", line)]
    assert len(named) > 30, named
    missing = [str(path.relative_to(ROOT)) for path in named if not path.exists()]
    assert not missing, f"docs/ARCHITECTURE.md names modules that do not exist: {missing}"
    operations = set(re.findall(r"`Core\.(\w+)`", text)) | {
        m for group in re.findall(r"`Core\.(\w+) / (\w+)`", text) for m in group
    }
    assert operations and all(hasattr(Core, name) for name in operations), operations
