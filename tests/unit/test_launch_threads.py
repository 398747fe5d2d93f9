"""The launchers start every Rasa process with one TensorFlow/OpenMP thread per pool.

``make run`` (scripts/run.py), the private stacks of the tests and ``make bench``
(scripts/stack.py) and the systemd unit of a worker: the Rasa server and the workers get the
limits of :mod:`lalisa_common.threads` unless the operator set them; no other process does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lalisa_common.threads import SERVING_THREAD_DEFAULTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_API_TOKEN", "test-token")
    monkeypatch.setenv("LALISA_RASA_WORKERS", "2")
    for name in SERVING_THREAD_DEFAULTS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("run_env")
def test_make_run_limits_the_threads_of_the_rasa_processes_only() -> None:
    from scripts import run

    services = {service.name: service for service in run.services()}
    rasa = {"rasa", "rasa-worker-1", "rasa-worker-2"}
    assert rasa <= set(services)
    for name, service in services.items():
        env = service.process_env()
        if name in rasa:
            assert env is not None
            for variable, value in SERVING_THREAD_DEFAULTS.items():
                assert env[variable] == value, (name, variable)
            assert env["RASA_API_TOKEN"] == "test-token"  # added to the environment, not instead
        else:
            assert env is None or not set(SERVING_THREAD_DEFAULTS) & set(env), name


@pytest.mark.usefixtures("run_env")
def test_make_run_keeps_the_operator_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from scripts import run

    monkeypatch.setenv("TF_INTRA_OP_PARALLELISM_THREADS", "2")
    worker = next(s for s in run.services() if s.name == "rasa-worker-1")
    env = worker.process_env()
    assert env is not None
    assert env["TF_INTRA_OP_PARALLELISM_THREADS"] == "2"
    assert env["TF_INTER_OP_PARALLELISM_THREADS"] == "1"


def test_the_private_stack_limits_the_threads_of_the_rasa_processes_only() -> None:
    from scripts.stack import process_env

    env = {"PATH": "/bin", "OMP_NUM_THREADS": "4"}
    for name in ("rasa", "rasa-worker-1", "rasa-worker-12"):
        built = process_env(name, env)
        assert built["PATH"] == "/bin"
        assert built["OMP_NUM_THREADS"] == "4"  # the operator's (here: the bench's) value
        assert built["TF_INTRA_OP_PARALLELISM_THREADS"] == "1"
        assert built["TF_INTER_OP_PARALLELISM_THREADS"] == "1"
        assert built["OPENBLAS_NUM_THREADS"] == "1"
    for name in ("actions", "receiver", "sandbox", "backoffice", "worker"):
        assert process_env(name, env) == env


def test_the_worker_unit_sets_the_same_defaults() -> None:
    unit = (ROOT / "deploy" / "systemd" / "lalisa-rasa@.service").read_text(encoding="utf-8")
    lines = {line.strip() for line in unit.splitlines()}
    assert "EnvironmentFile=/etc/lalisa/lalisa.env" in lines
    for variable, value in SERVING_THREAD_DEFAULTS.items():
        # EnvironmentFile= wins over Environment=: /etc/lalisa/lalisa.env can change them.
        assert f"Environment={variable}={value}" in lines, variable
