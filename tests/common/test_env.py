"""The .env reader shared by both environments: format, LALISA_ENV_FILE, precedence, types."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from lalisa_common.env import (
    REPO_ROOT,
    SettingsError,
    default_env_file,
    env_bool,
    env_duration,
    env_float,
    env_int,
    env_list,
    env_port,
    env_value,
    media_dir,
    parse_env_text,
    read_env,
    read_env_file,
    var_dir,
)

SAMPLE = "\n".join(
    [
        "# a comment",
        "",
        "PLAIN=value",
        "export EXPORTED = spaced ",
        "EMPTY=",
        "BARE",
        "BARE_WITH_COMMENT # why",
        "WITH_COMMENT=bar baz # trailing",
        "HASH_INSIDE=bar#baz",
        "ONLY_COMMENT= # nothing",
        "HASH_FIRST=#kept",
        "SINGLE='lit ${PLAIN} \\' x'",
        'DOUBLE="line\\nnext \\" ${PLAIN}"',
        'MULTI="first',
        'second"',
        "EXPANDED=${PLAIN}-${FROM_PROCESS}",
        "DEFAULTED=${MISSING:-fallback}",
        "EQUALS=a=b",
        "not an assignment",
        "  INDENTED=yes",
        'QUOTED_TAIL="x" # tail',
        "NOT_BRACED=$PLAIN",
    ]
)
EXPECTED = {
    "PLAIN": "value",
    "EXPORTED": "spaced",
    "EMPTY": "",
    "BARE": None,
    "BARE_WITH_COMMENT": None,
    "WITH_COMMENT": "bar baz",
    "HASH_INSIDE": "bar#baz",
    "ONLY_COMMENT": "",
    "HASH_FIRST": "#kept",
    "SINGLE": "lit value ' x",
    "DOUBLE": 'line\nnext " value',
    "MULTI": "first\nsecond",
    "EXPANDED": "value-process",
    "DEFAULTED": "fallback",
    "EQUALS": "a=b",
    "INDENTED": "yes",
    "QUOTED_TAIL": "x",
    "NOT_BRACED": "$PLAIN",
}


def test_file_format() -> None:
    assert parse_env_text(SAMPLE, {"FROM_PROCESS": "process"}) == EXPECTED


def test_same_values_as_python_dotenv() -> None:
    dotenv = pytest.importorskip("dotenv", reason="python-dotenv is only in the app environment")
    environ = {"FROM_PROCESS": "process"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FROM_PROCESS", "process")
        reference = dict(dotenv.dotenv_values(stream=io.StringIO(SAMPLE)))
    assert parse_env_text(SAMPLE, environ) == reference
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    assert parse_env_text(example, {}) == dict(dotenv.dotenv_values(stream=io.StringIO(example)))


def test_a_file_value_is_expanded_before_the_process_environment() -> None:
    assert parse_env_text("A=file\nB=${A}", {"A": "process"}) == {"A": "file", "B": "file"}


def test_missing_file_gives_nothing(tmp_path: Path) -> None:
    assert read_env_file(tmp_path / "absent.env") == {}
    assert read_env_file(None) == {}


def test_lalisa_env_file_is_honoured_and_the_process_wins(tmp_path: Path) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("FROM_FILE=file\nBOTH=file\n", encoding="utf-8")
    environ = {"LALISA_ENV_FILE": str(env_file), "BOTH": "process"}
    values = read_env(environ)
    assert values["FROM_FILE"] == "file"
    assert values["BOTH"] == "process"


def test_empty_lalisa_env_file_reads_no_file() -> None:
    assert default_env_file({"LALISA_ENV_FILE": ""}) is None
    assert read_env({"LALISA_ENV_FILE": "", "ONLY": "process"}) == {
        "LALISA_ENV_FILE": "",
        "ONLY": "process",
    }


def test_default_env_file_is_the_repository_one() -> None:
    assert default_env_file({}) == REPO_ROOT / ".env"
    assert default_env_file({"LALISA_ENV_FILE": "conf/x.env"}) == REPO_ROOT / "conf" / "x.env"


def test_env_value_treats_empty_as_unset() -> None:
    env = {"SET": " value ", "EMPTY": "", "BLANK": "  ", "NONE": None}
    assert env_value(env, "SET") == "value"
    for name in ("EMPTY", "BLANK", "NONE", "ABSENT"):
        assert env_value(env, name, "default") == "default"


def test_runtime_folders_are_resolved_against_the_repository(tmp_path: Path) -> None:
    assert var_dir({}) == REPO_ROOT / "var"
    assert var_dir({"LALISA_VAR_DIR": "data"}) == REPO_ROOT / "data"
    assert var_dir({"LALISA_VAR_DIR": str(tmp_path)}) == tmp_path
    assert media_dir({"LALISA_VAR_DIR": str(tmp_path)}) == tmp_path / "media"
    assert media_dir({"LALISA_MEDIA_DIR": "m"}) == REPO_ROOT / "m"


def test_whole_numbers() -> None:
    env = {"N": " 7 ", "EMPTY": "", "NEGATIVE": "-2"}
    assert env_int(env, "N", 3) == 7
    assert env_int(env, "EMPTY", 3) == 3
    assert env_int(env, "UNSET", 3) == 3
    assert env_int(env, "NEGATIVE", 3) == -2
    with pytest.raises(SettingsError, match=r"^NEGATIVE must be at least 1, got -2$"):
        env_int(env, "NEGATIVE", 3, minimum=1)
    with pytest.raises(SettingsError, match=r"^N must be at most 5, got 7$"):
        env_int(env, "N", 3, maximum=5)
    for bad in ("2.5", "tiga", "1e3"):
        with pytest.raises(SettingsError, match=rf"^N must be a whole number, got '{bad}'$"):
            env_int({"N": bad}, "N", 3)


def test_numbers() -> None:
    assert env_float({"X": "0.5"}, "X", 5.0, positive=True) == 0.5
    assert env_float({"X": "-1"}, "X", 5.0) == -1.0
    assert env_float({}, "X", 5.0) == 5.0
    for bad, problem in (
        ("0", "greater than 0"),
        ("-1", "greater than 0"),
        ("nan", "a finite number"),
        ("inf", "a finite number"),
        ("soon", "a number"),
    ):
        with pytest.raises(SettingsError, match=f"^X must be {problem}"):
            env_float({"X": bad}, "X", 5.0, positive=True)
    with pytest.raises(SettingsError, match="at least 2"):
        env_float({"X": "1"}, "X", 5.0, minimum=2)


def test_flags() -> None:
    for raw in ("1", "true", "YES", "on"):
        assert env_bool({"F": raw}, "F", False) is True
    for raw in ("0", "False", "no", "off"):
        assert env_bool({"F": raw}, "F", True) is False
    assert env_bool({"F": ""}, "F", True) is True
    assert env_bool({}, "F", False) is False
    with pytest.raises(SettingsError, match=r"^F must be 1 or 0"):
        env_bool({"F": "mungkin"}, "F", False)


def test_lists_ports_and_durations() -> None:
    assert env_list({"L": " a, b;;c ,"}, "L") == ("a", "b", "c")
    assert env_list({}, "L") == ()
    assert env_port({"P": "8080"}, "P", 80) == 8080
    for bad in ("0", "65536", "http"):
        with pytest.raises(SettingsError, match=r"^P must be"):
            env_port({"P": bad}, "P", 80)
    hour = timedelta(hours=1)
    assert env_duration({"D_HOURS": "8"}, "D_HOURS", hour, unit=hour) == 8 * hour
    assert env_duration({}, "D_HOURS", hour, unit=hour) == hour
    assert env_duration({"D_MINUTES": "0"}, "D_MINUTES", hour, minimum=0) == timedelta(0)
    with pytest.raises(SettingsError, match=r"^D_MINUTES must be at least 1, got 0$"):
        env_duration({"D_MINUTES": "0"}, "D_MINUTES", hour)
