"""Command line: `openrouter-lsp` serves LSP on stdio; subcommands for the emulator and the demo."""

from __future__ import annotations

import contextlib
import gc
import sys

from . import __version__

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _serve(log_level: str, tcp: str | None) -> int:
    from . import generated_code
    from .code_cache import install
    from .state_dir import configured_folder

    # Before pygls: its import is mostly compiling attrs' generated code. A cache must never
    # keep the server from starting.
    with contextlib.suppress(Exception):
        install(configured_folder())
    generated_code.install()  # attrs' generated code keeps only the globals it reads
    import pygls.lsp.server  # noqa: F401 - first, with the cyclic GC collecting as usual

    # Before the server's own imports, which reuse what this frees (see generated_code).
    generated_code.drop_generated_sources()
    # pygls and lsprotocol leave ~100,000 long-lived objects; every later GC pass would re-scan
    # them (~20 ms during our own imports alone). Freeze them: later passes skip them.
    gc.freeze()
    from .logging_setup import configure

    configure(log_level)
    from .lsp.transport import serve_stdio, serve_tcp
    from .server import build_server

    server = build_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        return serve_tcp(server, host or "127.0.0.1", int(port))
    return serve_stdio(server)


def _quick_serve_options(argv: list[str]) -> tuple[str, str | None] | None:
    """The options of an editor's usual command line, read without argparse (~16 ms of the
    start-up budget); None sends anything else (help, mistakes) through argparse."""
    log_level, tcp = "WARNING", None
    rest = list(argv)
    while rest:
        option = rest.pop(0)
        name, _, inline = option.partition("=")
        if name == "--stdio" and not inline:
            continue
        if name not in ("--log-level", "--tcp"):
            return None
        value = inline or (rest.pop(0) if rest else "")
        if name == "--log-level":
            if value.upper() not in LOG_LEVELS:
                return None
            log_level = value.upper()
        elif ":" not in value or not value.rpartition(":")[2].isdigit():
            return None
        else:
            tcp = value
    return log_level, tcp


def _host_port(value: str) -> str:
    _host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        import argparse

        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "emulator":
        from openrouter_emulator.cli import main as emulator_main

        return emulator_main(argv[1:])
    if argv and argv[0] == "demo":
        from .terminal_client import main as demo_main

        return demo_main(argv[1:])
    if argv and argv[0] == "chat":
        from .terminal_chat import main as chat_main

        return chat_main(argv[1:])
    if argv and argv[0] == "schemas":
        from .schema_gen import main as schemas_main

        return schemas_main(argv[1:])

    quick = _quick_serve_options(argv)
    if quick is not None:
        return _serve(*quick)

    import argparse

    parser = argparse.ArgumentParser(
        prog="openrouter-lsp",
        description="The OpenRouter provider as a language server (LSP on stdio by default). "
        "Subcommands: `chat` (an interactive chat in the terminal), `emulator` (a local "
        "OpenRouter emulator), `demo` (the terminal client against the emulator), `schemas` "
        "(regenerate schemas/).",
    )
    parser.add_argument("--version", action="version", version=f"openrouter-lsp {__version__}")
    parser.add_argument("--stdio", action="store_true", help="serve on stdio (the default)")
    parser.add_argument(
        "--tcp", metavar="HOST:PORT", type=_host_port, help="serve on TCP, for debugging"
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=LOG_LEVELS,
        type=str.upper,
        help="Python logging level (stderr and window/logMessage); default WARNING",
    )
    args = parser.parse_args(argv)
    return _serve(args.log_level, args.tcp)


if __name__ == "__main__":
    sys.exit(main())
