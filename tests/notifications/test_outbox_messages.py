"""Message texts: every outcome says what the citizen needs, in text and in the template."""

from __future__ import annotations

import pytest

from lalisa.core.settings import reset_settings_cache
from lalisa.notifications import messages, texts
from lalisa.notifications.messages import (
    NotificationContent,
    citizen_dispatched,
    citizen_done,
    citizen_duplicate,
    citizen_not_actionable,
    citizen_redirected,
    citizen_reopened,
    citizen_verified,
    content_for_transition,
    template_param,
    trc_dispatch,
)
from lalisa.tickets.models import TicketStatus

NUMBER = "LLS-2026-000123"

pytestmark = pytest.mark.usefixtures("wa_env")


def _everywhere(content: NotificationContent, *needles: str) -> None:
    """Each needle is in the free text and in the template parameters."""
    joined = " ".join(content.template_params)
    for needle in needles:
        assert needle in content.body, (needle, content.body)
        assert needle in joined, (needle, content.template_params)


def _template_ok(content: NotificationContent, count: int) -> None:
    assert len(content.template_params) == count
    for value in content.template_params:
        assert value and "\n" not in value and "\t" not in value and "     " not in value
    assert content.template_language == "id"


def test_verified_and_dispatched() -> None:
    verified = citizen_verified(NUMBER)
    _everywhere(verified, NUMBER)
    assert "diverifikasi" in verified.body.lower()
    assert verified.template_params[1] == texts.STATUS_VERIFIED
    dispatched = citizen_dispatched(NUMBER)
    _everywhere(dispatched, NUMBER)
    assert "Tim Reaksi Cepat" in dispatched.body
    for content in (verified, dispatched):
        _template_ok(content, 3)
        assert content.kind == "citizen_update"
        assert content.template_name == "lalisa_status_laporan"


def test_done_mentions_the_result_and_how_to_say_it_is_not_done() -> None:
    content = citizen_done(NUMBER, "PKL sudah ditertibkan dan trotoar\nbersih kembali.")
    _everywhere(content, NUMBER, "PKL sudah ditertibkan dan trotoar bersih kembali")
    assert "*belum selesai*" in content.body
    assert content.template_params[1] == "Selesai"
    _template_ok(content, 3)
    bare = citizen_done(NUMBER)
    assert "Hasil penanganan" not in bare.body
    _template_ok(bare, 3)


def test_not_actionable_gives_the_reason_and_who_to_contact() -> None:
    content = citizen_not_actionable(
        NUMBER,
        "Jalan rusak adalah kewenangan Dinas PUPR, bukan Satpol PP.",
        "Dinas PUPR Kabupaten Balangan",
    )
    _everywhere(
        content,
        NUMBER,
        "Jalan rusak adalah kewenangan Dinas PUPR, bukan Satpol PP",
        "Dinas PUPR Kabupaten Balangan",
    )
    assert "tidak dapat ditindaklanjuti" in content.body
    assert content.event == "closed_tidak_dapat_ditindaklanjuti"
    _template_ok(content, 3)
    without_contact = citizen_not_actionable(NUMBER, "lokasi tidak ditemukan")
    _everywhere(without_contact, NUMBER, "lokasi tidak ditemukan")
    assert "silakan menghubungi" not in without_contact.body
    with pytest.raises(ValueError, match="reason"):
        citizen_not_actionable(NUMBER, "  ")


def test_redirected_names_the_agency() -> None:
    content = citizen_redirected(
        NUMBER,
        "Dinas Lingkungan Hidup Kabupaten Balangan",
        reason="Sampah liar ditangani DLH.",
        contact="0526-0000000",
    )
    _everywhere(content, NUMBER, "Dinas Lingkungan Hidup Kabupaten Balangan", "0526-0000000", "DLH")
    assert content.template_params[1] == texts.STATUS_REDIRECTED
    _template_ok(content, 3)
    with pytest.raises(ValueError, match="agency"):
        citizen_redirected(NUMBER, "")


def test_duplicate_names_the_original_ticket() -> None:
    content = citizen_duplicate(NUMBER, "LLS-2026-000100")
    _everywhere(content, NUMBER, "LLS-2026-000100")
    _template_ok(content, 3)
    with pytest.raises(ValueError, match="original"):
        citizen_duplicate(NUMBER, "")


def test_reopened() -> None:
    content = citizen_reopened(NUMBER, "Warga melaporkan PKL kembali berjualan.")
    _everywhere(content, NUMBER, "Warga melaporkan PKL kembali berjualan")
    assert "dibuka kembali" in content.body
    _template_ok(content, 3)
    _everywhere(citizen_reopened(NUMBER), NUMBER)


