"""The emulator's ASGI application."""

from __future__ import annotations

from starlette.applications import Starlette

from .catalogue import load_catalogue
from .control import control_routes
from .routes import Api
from .state import EmulatorState


def create_app(state: EmulatorState | None = None) -> Starlette:
    state = state or EmulatorState()
    app = Starlette(routes=[*control_routes(state), *Api(state, load_catalogue()).routes()])
    app.state.emulator = state
    return app
