"""Registers the shared fixtures (real emulator, real server sessions, chat helpers, loopback
upstreams) as pytest plugins; the helpers themselves live in `tests/support/`."""

pytest_plugins = [
    "tests.support.lsp",
    "tests.support.chat",
    "tests.support.loopback_upstream",
]
