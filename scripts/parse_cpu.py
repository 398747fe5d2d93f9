"""CPU time of the NLU parse alone, per message, for one or more trained models.

Run with the Rasa environment: ``.venv-rasa/bin/python scripts/parse_cpu.py MODEL [MODEL ...]``.
Each model is loaded into this process (``Agent.load``) and parses the same typed texts (a
seeded sample of the training texts of data/nlu), the models taking turns text by text so
that all see the same machine load. For a model whose DIET is ``FastDIETClassifier`` a
second variant parses with its numpy inference switched off (Rasa's TensorFlow path on the
same weights). CPU time is ``time.process_time`` of this process (TensorFlow's threads
included), so other processes' load does not count; wall time does not enter.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lalisa_common.threads import serving_thread_env  # noqa: E402

# The serving processes' thread pools (one thread each), before TensorFlow and numpy load.
os.environ.update(serving_thread_env(os.environ))

from rasa.core.agent import Agent  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402
from rasa.utils.tensorflow.environment import setup_tf_environment  # noqa: E402

from lalisa_rasa.nlu.fast_diet import FastDIETClassifier  # noqa: E402


def sample_texts(count: int, seed: int) -> list[str]:
    """``count`` typed texts from data/nlu (corpus and hand-written examples alike)."""
    data = load_data(str(ROOT / "data" / "nlu"))
    texts = sorted({m.get("text") for m in data.training_examples if m.get("text")})
    return random.Random(seed).sample(texts, min(count, len(texts)))


def fast_diet_of(agent: Agent) -> FastDIETClassifier | None:
    """The agent's FastDIETClassifier, if its pipeline has one."""
    for node in agent.processor.graph_runner._instantiated_nodes.values():
        if isinstance(node._component, FastDIETClassifier):
            return node._component
    return None


def numpy_arrays(value: Any) -> list[Any]:
    """The numpy arrays inside a NumpyDIET (its dataclasses and lists, recursively)."""
    if hasattr(value, "nbytes"):
        return [value]
    if isinstance(value, list):
        return [a for item in value for a in numpy_arrays(item)]
    if hasattr(value, "__dataclass_fields__"):
        fields = [getattr(value, name) for name in value.__dataclass_fields__]
        return [a for item in fields for a in numpy_arrays(item)]
    return []


class Variant:
    """One way of parsing: a model, with or without numpy DIET."""

    def __init__(self, name: str, agent: Agent, numpy_model: Any) -> None:
        """``numpy_model`` None parses with TensorFlow."""
        self.name = name
        self.agent = agent
        self.numpy_model = numpy_model
        self.cpu: list[float] = []

    async def parse(self, text: str) -> None:
        """Parses ``text`` and records the CPU time it took."""
        diet = fast_diet_of(self.agent)
        if diet is not None:
            diet._numpy_model = self.numpy_model
        start = time.process_time()
        await self.agent.parse_message(text)
        self.cpu.append(time.process_time() - start)


async def main() -> None:
    """Loads the models, parses the texts in turns, prints CPU ms per parse."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the texts")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    # INFO, as `rasa run` logs by default: debug lines per parse would be measured too.
    logging.basicConfig(level=logging.INFO, force=True)
    configure_structlog(logging.INFO)
    setup_tf_environment()
    texts = sample_texts(args.texts, args.seed)
    variants: list[Variant] = []
    for model in args.models:
        agent = Agent.load(str(model))
        diet = fast_diet_of(agent)
        if diet is None:
            variants.append(Variant(f"{model.name} (DIETClassifier)", agent, None))
        else:
            variants.append(Variant(f"{model.name} (FastDIET, numpy)", agent, diet._numpy_model))
            variants.append(Variant(f"{model.name} (FastDIET, TF path)", agent, None))
    for text in texts[:20]:  # warm-up: first calls trace and allocate
        for variant in variants:
            await variant.parse(text)
    for variant in variants:
        variant.cpu.clear()
    for _ in range(args.rounds):
        for text in texts:
            for variant in variants:
                await variant.parse(text)
    print(f"{len(texts)} texts x {args.rounds} rounds, load average {os.getloadavg()[0]:.1f}")
    for variant in variants:
        ms = [1000 * c for c in variant.cpu]
        print(
            f"{variant.name}: CPU ms per parse mean {statistics.mean(ms):.3f}, "
            f"median {statistics.median(ms):.3f}"
        )
    for variant in variants:
        if variant.numpy_model is not None:
            size = sum(a.nbytes for a in numpy_arrays(variant.numpy_model))
            print(f"{variant.name}: numpy copy of the weights {size / 2**20:.1f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS of this process {rss:.0f} MB (all models together)")


if __name__ == "__main__":
    asyncio.run(main())
