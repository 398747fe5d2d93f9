"""The deployment profile (``LALISA_ENV``) and the checks that keep production safe by default.

``development`` (the default) keeps the one-command convenience of ``make run``: generated
secrets, the WhatsApp sandbox when no WhatsApp credential is set, the REST channel without a
token. ``production`` refuses to start while any setting would leave a door open; the checks
here are pure functions over a mapping of variables, so the launcher (``scripts/run.py``), the
tests and any other entry point give the operator the same list of problems.

Messages are for the operator (Bahasa Indonesia) and always name the variable to change.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

from lalisa_common.env import SettingsError, env_bool, env_value

__all__ = [
    "BIND_VARIABLES",
    "LOOPBACK",
    "PROFILE_VARIABLE",
    "REST_TOKEN_VARIABLE",
    "SANDBOX_CREDENTIALS",
    "SANDBOX_VARIABLE",
    "WHATSAPP_VARIABLES",
    "Problem",
    "Profile",
    "ProfileError",
    "flag",
    "is_loopback",
    "listener_problems",
    "production_problems",
    "profile_of",
    "sandbox_wanted",
    "startup_problems",
    "whatsapp_problems",
]

PROFILE_VARIABLE = "LALISA_ENV"
SANDBOX_VARIABLE = "LALISA_SANDBOX"
REST_TOKEN_VARIABLE = "LALISA_REST_TOKEN"
MIN_SECRET_LENGTH = 24

WHATSAPP_VARIABLES = (
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
)
"""The credentials that are real or sandbox together, never a mix."""

SANDBOX_CREDENTIALS = {
    "WHATSAPP_VERIFY_TOKEN": "sandbox-verify-token",
    "WHATSAPP_APP_SECRET": "sandbox-app-secret",
    "WHATSAPP_ACCESS_TOKEN": "sandbox-access-token",
    "WHATSAPP_PHONE_NUMBER_ID": "100000000000001",
}
"""The sandbox's public constants (``sandbox/config.py``): whoever knows them can forge webhooks."""

BIND_VARIABLES = {
    "RASA_HOST": "server Rasa",
    "ACTION_HOST": "server aksi (action server)",
    "SANDBOX_HOST": "sandbox WhatsApp",
    "LALISA_RECEIVER_HOST": "penerima webhook",
}
"""Interfaces of the internal listeners; only the reverse proxy may be reachable from outside."""

SECRET_VARIABLES = ("RASA_API_TOKEN", "LALISA_ACTION_SECRET", REST_TOKEN_VARIABLE)
"""Secrets that may be generated per run; when the operator sets one it must be long."""

LOOPBACK = "127.0.0.1"
"""Where every internal listener binds unless configured otherwise."""


class Profile(str, Enum):
    """The two deployment profiles."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class ProfileError(ValueError):
    """A profile variable holds a value that is neither of the accepted ones."""

    def __init__(self, variable: str, message: str) -> None:
        """Keeps the variable's name next to the message."""
        super().__init__(message)
        self.variable = variable


@dataclass(frozen=True)
class Problem:
    """One unsafe or inconsistent setting.

    Attributes:
        variable: The variable (or file) to change.
        message: What is wrong and what to do, in Bahasa Indonesia.
    """

    variable: str
    message: str

    def __str__(self) -> str:
        """``VARIABLE: message``, one line of the refusal list."""
        return f"{self.variable}: {self.message}"


_value = env_value


def profile_of(env: Mapping[str, str | None]) -> Profile:
    """The profile named by ``LALISA_ENV`` (empty means development).

    Raises:
        ProfileError: Any other value, so a typo never silently means development.
    """
    raw = _value(env, PROFILE_VARIABLE).lower()
    if not raw:
        return Profile.DEVELOPMENT
    try:
        return Profile(raw)
    except ValueError:
        raise ProfileError(
            PROFILE_VARIABLE, f"harus 'development' atau 'production', bukan {raw!r}"
        ) from None


def flag(env: Mapping[str, str | None], name: str) -> bool | None:
    """A 1/0 switch: ``True``/``False`` when set, ``None`` when unset or empty.

    Raises:
        ProfileError: A value that is not a recognised switch.
    """
    raw = _value(env, name).lower()
    if not raw:
        return None
    try:
        return env_bool(env, name, False)
    except SettingsError:
        raise ProfileError(name, f"harus 1 atau 0, bukan {raw!r}") from None


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (``127.0.0.0/8``, ``::1``, localhost)."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve to anything; only an address is provably private


