"""Assembles the sandbox web application (fake Graph API + phone simulator)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from sandbox.config import SandboxSettings
from sandbox.fake_graph import FakeGraph, SandboxState
from sandbox.simulator import Simulator

STATE_KEY = web.AppKey("sandbox_state", SandboxState)
SIMULATOR_KEY = web.AppKey("sandbox_simulator", Simulator)
GRAPH_KEY = web.AppKey("sandbox_graph", FakeGraph)


def build_app(settings: SandboxSettings | None = None) -> web.Application:
    """Builds the aiohttp application.

    Args:
        settings: Sandbox settings (read from the environment when omitted).

    Returns:
        The application; ``app[STATE_KEY]`` is the shared :class:`SandboxState`,
        ``app[SIMULATOR_KEY]`` and ``app[GRAPH_KEY]`` the two halves.
    """
    settings = settings or SandboxSettings.from_env()
    state = SandboxState()
    graph = FakeGraph(settings, state)
    simulator = Simulator(settings, state)
    app = web.Application(client_max_size=40 * 1024 * 1024)
    app[STATE_KEY] = state
    app[SIMULATOR_KEY] = simulator
    app[GRAPH_KEY] = graph
    app.add_routes(simulator.routes())
    app.add_routes(graph.routes())

    async def close_simulator(_: web.Application) -> None:
        for task in list(state.tasks):
            task.cancel()
        if state.tasks:
            await asyncio.gather(*state.tasks, return_exceptions=True)
        await simulator.close()

    # aiohttp 3.9 parameterises aiosignal's Signal the pre-1.4 way, so with the installed
    # aiosignal the expected item type comes out wrong; this is the documented use.
    app.on_cleanup.append(close_simulator)  # type: ignore[arg-type]
    return app