@pytest.mark.parametrize(
    ("status", "kwargs", "needles"),
    [
        (TicketStatus.DIVERIFIKASI, {}, []),
        (TicketStatus.DIDISPOSISIKAN, {}, []),
        (TicketStatus.SELESAI, {"result": "Sudah ditertibkan"}, ["Sudah ditertibkan"]),
        (
            TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI,
            {"reason": "bukti tidak cukup", "contact": "Polsek Paringin"},
            ["bukti tidak cukup", "Polsek Paringin"],
        ),
        (TicketStatus.DIALIHKAN, {"agency": "Dinas Perhubungan"}, ["Dinas Perhubungan"]),
        (TicketStatus.DUPLIKAT, {"duplicate_of": "LLS-2026-000001"}, ["LLS-2026-000001"]),
        (TicketStatus.BARU, {"reopened": True, "reason": "belum beres"}, ["belum beres"]),
    ],
)
def test_every_transition_the_citizen_hears_about(
    status: TicketStatus, kwargs: dict[str, object], needles: list[str]
) -> None:
    content = content_for_transition(NUMBER, status, **kwargs)  # type: ignore[arg-type]
    assert content is not None
    _everywhere(content, NUMBER, *needles)
    _template_ok(content, 3)


def test_transitions_without_a_message_and_missing_values() -> None:
    assert content_for_transition(NUMBER, TicketStatus.DALAM_PENANGANAN) is None
    assert content_for_transition(NUMBER, TicketStatus.BARU) is None
    with pytest.raises(ValueError):
        content_for_transition(NUMBER, TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI)
    with pytest.raises(ValueError):
        content_for_transition(NUMBER, TicketStatus.DIALIHKAN)
    with pytest.raises(ValueError):
        content_for_transition(NUMBER, TicketStatus.DUPLIKAT)


def test_every_closing_status_has_a_message() -> None:
    from lalisa.tickets.models import CLOSED_STATUSES

    values = {
        "reason": "alasan",
        "agency": "Instansi X",
        "duplicate_of": "LLS-2026-000001",
    }
    for status in CLOSED_STATUSES:
        assert content_for_transition(NUMBER, status, **values) is not None, status


def test_trc_dispatch_has_place_map_and_link_but_no_reporter() -> None:
    content = trc_dispatch(
        NUMBER,
        category="Pedagang kaki lima (PKL) di tempat terlarang",
        place="Pasar Paringin, Kec. Paringin",
        latitude=-2.3301,
        longitude=115.4712,
        priority="Tinggi",
        instructions="Tertibkan lapak\ndi trotoar.",
        dispatch_url="https://lalisa.example/trc/disposisi/7",
    )
    assert content.kind == "trc_dispatch"
    assert content.template_name == "lalisa_disposisi_trc"
    _template_ok(content, 7)
    _everywhere(
        content,
        NUMBER,
        "Pasar Paringin",
        "https://www.google.com/maps?q=-2.330100,115.471200",
        "https://lalisa.example/trc/disposisi/7",
        "Tinggi",
        "Tertibkan lapak di trotoar.",
    )
    no_pin = trc_dispatch(
        NUMBER,
        category="Lainnya",
        place=None,
        latitude=None,
        longitude=None,
        priority="Biasa",
        instructions=None,
        dispatch_url="https://lalisa.example/trc/disposisi/8",
    )
    _template_ok(no_pin, 7)
    assert no_pin.template_params[2] == "-" and no_pin.template_params[5] == "-"


def test_template_names_and_language_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHATSAPP_TEMPLATE_CITIZEN_UPDATE", "status_v2")
    monkeypatch.setenv("WHATSAPP_TEMPLATE_TRC_DISPATCH", "trc_v2")
    monkeypatch.setenv("WHATSAPP_TEMPLATE_LANGUAGE", "id_ID")
    reset_settings_cache()
    citizen = citizen_verified(NUMBER)
    assert (citizen.template_name, citizen.template_language) == ("status_v2", "id_ID")
    officer = trc_dispatch(
        NUMBER,
        category="x",
        place="y",
        latitude=None,
        longitude=None,
        priority="z",
        instructions=None,
        dispatch_url="u",
    )
    assert (officer.template_name, officer.template_language) == ("trc_v2", "id_ID")


def test_template_param_cleaning() -> None:
    assert template_param("a\n\tb     c") == "a b c"
    assert template_param("") == "-"
    assert template_param(None) == "-"
    long = template_param("x" * 1000, 50)
    assert len(long) == 50 and long.endswith("…")


def test_texts_are_all_in_one_module() -> None:
    # Builders hold no wording of their own: every citizen sentence is in texts.py.
    import inspect

    source = inspect.getsource(messages)
    for word in ("Laporan Anda", "Mohon maaf", "dialihkan ke", "Terima kasih"):
        assert word not in source


def test_template_bodies_do_not_start_or_end_with_a_variable() -> None:
    for body, count in (
        (texts.CITIZEN_UPDATE_TEMPLATE_BODY, 3),
        (texts.TRC_DISPATCH_TEMPLATE_BODY, 7),
    ):
        assert not body.startswith("{{") and not body.rstrip().endswith("}}")
        assert all(f"{{{{{n}}}}}" in body for n in range(1, count + 1))
        assert len(body) <= 1024
