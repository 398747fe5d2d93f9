"""lalisa.runtime_settings.service without a database: registry, validation, precedence, wording."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import MappingProxyType

import pytest

from lalisa.core.settings import (
    RuntimeSettingsConfig,
    SlaSettings,
    get_settings,
    reset_settings_cache,
)
from lalisa.notifications import texts
from lalisa.notifications.messages import (
    Wording,
    citizen_done,
    citizen_not_actionable,
    citizen_verified,
    trc_dispatch,
)
from lalisa.office.hours import describe_office_hours, is_office_open
from lalisa.runtime_settings import registry as settings_registry
from lalisa.runtime_settings import service as rs

NUMBER = "LLS-2026-000042"
_T = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)


def parse(key: str, raw: str) -> object:
    return rs.REGISTRY[key].parse(raw)


def error_of(key: str, raw: str) -> str:
    with pytest.raises(rs.SettingValueError) as caught:
        parse(key, raw)
    return str(caught.value)


@pytest.fixture(autouse=True)
def _env(lalisa_env: dict[str, str]) -> None:
    """Every test reads the isolated settings of ``lalisa_env``."""


# ------------------------------------------------------------------------------ registry


def test_every_text_and_note_of_the_texts_module_is_editable() -> None:
    names = {
        name
        for name, value in vars(texts).items()
        if name.endswith(("_TEXT", "_NOTE")) and isinstance(value, str)
    }
    assert names, "texts.py has no *_TEXT / *_NOTE entries"
    assert {key.removeprefix("teks.") for key in rs.REGISTRY if key.startswith("teks.")} == names
    # Fragments and status names are not messages of their own.
    assert "teks.DONE_RESULT_LINE" not in rs.REGISTRY
    assert "teks.STATUS_DONE" not in rs.REGISTRY
    for name in names:
        entry = rs.REGISTRY[f"teks.{name}"]
        assert entry.default() == getattr(texts, name)
        assert entry.section == "texts"
        assert entry.multiline is name.endswith("_TEXT")


def test_a_text_added_to_the_module_later_appears_without_code_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        texts, "FIELD_VISIT_TEXT", "Petugas mengunjungi lokasi laporan {number}.", raising=False
    )
    registry = settings_registry._build_registry()
    entry = registry["teks.FIELD_VISIT_TEXT"]
    assert entry.label == "FIELD_VISIT_TEXT: pesan teks"
    assert "{number}" in entry.help
    assert entry.parse("Kunjungan ke lokasi untuk laporan {number}.") == (
        "Kunjungan ke lokasi untuk laporan {number}."
    )


def test_every_setting_has_a_section_label_and_a_valid_default() -> None:
    sections = {section_id for section_id, _title, _description in rs.SECTIONS}
    for key, entry in rs.REGISTRY.items():
        assert entry.section in sections, key
        assert entry.label and entry.help, key
        default = entry.default()
        if default is None:
            assert entry.kind == "optional_int"
            continue
        # The default, rendered into the form, passes its own validator unchanged.
        assert entry.parse(entry.to_form(default)) == default, key


# ---------------------------------------------------------------------------- validation


def test_sla_days_are_whole_numbers_within_bounds() -> None:
    assert parse("sla.first_response_days", " 4 ") == 4
    for raw in ("0", "-1", "2.5", "tiga", "366"):
        assert error_of("sla.completion_days", raw) == "Isi dengan bilangan bulat antara 1 dan 365."
    assert error_of("sla.max_days", "") == "Isi dengan angka."
    assert parse("sla.internal_target_days", "") is None
    assert parse("sla.internal_target_days", "0") == 0
    assert "antara 0 dan 30" in error_of("sla.internal_target_days", "31")


def test_office_hours_are_parsed_and_normalised() -> None:
    assert parse("office.hours", "sen-kam 07:30-16:00\r\njum 07:30-11:00, 13:30-16:30") == (
        "sen-kam 07:30-16:00; jum 07:30-11:00, 13:30-16:30"
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", "Jam kantor tidak boleh kosong."),
        ("senin sampai jumat", "Bagian 'senin sampai jumat' tidak dapat dibaca"),
        ("sen-kam 8-16", "Rentang jam '8-16' tidak dapat dibaca"),
        ("sen-kam 08:00-25:00", "Jam 25:00 tidak ada"),
        ("sen-xyz 08:00-16:00", "Hari 'sen-xyz' tidak dikenal"),
        ("jum-sen 08:00-16:00", "Rentang hari 'jum-sen' terbalik"),
        ("sen 16:00-08:00", "Rentang jam '16:00-08:00' berakhir sebelum dimulai"),
        ("sen 08:00-12:00, 11:00-16:00", "Rentang jam bertumpuk"),
        ("sen 08:00-12:00; senin 13:00-16:00", "Hari Senin disebut lebih dari sekali"),
    ],
)
def test_invalid_office_hours_get_a_bahasa_indonesia_error(spec: str, expected: str) -> None:
    message = error_of("office.hours", spec)
    assert message.startswith(expected), message
    for english in ("cannot", "expected", "invalid", "unknown", "listed"):
        assert english not in message


def test_holidays_are_iso_dates_one_per_line() -> None:
    assert parse("office.extra_holidays", "2026-12-24\n2026-12-24, 2026-05-02\n") == [
        "2026-05-02",
        "2026-12-24",
    ]
    assert parse("office.extra_holidays", "  ") == []
    assert "'24-12-2026' tidak valid" in error_of("office.extra_holidays", "24-12-2026")


def test_address_phone_and_template_names() -> None:
    assert parse("office.address", "  Jl. Contoh\n No. 1  ") == "Jl. Contoh No. 1"
    assert error_of("office.address", "   ") == "Isian ini tidak boleh kosong."
    assert parse("office.phone", "") == ""
    assert parse("office.phone", "(0526) 202-8060") == "(0526) 202-8060"
    assert "Nomor telepon" in error_of("office.phone", "hubungi kami")
    assert parse("whatsapp.template_citizen_update", "lalisa_status_v2") == "lalisa_status_v2"
    assert "huruf kecil" in error_of("whatsapp.template_trc_dispatch", "Disposisi TRC")
    assert parse("whatsapp.template_language", "id") == "id"
    assert parse("whatsapp.template_language", "en_US") == "en_US"
    assert "Kode bahasa" in error_of("whatsapp.template_language", "indonesia")


def test_edited_text_must_keep_exactly_the_default_placeholders() -> None:
    key = "teks.DUPLICATE_TEXT"  # {number} and {original}
    ok = "Laporan {number} sama dengan laporan {original}; kami gabungkan."
    assert parse(key, ok) == ok
    missing = error_of(key, "Laporan {number} digabung.")
    assert "isian yang hilang: {original}" in missing
    assert "{number}, {original}" in missing
    unknown = error_of(key, "Laporan {number} sama dengan {original}, pelapor {nama}.")
    assert "isian yang tidak dikenal: {nama}" in unknown
    assert "tidak berpasangan" in error_of(key, "Laporan {number sama dengan {original}")
    # Attribute access or format specs could leak objects or break formatting.
    assert "tidak valid" in error_of(key, "{number.__class__} {original}")
    assert "tidak valid" in error_of(key, "{number!r} {original}")
    assert "tidak valid" in error_of(key, "{number:>40} {original}")


def test_notes_are_one_line_and_length_limited() -> None:
    assert "satu baris" in error_of("teks.VERIFIED_NOTE", "Sudah diperiksa.\nTerima kasih.")
    assert "maksimal 500" in error_of("teks.VERIFIED_NOTE", "x" * 501)
    assert "maksimal 1500" in error_of("teks.VERIFIED_TEXT", "{number} " + "x" * 1500)
    assert error_of("teks.VERIFIED_TEXT", "  \n ") == "Teks tidak boleh kosong."
    # Text areas send CRLF; the stored text uses LF like texts.py.
    assert parse("teks.VERIFIED_TEXT", "Laporan {number}\r\nsudah diperiksa.") == (
        "Laporan {number}\nsudah diperiksa."
    )


def test_cache_seconds_from_the_environment() -> None:
    def cache_seconds(env: dict[str, str]) -> float:
        return RuntimeSettingsConfig.from_env(env).cache_seconds

    assert cache_seconds({}) == RuntimeSettingsConfig().cache_seconds == 30.0
    assert cache_seconds({rs.CACHE_SECONDS_VARIABLE: "2.5"}) == 2.5
    assert cache_seconds({rs.CACHE_SECONDS_VARIABLE: "0"}) == 0.0
    assert cache_seconds({rs.CACHE_SECONDS_VARIABLE: "-4"}) == 0.0
    assert cache_seconds({rs.CACHE_SECONDS_VARIABLE: "lama"}) == 30.0


# ---------------------------------------------------------------------------- precedence


def test_environment_gives_the_defaults_and_a_stored_value_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LALISA_OFFICE_HOURS", "mon-fri 07:30-16:00")
    monkeypatch.setenv("LALISA_SLA_FIRST_RESPONSE_DAYS", "2")
    monkeypatch.setenv("LALISA_OFFICE_PHONE", "0526-111111")
    reset_settings_cache()

    defaults = rs.EffectiveSettings()
    assert defaults.value("office.hours") == "mon-fri 07:30-16:00"
    assert defaults.app_settings() is get_settings()
    assert defaults.sla().first_response_days == 2
    assert defaults.value("teks.VERIFIED_NOTE") == texts.VERIFIED_NOTE

    edited = rs.EffectiveSettings(
        MappingProxyType(
            {
                "office.hours": "sen-kam 08:00-12:00",
                "office.extra_holidays": ["2026-12-01"],
                "office.phone": "",
                "sla.first_response_days": 1,
                "sla.internal_target_days": None,
            }
        )
    )
    app = edited.app_settings()
    assert app.office.hours == "sen-kam 08:00-12:00"
    assert app.office.extra_holidays == (date(2026, 12, 1),)
    assert app.office.phone == ""  # stored "unknown" wins over the environment's number
    assert app.identity.key == get_settings().identity.key  # the rest is untouched
    assert describe_office_hours(settings=app) == "Senin–Kamis 08.00–12.00 WITA"
    tuesday_noon = datetime(2026, 12, 1, 11, 0, tzinfo=app.office.tz)  # a stored extra holiday
    assert not is_office_open(tuesday_noon, settings=app)
    assert is_office_open(tuesday_noon, settings=defaults.app_settings())
    sla = edited.sla()
    assert sla == SlaSettings(
        first_response_days=1,
        completion_days=5,
        field_check_days=14,
        max_days=60,
        internal_target_days=None,
    )


def test_stored_values_that_no_longer_validate_are_ignored() -> None:
    rows = [
        rs.StoredSetting("teks.VERIFIED_TEXT", "Laporan {nomor} diverifikasi.", "budi", _T, 3),
        rs.StoredSetting("office.hours", "sen-kam 09:00-15:00", "budi", _T, 1),
        rs.StoredSetting("office.phone", None, "budi", _T, 2),  # reset to default
        rs.StoredSetting("fitur.lama", 5, "budi", _T, 1),  # no longer declared
    ]
    assert rs._valid_overrides(rows) == {"office.hours": "sen-kam 09:00-15:00"}


# ------------------------------------------------------------------------------- wording


def test_messages_use_the_edited_texts_and_templates() -> None:
    wording = rs.EffectiveSettings(
        MappingProxyType(
            {
                "teks.VERIFIED_TEXT": "Halo! Laporan *{number}* sudah kami cek.",
                "teks.VERIFIED_NOTE": "Sudah dicek petugas.",
                "teks.TRC_DISPATCH_TEXT": texts.TRC_DISPATCH_TEXT.replace(
                    "*Disposisi baru dari La-Lisa*", "*TUGAS BARU*"
                ),
                "whatsapp.template_citizen_update": "lalisa_status_v2",
                "whatsapp.template_language": "en_US",
            }
        )
    ).wording()
    content = citizen_verified(NUMBER, wording=wording)
    assert content.body == f"Halo! Laporan *{NUMBER}* sudah kami cek."
    assert content.template_name == "lalisa_status_v2"
    assert content.template_language == "en_US"
    assert content.template_params[2] == "Sudah dicek petugas."
    # Texts that were not edited keep the module's wording.
    done = citizen_done(NUMBER, wording=wording)
    assert done.body == citizen_done(NUMBER).body
    dispatch = trc_dispatch(
        NUMBER,
        category="PKL",
        place="Paringin",
        latitude=None,
        longitude=None,
        priority="Sedang",
        instructions=None,
        dispatch_url="https://bo.example/trc/1",
        wording=wording,
    )
    assert dispatch.body.startswith("*TUGAS BARU*\nNomor laporan: LLS-2026-000042")
    assert dispatch.template_name == get_settings().whatsapp.template_trc_dispatch


def test_default_wording_is_the_module_text() -> None:
    assert Wording().text("DONE_NOTE") == texts.DONE_NOTE
    content = citizen_not_actionable(NUMBER, "lokasi tidak ditemukan")
    assert content.template_name == get_settings().whatsapp.template_citizen_update
    assert "lokasi tidak ditemukan" in content.body
