"""Calls to the action server: answers checked with a schema compiled once, connections kept.

Rasa 3.6 checks every answer of the action server with ``jsonschema.validate(result,
schema)``. That function first validates the *schema* against the JSON Schema meta-schema
and builds a new validator, on every call: about 21 ms of CPU per custom action on this
machine's cores (the schema embeds the schema of every event type), more than the NLU
pipeline of a typed message. :func:`install` makes :class:`RemoteAction` check answers with
one validator per process, built (and its schema checked) once: the same schema, the same
error (``best_match``, as ``jsonschema.validate`` picks it) and the same message; ~0.3 ms.

Rasa's ``EndpointConfig.request`` (every custom action call) also opens a new aiohttp session,
connector and TCP connection per call and closes them after the answer. :func:`install`
replaces it with the same request (Rasa's code: headers, URL, parameters, SSL, compression,
errors, JSON answer) sent through one kept session per endpoint and event loop, whose
connector keeps idle connections for :data:`KEEPALIVE_SECONDS` (less than the action
server's 5 s, Sanic's default, so that the client, not the server, closes an idle one).
A kept connection the server closed meanwhile (the action server restarted) fails *before
any answer* with a disconnect; such a request never reached the server's handler, so it is
sent once more, on a new connection; a failure on a new connection, or once an answer has
begun, is Rasa's error as before. (A server killed while it ran the action, before it
answered, on a reused connection, would be called twice: the same as the worker's re-run
of a failed turn.)
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import logging
import os
import ssl
from types import SimpleNamespace
from typing import Any

import aiohttp
import rasa
from aiohttp.client_exceptions import ContentTypeError
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

logger = logging.getLogger(__name__)

_INSTALLED_MARK = "_lalisa_cached_schema"
_SESSION_MARK = "_lalisa_kept_session"
# The Rasa whose EndpointConfig.request the kept-session request reproduces.
RASA_VERSION = "3.6.21"
KEEPALIVE_SECONDS = 2.0
"""How long an idle connection is kept: under the action server's keep-alive (Sanic: 5 s)."""
# What a kept connection the server has closed fails with, before any answer.
STALE_CONNECTION_ERRORS = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    """The validator of Rasa's action-server response schema (schema checked once)."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(result: dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result`` with the cached validator.

    Raises:
        ValidationError: The answer does not match the schema (Rasa's message appended).
    """
    error = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