def whatsapp_problems(env: Mapping[str, str | None]) -> list[Problem]:
    """The WhatsApp credentials must be all set or all absent; a partial set is never patched.

    Args:
        env: The variables.

    Returns:
        One problem naming the missing variables when some but not all are set.
    """
    present = [name for name in WHATSAPP_VARIABLES if _value(env, name)]
    missing = [name for name in WHATSAPP_VARIABLES if not _value(env, name)]
    if present and missing:
        return [
            Problem(
                ", ".join(missing),
                "kredensial WhatsApp hanya sebagian terisi ("
                + ", ".join(present)
                + " ada); lengkapi variabel yang kosong atau kosongkan semuanya. "
                "Sandbox tidak pernah menggantikan kredensial asli.",
            )
        ]
    return []


def sandbox_wanted(env: Mapping[str, str | None]) -> bool:
    """Whether ``make run`` starts the WhatsApp sandbox instead of talking to Meta.

    Only when asked (``LALISA_SANDBOX=1``) or, in development, when no WhatsApp credential is set
    at all. Call :func:`startup_problems` first: a partial set, or the sandbox requested next to
    real credentials, is refused there rather than decided here.
    """
    requested = flag(env, SANDBOX_VARIABLE)
    if requested is not None:
        return requested
    none_set = not any(_value(env, name) for name in WHATSAPP_VARIABLES)
    return none_set and profile_of(env) is Profile.DEVELOPMENT


def _sandbox_conflicts(env: Mapping[str, str | None]) -> list[Problem]:
    requested = flag(env, SANDBOX_VARIABLE)
    real = [
        name
        for name in WHATSAPP_VARIABLES
        if _value(env, name) and _value(env, name) != SANDBOX_CREDENTIALS[name]
    ]
    if requested and real:
        return [
            Problem(
                SANDBOX_VARIABLE,
                "sandbox diminta padahal kredensial WhatsApp asli terisi ("
                + ", ".join(real)
                + "); sandbox tidak akan menimpanya. Hapus LALISA_SANDBOX=1 atau kosongkan "
                "kredensial tersebut.",
            )
        ]
    if requested is False and not any(_value(env, name) for name in WHATSAPP_VARIABLES):
        return [
            Problem(
                ", ".join(WHATSAPP_VARIABLES),
                "LALISA_SANDBOX=0 tetapi kredensial WhatsApp kosong; isi kredensial asli atau "
                "jalankan sandbox.",
            )
        ]
    return []


def startup_problems(env: Mapping[str, str | None], channels: Iterable[str] = ()) -> list[Problem]:
    """Every reason not to start, for the profile named in ``env``.

    Both profiles refuse inconsistent WhatsApp settings; production adds
    :func:`production_problems`.

    Args:
        env: The variables (process environment over ``.env``).
        channels: The top-level keys of the credentials file Rasa will load.

    Returns:
        The problems, empty when the configuration may start.
    """
    try:
        profile = profile_of(env)
        problems = whatsapp_problems(env)
        if profile is Profile.PRODUCTION:
            return problems + production_problems(env, channels)
        return problems + _sandbox_conflicts(env)
    except ProfileError as exc:
        return [Problem(exc.variable, str(exc))]


