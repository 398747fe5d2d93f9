"""The shared domain loader reads ``domain.yml`` and a ``domain/`` directory alike (both envs)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from lalisa_common.env import REPO_ROOT
from lalisa_common.rasa_domain import DomainError, domain_files, domain_path, load_domain

HAS_RASA = importlib.util.find_spec("rasa") is not None


def _write(path: Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8")


def _split_by_feature(domain: dict[str, Any], folder: Path) -> None:
    """Write the project's domain the way a split by feature would: the same things, 3 files."""
    responses = list(domain["responses"].items())
    half = len(responses) // 2
    _write(
        folder / "base.yml",
        {
            "version": domain["version"],
            "session_config": domain["session_config"],
            "intents": domain["intents"],
            "entities": domain["entities"],
        },
    )
    _write(
        folder / "complaint" / "form.yml",
        {
            "version": domain["version"],
            "slots": domain["slots"],
            "forms": domain["forms"],
            "actions": domain["actions"][:3],
            "responses": dict(responses[:half]),
        },
    )
    _write(
        folder / "zz_rest.yml",
        {
            "version": domain["version"],
            "intents": domain["intents"][:2],  # repeated, identical: allowed
            "actions": domain["actions"][3:],
            "responses": dict(responses[half:]),
        },
    )


def test_the_project_domain_is_read_as_rasa_reads_it() -> None:
    path = domain_path()
    assert path.parent == REPO_ROOT
    if path.is_file():
        assert load_domain() == yaml.safe_load(path.read_text("utf-8"))
    document = load_domain()
    assert {"intents", "entities", "slots", "forms", "actions", "responses"} <= set(document)


def test_a_domain_directory_merges_to_the_same_domain(tmp_path: Path) -> None:
    domain = load_domain()
    _split_by_feature(domain, tmp_path / "domain")
    assert domain_path(tmp_path) == tmp_path / "domain"
    files = [
        p.relative_to(tmp_path / "domain").as_posix() for p in domain_files(tmp_path / "domain")
    ]
    assert files == ["base.yml", "complaint/form.yml", "zz_rest.yml"]
    merged = load_domain(tmp_path / "domain")
    assert merged == domain
    assert merged["actions"] == domain["actions"]


def test_conflicting_definitions_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "domain" / "a.yml", {"responses": {"utter_x": [{"text": "Halo"}]}})
    _write(tmp_path / "domain" / "b.yml", {"responses": {"utter_x": [{"text": "Hai"}]}})
    with pytest.raises(DomainError, match="utter_x"):
        load_domain(tmp_path / "domain")
    _write(tmp_path / "other" / "a.yml", {"intents": [{"greet": {"use_entities": []}}]})
    _write(tmp_path / "other" / "b.yml", {"intents": ["greet"]})
    with pytest.raises(DomainError, match="greet"):
        load_domain(tmp_path / "other")


def test_where_the_domain_is(tmp_path: Path) -> None:
    with pytest.raises(DomainError, match="no domain"):
        domain_path(tmp_path)
    (tmp_path / "domain.yml").write_text("version: '3.1'\n", "utf-8")
    assert domain_path(tmp_path) == tmp_path / "domain.yml"
    (tmp_path / "domain").mkdir()
    with pytest.raises(DomainError, match="keep one"):
        domain_path(tmp_path)


@pytest.mark.skipif(not HAS_RASA, reason="Rasa is only in the Rasa environment")
# Rasa 3.6 warns about the removed slot auto-fill whenever it loads a domain with slots.
@pytest.mark.filterwarnings("ignore:Slot auto-fill has been removed")
def test_rasa_merges_the_directory_the_same_way(tmp_path: Path) -> None:
    from rasa.shared.core.domain import Domain

    _split_by_feature(load_domain(), tmp_path / "domain")
    from_file = Domain.load(str(domain_path())).as_dict()
    from_directory = Domain.load(str(tmp_path / "domain")).as_dict()
    # Rasa lists actions in the order of the files it read; the order carries no meaning.
    for domain in (from_file, from_directory):
        domain["actions"] = sorted(domain["actions"], key=_action_name)
    assert from_directory == from_file


def _action_name(item: object) -> str:
    # An action is a bare name or a one-key mapping of its options (``send_domain``).
    return str(next(iter(item))) if isinstance(item, dict) else str(item)
