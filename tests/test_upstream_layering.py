"""The HTTP side (`openrouter_lsp.openrouter`) knows nothing of the LSP: no module imports pygls
or lsprotocol, and transport failures are classified by exception type, not by class name."""

from __future__ import annotations

import ast
import asyncio
import importlib
import pkgutil
import ssl
from pathlib import Path

import httpx
from tests.support.chat import upstream_data
from tests.support.loopback_upstream import LoopbackUpstream, running_session, upstream
from tests.support.lsp import TEST_KEY

import openrouter_lsp.openrouter as http_side
from openrouter_lsp.openrouter.errors import error_from_transport

__all__ = ["upstream"]  # the fixture

LSP_PACKAGES = {"pygls", "lsprotocol"}


def imported_packages(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_the_http_side_imports_pygls_or_lsprotocol() -> None:
    modules = list(pkgutil.iter_modules(http_side.__path__))
    assert {"chat_stream", "client", "errors", "catalogue", "account"} <= {m.name for m in modules}
    for module in modules:
        importlib.import_module(f"{http_side.__name__}.{module.name}")  # each one loads
        path = Path(http_side.__path__[0]) / f"{module.name}.py"
        assert not imported_packages(path) & LSP_PACKAGES, module.name


class OddlyNamedTimeout(httpx.ReadTimeout):
    """A timeout whose class name says nothing: only its type tells."""


class OddlyNamedFailure(httpx.ConnectError):
    pass


def test_transport_errors_are_classified_by_type() -> None:
    base = "https://example.invalid/api/v1"
    assert error_from_transport(OddlyNamedTimeout("slow"), base).kind == "timeout"
    slow_connect = error_from_transport(httpx.ConnectTimeout("slow"), base)
    assert "did not accept the connection" in slow_connect.message
    assert "Could not connect" in error_from_transport(OddlyNamedFailure("refused"), base).message
    # A message that merely mentions "ssl" is not a TLS failure...
    assert "TLS" not in error_from_transport(httpx.ConnectError("no ssl here"), base).message
    # ...an ssl.SSLError in the cause chain is, whatever the message says.
    wrapped = httpx.ConnectError("handshake")
    wrapped.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    assert "TLS" in error_from_transport(wrapped, base).message


async def test_a_tls_failure_is_named_through_the_server(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    # https:// to a server that answers the TLS hello in plain HTTP: an ssl.SSLError.
    async def plain_http(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain_http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with running_session(
            tmp_path, upstream, TEST_KEY, f"https://127.0.0.1:{port}/api/v1"
        ) as lsp:
            error = await lsp.call_error("openrouter/models/list", {})
    finally:
        server.close()
    data = upstream_data(error)
    assert data["kind"] == "network" and "TLS" in data["message"], data


def test_the_readme_lists_every_upstream_limit() -> None:
    from openrouter_lsp.openrouter import limits

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("### Limits", 1)[1].split("\n## ", 1)[0]
    for limit in limits.ALL:
        assert f"`{limit.env}`" in section, limit.env