def production_problems(
    env: Mapping[str, str | None], channels: Iterable[str] = ()
) -> list[Problem]:
    """Every setting that would leave a door open in production.

    Args:
        env: The variables (process environment over ``.env``).
        channels: The top-level keys of the credentials file Rasa will load (to catch Rasa's
            stock ``rest`` channel, which trusts whatever ``sender`` a client names).

    Returns:
        The problems, in a stable order; empty when production may start.
    """
    problems: list[Problem] = []
    if not _value(env, "LALISA_IDENTITY_KEY"):
        problems.append(
            Problem(
                "LALISA_IDENTITY_KEY",
                "kunci identitas pelapor wajib diisi di production (kunci Fernet, simpan "
                "cadangannya); kunci pengembangan yang dibuat otomatis tidak dipakai.",
            )
        )
    problems += _whatsapp_production_problems(env)
    try:
        insecure = flag(env, "BACKOFFICE_INSECURE_COOKIES")
    except ProfileError as exc:
        problems.append(Problem(exc.variable, str(exc)))
    else:
        if insecure:
            problems.append(
                Problem(
                    "BACKOFFICE_INSECURE_COOKIES",
                    "cookie sesi tanpa tanda Secure hanya untuk pengembangan; kosongkan variabel "
                    "ini dan pasang back office di belakang proxy HTTPS.",
                )
            )
    for name in BIND_VARIABLES:
        host = _value(env, name)
        if host and not is_loopback(host):
            problems.append(_bind_problem(name, host))
    if "rest" in channels:
        problems.append(
            Problem(
                "credentials.yml",
                "kanal REST bawaan Rasa ('rest:') mempercayai nomor pengirim dari klien; pakai "
                "lalisa_rasa.channels.rest.TokenRestInput dengan LALISA_REST_TOKEN.",
            )
        )
    try:
        sandbox = flag(env, SANDBOX_VARIABLE)
    except ProfileError as exc:
        problems.append(Problem(exc.variable, str(exc)))
    else:
        if sandbox:
            problems.append(
                Problem(
                    SANDBOX_VARIABLE,
                    "sandbox WhatsApp tidak boleh berjalan di production; hapus LALISA_SANDBOX.",
                )
            )
    for name in SECRET_VARIABLES:
        secret = _value(env, name)
        if secret and len(secret) < MIN_SECRET_LENGTH:
            problems.append(
                Problem(
                    name,
                    f"rahasia terlalu pendek ({len(secret)} karakter); pakai minimal "
                    f"{MIN_SECRET_LENGTH} karakter acak, mis. hasil "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`.",
                )
            )
    return problems


def _bind_problem(variable: str, host: str) -> Problem:
    what = BIND_VARIABLES.get(variable, "server")
    return Problem(
        variable,
        f"{what} mendengarkan di {host!r}, alamat yang bisa dijangkau dari luar; "
        "gunakan 127.0.0.1 dan buka hanya webhook lewat reverse proxy.",
    )


def _whatsapp_production_problems(env: Mapping[str, str | None]) -> list[Problem]:
    problems: list[Problem] = []
    missing = [name for name in WHATSAPP_VARIABLES if not _value(env, name)]
    if missing:
        problems.append(
            Problem(
                ", ".join(missing),
                "kredensial WhatsApp Cloud API wajib diisi di production.",
            )
        )
    sandboxed = [
        name for name in WHATSAPP_VARIABLES if _value(env, name) == SANDBOX_CREDENTIALS[name]
    ]
    if sandboxed:
        problems.append(
            Problem(
                ", ".join(sandboxed),
                "berisi nilai sandbox yang diketahui umum; siapa pun bisa memalsukan webhook. "
                "Isi dengan kredensial dari dasbor Meta.",
            )
        )
    base_url = _value(env, "WHATSAPP_API_BASE_URL")
    if base_url and urlsplit(base_url).scheme != "https":
        problems.append(
            Problem(
                "WHATSAPP_API_BASE_URL",
                f"alamat Graph API {base_url!r} bukan https (sandbox?); kosongkan untuk "
                "https://graph.facebook.com.",
            )
        )
    return problems


def listener_problems(
    env: Mapping[str, str | None], variable: str, host: str, secret_variable: str | None = None
) -> list[Problem]:
    """What a single process checks before it listens, whoever started it (systemd, a shell).

    ``make run`` checks the whole configuration; a process started on its own checks its own
    door: in production its interface must be loopback and its shared secret long enough.

    Args:
        env: The variables.
        variable: The setting that names the interface (for the message).
        host: The interface the process is about to bind.
        secret_variable: The secret the process requires, if any.

    Returns:
        The problems; always empty in development.
    """
    try:
        if profile_of(env) is not Profile.PRODUCTION:
            return []
    except ProfileError as exc:
        return [Problem(exc.variable, str(exc))]
    problems = [] if is_loopback(host) else [_bind_problem(variable, host)]
    if secret_variable:
        secret = _value(env, secret_variable)
        if len(secret) < MIN_SECRET_LENGTH:
            problems.append(
                Problem(
                    secret_variable,
                    f"wajib diisi di production, minimal {MIN_SECRET_LENGTH} karakter acak.",
                )
            )
    return problems
