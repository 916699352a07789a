"""`openrouter-lsp emulator`: serve the OpenRouter emulator until killed."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .state import Config, EmulatorState


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openrouter-lsp emulator",
        description="A local emulator of the OpenRouter HTTP API (synthetic replies).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", action="append", default=[], dest="api_keys",
                        metavar="KEY", help="a valid key (repeat); default: any sk-or-… key")
    parser.add_argument("--tokens-per-second", type=float, default=None, metavar="N",
                        help="stream speed; 0 = as fast as possible (default 2000)")
    parser.add_argument("--chunk-tokens", type=int, default=None, metavar="N",
                        help="tokens per SSE chunk (default 1)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .server import make_server, serve

    config = Config(api_keys=list(args.api_keys))
    if args.tokens_per_second is not None:
        config.tokens_per_second = args.tokens_per_second
    if args.chunk_tokens is not None:
        config.chunk_tokens = max(1, args.chunk_tokens)
    server, sock = make_server(EmulatorState(config), args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host

    def ready() -> None:
        print(f"OpenRouter emulator listening on http://{shown}:{port}/api/v1", flush=True)

    try:
        asyncio.run(serve(server, sock, ready))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
