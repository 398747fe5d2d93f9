"""Thread-pool sizes for the processes that serve the model (Rasa server and Rasa workers).

TensorFlow sizes its intra-op and inter-op pools, and OpenMP/OpenBLAS theirs, to the number of
cores. A served turn runs one small DIET forward pass at a time, far too small to split across
threads, and ``make run`` puts several such processes (a Rasa server and ``LALISA_RASA_WORKERS``
workers) on the same few cores: the pools then only hand work between threads and spin waiting
for it. The launchers (``scripts/run.py``, ``scripts/stack.py``) give each Rasa process one
thread per pool unless the operator set a value (docs/benchmarks.md has the measurement).
Training (``make train``) keeps the defaults: it runs alone and uses every core.

Rasa applies ``TF_*_PARALLELISM_THREADS`` in its own command line (``rasa run``); the worker
applies them itself (:func:`lalisa_rasa.worker.main`). ``OMP_NUM_THREADS`` and
``OPENBLAS_NUM_THREADS`` are read when the libraries load, so only the environment a process
starts with can set them.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SERVING_THREAD_DEFAULTS", "serving_thread_env"]

SERVING_THREAD_DEFAULTS: dict[str, str] = {
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


def serving_thread_env(env: Mapping[str, str | None]) -> dict[str, str]:
    """The thread variables to add to ``env`` for a Rasa process: those the operator left unset.

    A variable set to a non-empty value in ``env`` (the process environment, ``.env`` merged
    into it) is the operator's and is kept; an unset or empty one gets ``1``.
    """
    return {
        name: value
        for name, value in SERVING_THREAD_DEFAULTS.items()
        if not (env.get(name) or "").strip()
    }