async def _on_reused(session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
    """Marks the request as sent on a kept connection (aiohttp's trace signal)."""
    if isinstance(context.trace_request_ctx, dict):
        context.trace_request_ctx["reused"] = True


def _trace_config() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    # aiohttp 3.9 annotates its signals' callbacks wrongly (one argument).
    config.on_connection_reuseconn.append(_on_reused)  # type: ignore[arg-type]
    return config


# (id(endpoint), id(loop)) -> (endpoint, loop, session); the objects keep their ids theirs.
_sessions: dict[tuple[int, int], tuple[EndpointConfig, asyncio.AbstractEventLoop, Any]] = {}
_enabled = True


def set_kept_sessions(enabled: bool) -> None:
    """Turns the kept sessions on or off (off: Rasa's session per call; for A/B measurements)."""
    global _enabled
    _enabled = enabled


def _let_go(session: aiohttp.ClientSession) -> None:
    """Closes a kept session's connections without its (closed or stopped) event loop.

    aiohttp's synchronous part of closing a connector: marks it closed (so neither it nor
    its session reports itself unclosed when collected) and closes its transports when the
    loop still can.
    """
    connector = session.connector
    close = getattr(connector, "_close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


def _drop_closed_loops() -> None:
    """Forgets the sessions of closed event loops, their connections closed as far as can be."""
    for key, (_, loop, session) in list(_sessions.items()):
        if loop.is_closed():
            del _sessions[key]
            _let_go(session)


@atexit.register
def _at_exit() -> None:
    """A process that ends without closing its sessions ends without aiohttp's warnings."""
    for _, _, session in _sessions.values():
        _let_go(session)
    _sessions.clear()


def kept_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The endpoint's session of the running loop: Rasa's ``session()``, connector kept."""
    loop = asyncio.get_running_loop()
    entry = _sessions.get((id(endpoint), id(loop)))
    if entry is not None and entry[0] is endpoint and entry[1] is loop and not entry[2].closed:
        session: aiohttp.ClientSession = entry[2]
        return session
    _drop_closed_loops()
    auth = (
        aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
        if endpoint.basic_auth
        else None
    )
    session = aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
        trace_configs=[_trace_config()],
    )
    _sessions[(id(endpoint), id(loop))] = (endpoint, loop, session)
    return session


async def close_kept_sessions() -> None:
    """Closes the kept sessions of the running loop (at a process's orderly shutdown)."""
    loop = asyncio.get_running_loop()
    for key, (_, session_loop, session) in list(_sessions.items()):
        if session_loop is loop:
            del _sessions[key]
            await session.close()


async def request(
    endpoint: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any:
    """Rasa 3.6.21's ``EndpointConfig.request``, through the endpoint's kept session.

    Rasa's code, but for the session and the one repeat of a request whose kept connection
    the server had closed (module docstring).
    """
    # create the appropriate headers
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type

    if "headers" in kwargs:
        headers.update(kwargs["headers"])
        del kwargs["headers"]

    if endpoint.headers:
        headers.update(endpoint.headers)

    url = concat_url(endpoint.url, subpath)

    sslcontext = None
    if endpoint.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=endpoint.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, "
                f"'{os.path.abspath(endpoint.cafile)}' does not exist."
            ) from e

    params = endpoint.combine_parameters(kwargs)
    for attempt in (1, 2):
        sent: dict[str, bool] = {}
        try:
            response = await kept_session(endpoint).request(
                method,
                url,
                headers=headers,
                params=params,
                compress=compress,
                ssl=sslcontext,
                trace_request_ctx=sent,
                **kwargs,
            )
        except STALE_CONNECTION_ERRORS as e:
            if attempt == 2 or not sent.get("reused"):
                raise
            logger.info("A kept connection to %s was closed (%s); sending again", url, e)
            continue
        async with response:
            if response.status >= 400:
                raise ClientResponseError(
                    response.status,
                    response.reason,
                    await response.content.read(),
                )
            try:
                return await response.json()
            except ContentTypeError:
                return None
    raise AssertionError("unreachable")  # pragma: no cover


def install() -> None:
    """Makes :class:`RemoteAction` validate answers with the cached validator. Idempotent.

    Also sends endpoint requests through kept sessions (Rasa 3.6.21 only).
    """
    _install_kept_sessions()
    original = RemoteAction._validate_action_result
    if getattr(original, _INSTALLED_MARK, False):
        return

    @functools.wraps(original)
    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        return validate_action_result(result)

    setattr(_validate_action_result, _INSTALLED_MARK, True)
    RemoteAction._validate_action_result = _validate_action_result


def _install_kept_sessions() -> None:
    original = EndpointConfig.request
    if getattr(original, _SESSION_MARK, False):
        return
    if rasa.__version__ != RASA_VERSION:
        logger.warning(
            "Rasa %s is not %s: endpoint requests open a session each, as Rasa's own",
            rasa.__version__,
            RASA_VERSION,
        )
        return

    @functools.wraps(original)
    async def kept_request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
        if not _enabled:
            return await original(self, *args, **kwargs)
        return await request(self, *args, **kwargs)

    setattr(kept_request, _SESSION_MARK, True)
    EndpointConfig.request = kept_request


__all__ = [
    "KEEPALIVE_SECONDS",
    "ValidationError",
    "close_kept_sessions",
    "install",
    "kept_session",
    "request",
    "response_validator",
    "set_kept_sessions",
    "validate_action_result",
]
