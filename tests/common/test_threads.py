"""A Rasa process gets one TensorFlow/OpenMP thread per pool unless the operator chose."""

from __future__ import annotations

from lalisa_common.threads import SERVING_THREAD_DEFAULTS, serving_thread_env

NAMES = {
    "TF_INTRA_OP_PARALLELISM_THREADS",
    "TF_INTER_OP_PARALLELISM_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
}


def test_every_pool_gets_one_thread_by_default() -> None:
    assert set(SERVING_THREAD_DEFAULTS) == NAMES
    assert serving_thread_env({}) == dict.fromkeys(NAMES, "1")


def test_the_operator_value_is_kept_and_an_empty_one_is_unset() -> None:
    env = {"TF_INTRA_OP_PARALLELISM_THREADS": "2", "OMP_NUM_THREADS": " ", "PATH": "/bin"}
    added = serving_thread_env(env)
    assert "TF_INTRA_OP_PARALLELISM_THREADS" not in added
    assert added == {name: "1" for name in NAMES - {"TF_INTRA_OP_PARALLELISM_THREADS"}}
