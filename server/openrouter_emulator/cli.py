"""`openrouter-lsp emulator`: serve the OpenRouter emulator until killed."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .state import MINIMAL, STREAM_USAGE_MODES, USAGE_CHUNK_SHAPES, Config, EmulatorState

# `--no NAME` turns one realism off (the Config field it sets to its MINIMAL value).
REALISMS = {name.replace("_", "-"): name for name in MINIMAL}


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
    parser.add_argument("--minimal", action="store_true",
                        help="turn every realism off (the bare shapes of older emulators)")
    parser.add_argument("--no", action="append", default=[], dest="realisms_off",
                        choices=sorted(REALISMS), metavar="REALISM",
                        help="turn one realism off (repeat): " + ", ".join(sorted(REALISMS)))
    parser.add_argument("--stream-usage", choices=STREAM_USAGE_MODES, default=None,
                        help="when a stream ends with usage (default always; when_asked: only "
                        "with stream_options.include_usage, as OpenAI-style servers)")
    parser.add_argument("--usage-chunk", choices=USAGE_CHUNK_SHAPES, default=None,
                        help="usage chunk shape (default auto: per request)")
    parser.add_argument("--generation-delay", type=float, default=None, metavar="SECONDS",
                        help="how long /generation answers 404 after a request (default 1)")
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    config = Config(api_keys=list(args.api_keys))
    if args.tokens_per_second is not None:
        config.tokens_per_second = args.tokens_per_second
    if args.chunk_tokens is not None:
        config.chunk_tokens = max(1, args.chunk_tokens)
    off = MINIMAL if args.minimal else {REALISMS[n]: MINIMAL[REALISMS[n]]
                                        for n in args.realisms_off}
    for name, value in off.items():
        setattr(config, name, value)
    if args.stream_usage is not None:
        config.stream_usage = args.stream_usage
    if args.usage_chunk is not None:
        config.usage_chunk = args.usage_chunk
    if args.generation_delay is not None:
        config.generation_delay_seconds = max(0.0, args.generation_delay)
    return config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .server import make_server, serve

    server, sock = make_server(EmulatorState(config_from_args(args)), args.host, args.port)
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
