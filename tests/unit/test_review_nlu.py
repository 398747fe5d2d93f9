"""NLU YAML export of annotations (markup, dedupe, conflicts) and test-story export."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lalisa.review_nlu import (
    ActionStep,
    EntitySpan,
    Example,
    LoopStep,
    SlotStep,
    UserStep,
    build_nlu_export,
    build_test_story,
    build_training_stories,
    existing_examples,
    mark_up,
    normalise_example,
    strip_markup,
)

PROJECT_NLU = Path(__file__).resolve().parents[2] / "data" / "nlu"


def test_markup_plain_and_with_a_normalised_value() -> None:
    example = Example(
        text="ada pkl di paringin",
        intent="report_complaint",
        entities=(
            EntitySpan(4, 7, "category", "pedagang_kaki_lima"),
            EntitySpan(11, 19, "kecamatan", "paringin"),
        ),
    )
    assert mark_up(example) == (
        'ada [pkl]{"entity": "category", "value": "pedagang_kaki_lima"} di [paringin](kecamatan)'
    )
    assert strip_markup(mark_up(example)) == example.text


def test_overlapping_or_outside_spans_are_refused() -> None:
    with pytest.raises(ValueError):
        mark_up(Example("abc", "greet", (EntitySpan(0, 2, "a", "ab"), EntitySpan(1, 3, "b", "bc"))))
    with pytest.raises(ValueError):
        mark_up(Example("abc", "greet", (EntitySpan(2, 9, "a", "c"),)))


def test_normalised_comparison() -> None:
    assert normalise_example("  Halo   [Admin](x)!! ") == "halo admin"
    assert normalise_example("HALO admin") == normalise_example("halo admin.")


def test_existing_examples_reads_every_intent_block_of_the_project() -> None:
    keys = existing_examples(PROJECT_NLU)
    assert "halo admin" in keys
    assert "assalamualaikum" in keys
    assert len(keys) > 200


def test_export_dedupes_against_data_and_itself_and_reports_conflicts() -> None:
    existing = existing_examples(PROJECT_NLU)
    examples = [
        Example("Halo Admin!", "greet", source="a1"),  # already in data/nlu
        Example("aduan ku kemarin gimana kabarnya ya min", "check_status", source="a2"),
        Example(
            "Aduan ku  kemarin GIMANA kabarnya ya min", "check_status", source="a3"
        ),  # duplicate of a2
        Example("ada orang gila di pasar", "report_complaint", source="a4"),
        Example("ada orang gila di pasar", "emergency", source="a5"),  # conflict with a4
        Example(
            "pkl di batumandi",
            "report_complaint",
            (EntitySpan(0, 3, "category", "pkl"),),
            source="a6",
        ),
        Example(
            "pkl di batumandi",
            "report_complaint",
            (EntitySpan(0, 3, "category", "pkl"), EntitySpan(7, 16, "kecamatan", "batumandi")),
            source="a7",
        ),  # same intent, other entities: conflict too
    ]
    export = build_nlu_export(examples, existing, header=("Simpan sebagai data/nlu/reviewed.yml",))
    assert [e.source for e in export.included] == ["a2"]
    assert [e.source for e in export.already_in_data] == ["a1"]
    assert [e.source for e in export.duplicates] == ["a3"]
    assert sorted(c.sources for c in export.conflicts) == [("a4", "a5"), ("a6", "a7")]
    assert export.yaml_text.startswith("# Simpan sebagai data/nlu/reviewed.yml\n")
    document = yaml.safe_load(export.yaml_text)
    assert document == {
        "version": "3.1",
        "nlu": [
            {"intent": "check_status", "examples": "- aduan ku kemarin gimana kabarnya ya min\n"}
        ],
    }


def test_export_groups_by_intent_with_markup() -> None:
    export = build_nlu_export(
        [
            Example(
                "razia miras di awayan",
                "report_complaint",
                (EntitySpan(15, 21, "kecamatan", "awayan"),),
            ),
            Example("makasih banyak ya min", "thank"),
            Example("ada tawuran di\npasar", "report_complaint"),
        ],
        set(),
    )
    document = yaml.safe_load(export.yaml_text)
    assert [block["intent"] for block in document["nlu"]] == ["report_complaint", "thank"]
    assert document["nlu"][0]["examples"].splitlines() == [
        "- razia miras di [awayan](kecamatan)",
        "- ada tawuran di pasar",
    ]


def test_empty_export_is_still_valid_yaml() -> None:
    document = yaml.safe_load(build_nlu_export([], set()).yaml_text)
    assert document == {"version": "3.1", "nlu": []}


def test_test_story() -> None:
    text = build_test_story(
        "tinjau 7 Warga-ABC123",
        [
            UserStep(
                Example(
                    "mau lapor pkl", "report_complaint", (EntitySpan(10, 13, "category", "pkl"),)
                )
            ),
            ActionStep("complaint_form"),
            LoopStep("complaint_form"),
            SlotStep("requested_slot", "description"),
            UserStep(Example("halo", "greet")),
            LoopStep(None),
            ActionStep("utter_greet"),
        ],
    )
    document = yaml.safe_load(text)
    assert document["version"] == "3.1"
    (story,) = document["stories"]
    assert story["story"] == "tinjau 7 Warga-ABC123"
    assert story["steps"] == [
        {"user": "mau lapor [pkl](category)", "intent": "report_complaint"},
        {"action": "complaint_form"},
        {"active_loop": "complaint_form"},
        {"slot_was_set": [{"requested_slot": "description"}]},
        {"user": "halo", "intent": "greet"},
        {"active_loop": None},
        {"action": "utter_greet"},
    ]


def test_training_stories_keep_intents_actions_loops_and_dialogue_slots_only() -> None:
    steps = [
        UserStep(Example("ada pkl di pasar, saya Budi", "report_complaint")),
        ActionStep("action_check_complaint_signal"),
        SlotStep("complaint_signal", "strong"),
        ActionStep("complaint_form"),
        LoopStep("complaint_form"),
        SlotStep("category", "pkl"),
        SlotStep("reporter_name", "Budi"),
        UserStep(Example("ya", "affirm")),
        ActionStep("complaint_form"),
        SlotStep("complaint_outcome", "submit"),
        LoopStep(None),
        ActionStep("action_submit_complaint"),
    ]
    export = build_training_stories(
        [("tinjau 1 Warga-A", steps)],
        ["complaint_signal", "complaint_outcome"],
        header=("Training story",),
    )
    assert export.yaml_text.startswith("# Training story\n")
    assert "Budi" not in export.yaml_text and "pasar" not in export.yaml_text
    document = yaml.safe_load(export.yaml_text)
    assert document["version"] == "3.1"
    assert document["stories"] == [
        {
            "story": "tinjau 1 Warga-A",
            "steps": [
                {"intent": "report_complaint"},
                {"action": "action_check_complaint_signal"},
                {"slot_was_set": [{"complaint_signal": "strong"}]},
                {"action": "complaint_form"},
                {"active_loop": "complaint_form"},
                {"intent": "affirm"},
                {"action": "complaint_form"},
                {"slot_was_set": [{"complaint_outcome": "submit"}]},
                {"active_loop": None},
                {"action": "action_submit_complaint"},
            ],
        }
    ]
    assert export.included == ["tinjau 1 Warga-A"] and export.skipped == []


def test_training_story_drops_reverted_fallbacks_and_unanswered_ends() -> None:
    steps = [
        UserStep(Example("asdfgh", "greet")),
        ActionStep("action_default_fallback"),
        UserStep(Example("halo", "greet")),
        ActionStep("action_greet"),
        UserStep(Example("tolong", "request_human")),
    ]
    export = build_training_stories([("a", steps)], [])
    assert yaml.safe_load(export.yaml_text)["stories"][0]["steps"] == [
        {"intent": "greet"},
        {"action": "action_greet"},
    ]


def test_training_story_skips_uncorrected_fallbacks_and_empty_conversations() -> None:
    fallback = [UserStep(Example("??", "nlu_fallback")), ActionStep("utter_default")]
    empty = [UserStep(Example("halo", "greet"))]
    export = build_training_stories([("a", fallback), ("b", empty)], [])
    assert export.skipped == ["a", "b"]
    assert yaml.safe_load(export.yaml_text) == {"version": "3.1", "stories": []}
