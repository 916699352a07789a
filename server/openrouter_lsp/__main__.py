"""Command line: `openrouter-lsp` serves LSP on stdio; subcommands for the emulator and the demo."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _serve(args: argparse.Namespace) -> int:
    from .logging_setup import configure

    configure(args.log_level)
    from .server import build_server

    server = build_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "emulator":
        from .emulator.cli import main as emulator_main

        return emulator_main(argv[1:])
    if argv and argv[0] == "demo":
        from .terminal_client import main as demo_main

        return demo_main(argv[1:])
    if argv and argv[0] == "schemas":
        from .schema_gen import main as schemas_main

        return schemas_main(argv[1:])

    parser = argparse.ArgumentParser(
        prog="openrouter-lsp",
        description="The OpenRouter provider as a language server (LSP on stdio by default). "
        "Subcommands: `emulator` (a local OpenRouter emulator), `demo` (the terminal client "
        "against the emulator), `schemas` (regenerate schemas/).",
    )
    parser.add_argument("--version", action="version", version=f"openrouter-lsp {__version__}")
    parser.add_argument("--stdio", action="store_true", help="serve on stdio (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="serve on TCP, for debugging")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="Python logging level (stderr and window/logMessage); default WARNING",
    )
    return _serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
