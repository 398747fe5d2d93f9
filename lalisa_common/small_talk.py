"""Messages whose words alone say what they are: small talk and the confidentiality question.

Two kinds of short message are misread by the intent classifier often enough to derail a
conversation, while their words leave no doubt:

* **small talk** ("apa kabar min", "makasih ya", "selamat pagi", "assalamualaikum", Banjar
  "baapa kabar"): read as ``out_of_scope`` ("apa kabar" is in the off-topic corpus), as a name
  at the name question, or as a too-short story. It deserves a reply in kind, never a report.
* **the confidentiality question** ("ini rahasia kan?", "identitas pelapor aman kah?",
  Banjar "kada disabutakan ngaran ulun lah?"): read as ``cancel`` or ``deny`` or as the
  refusal of a name, while the citizen only asks before going on.

Both readers are strict: a message is small talk only when *every* word is a greeting, a
thanks or a courtesy ("selamat pagi, saya mau lapor miras" is not); a confidentiality question
must ask (a question mark or a question particle) and name the confidentiality, and must not
tell a story. Shared by the NLU (:mod:`lalisa_rasa.nlu.text_rules`, which corrects the intent)
and the complaint form (:mod:`lalisa.intake.form`, which answers and asks again), so the
two environments read the same words the same way. Standard library only.
"""

from __future__ import annotations

import itertools
import re
from itertools import pairwise
from typing import Final, Literal

SmallTalk = Literal["salam", "greeting", "how_are_you", "thanks", "attention"]

MAX_SMALL_TALK_WORDS: Final = 8
MAX_CONFIDENTIALITY_WORDS: Final = 14
"""A longer message tells something of its own; the NLU and the form read it as usual."""


def _words(text: str) -> list[str]:
    lowered = text.lower().replace("’", "'").replace("'", "")
    squeezed = re.sub(r"([a-z])\1{2,}", r"\1", lowered)
    return re.findall(r"[a-z0-9]+", squeezed)


# Greetings of Islam, answered with their own answer.
_SALAM: Final = frozenset(
    {
        "assalamualaikum", "assalamualaikom", "asalamualaikum", "assalamu", "asalamu",
        "alaikum", "alaikom", "aslm", "askum", "samlekom", "wr", "wb", "warahmatullahi",
        "wabarakatuh", "warahmatullah",
    }
)  # fmt: skip
_GREETING: Final = frozenset(
    {
        "selamat", "slmt", "salamat", "pagi", "siang", "sore", "petang", "malam", "malem",
        "halo", "hallo", "helo", "hai", "hay", "hi", "hello", "permisi", "punten",
    }
)  # fmt: skip
_PARTS_OF_DAY: Final = frozenset({"pagi", "siang", "sore", "petang", "malam", "malem"})
_GREETING_ALONE: Final = _GREETING - _PARTS_OF_DAY
# Words that only call for attention before the real message ("p", "oi", "ping", "tes"):
# WhatsApp users send them alone to see whether anyone is there.
_ATTENTION: Final = frozenset(
    {"p", "ping", "oi", "oy", "oii", "woi", "woy", "hoi", "hey", "hei", "tes", "test", "hallo"}
)
# Forms of address that, alone, call the admin ("min", "min?", "pak", "kak").
_ADDRESS: Final = frozenset(
    {
        "min", "mimin", "admin", "minn", "pak", "bapak", "bu", "ibu", "kak", "kakak", "mas",
        "mbak", "bang", "pian", "om", "gan", "sis", "bro", "bpk", "satpol", "pp", "lalisa",
    }
)  # fmt: skip
_KABAR: Final = frozenset({"kabar", "kabarnya", "habar", "habarnya", "kbr"})
# "apa kabar", "gimana kabarnya", Banjar "baapa kabar": the how-word comes first. "kabarnya
# gimana?", "ada kabar?" ask for news (of a report): no small talk.
_HOW: Final = frozenset({"apa", "pa", "gimana", "bagaimana", "baapa"})
_HOW_ARE_YOU: Final = _KABAR | _HOW | {"sehat"}
_THANKS: Final = frozenset(
    {
        "makasih", "makasi", "mksh", "mks", "trims", "trimakasih", "terimakasih", "terima",
        "tarima", "tarimakasih", "kasih", "thanks", "thank", "thx", "tq", "tengkyu", "you",
        "banyak", "bnyk", "byk", "banar", "atas", "bantuannya", "infonya", "informasinya",
        "responnya", "jawabannya",
    }
)  # fmt: skip
_THANKS_ALONE: Final = frozenset(
    {
        "makasih",
        "makasi",
        "mksh",
        "mks",
        "trims",
        "trimakasih",
        "terimakasih",
        "tarimakasih",
        "thanks",
        "thank",
        "thx",
        "tq",
        "tengkyu",
    }
)
_YA: Final = frozenset({"ya", "yaa", "yah", "iya"})
# Words that only address or soften ("min", "pak", "ya", "lah pian").
_COURTESY: Final = frozenset(
    {
        "min", "mimin", "admin", "pak", "bapak", "bu", "ibu", "kak", "kakak", "mas", "mbak",
        "bang", "dik", "pian", "yo", "lah", "dong", "deh", "nih", "ni",
        "semua", "sekalian", "juga", "jua", "dan", "satpol", "pp", "lalisa", "la", "lisa",
        "bpk", "sdr", "kawan", "sobat", "nah", "lo", "hari", "ini", "semuanya", "haja", "ai",
        "lagi", "kalian", "sehat", "selalu", "kan", "om", "tante", "gan", "sis", "bro",
        "anda", "kamu",
    }
)  # fmt: skip


def _asks_how_are_you_in_order(tokens: list[str]) -> bool:
    """False when a how-word or a kabar word stands alone or in the order of a news question.

    Every how-word must be followed by a kabar word and every kabar word preceded by one:
    "apa kabar min", "halo, gimana kabarnya?" pass; "kabarnya gimana min?", "makasih, kabar
    min?" (news of a report) and "halo min, gimana?" do not.
    """
    for index, token in enumerate(tokens):
        if token in _HOW and (index + 1 == len(tokens) or tokens[index + 1] not in _KABAR):
            return False
        if token in _KABAR and (index == 0 or tokens[index - 1] not in _HOW):
            return False
    return True


def read_small_talk(text: str) -> SmallTalk | None:
    """What a message of pure small talk is, or None when it says anything else.

    Args:
        text: The typed message ("apa kabar min", "makasih ya", "Assalamualaikum wr wb").

    Returns:
        ``salam`` (an Islamic greeting), ``how_are_you``, ``greeting``, ``thanks`` or
        ``attention`` (a call alone: "p", "min", "oi", "permisi" is a greeting); None for
        a payload, an empty message, a longer one or one with any word of its own ("selamat
        pagi, saya mau lapor").
    """
    if not text or text.lstrip().startswith("/"):
        return None
    tokens = _words(text)
    if not tokens or len(tokens) > MAX_SMALL_TALK_WORDS:
        return None
    calling = _calls_attention(tokens)
    if calling is not None:
        return calling
    known = _SALAM | _GREETING | _HOW_ARE_YOU | _THANKS | _COURTESY
    if tokens[0] not in known or any(t not in known | _YA for t in tokens[1:]):
        # "makasih ya" is thanks; "ya makasih" at the summary is a yes.
        return None
    if not _asks_how_are_you_in_order(tokens):
        return None
    said = set(tokens)
    if said & _SALAM:
        return "salam"
    if said & _KABAR:
        return "how_are_you"
    if said & _THANKS_ALONE or ({"terima", "tarima"} & said and "kasih" in said):
        return "thanks"
    if said & _GREETING_ALONE:
        # A part of the day alone ("malam") is no greeting: it may answer "kapan?".
        return "greeting"
    return None


def _calls_attention(tokens: list[str]) -> SmallTalk | None:
    """A call for attention before the message: "p", "min", "oi", "halo min?", "pagi min".

    Only forms of address, calls and greetings, and at least one call or address: "pagi
    min" greets (a part of the day with an address), "malam" alone may answer "kapan?".
    """
    said = set(tokens)
    allowed = _ATTENTION | _ADDRESS | _GREETING | _YA
    if tokens[0] in _YA or not said <= allowed or not said & (_ATTENTION | _ADDRESS):
        return None
    if said & (_GREETING_ALONE | _PARTS_OF_DAY):
        return "greeting"
    return "attention"


def names_part_of_day_only(text: str) -> bool:
    """Whether a greeting's only greeting word is a part of the day: "pagi min", "malam pak".

    At the time question it answers "kapan?"; "selamat pagi" or "halo min" greets anywhere.
    """
    said = set(_words(text))
    return bool(said & _PARTS_OF_DAY) and not said & (_GREETING_ALONE | _SALAM)


# ---------------------------------------------------------------- confidentiality question

# Words that name the confidentiality of the reporter on their own. Not "anonim": "anonim aja
# ya?" refuses the name, it does not ask.
_SECRET_WORDS: Final = frozenset(
    {
        "rahasia", "rahasiakan", "dirahasiakan", "dirahasiain", "dirahasiaakan",
        "dirahasiakannya", "rahasianya", "kerahasiaan", "kerahasiaannya", "privasi", "privacy",
    }
)  # fmt: skip
# Words of being found out: about the reporter only with the reporter named ("kalau saya lapor
# ketauan ga?"); "dia ketahuan bikin mi, kan?" is gossip.
_EXPOSED_WORDS: Final = frozenset(
    {
        "ketahuan", "ketauan", "katahuan", "bocor", "dibocorkan", "disebar", "disebarkan",
        # "identitas saya tidak akan diketahui orang tersebut, bukan?", "nama saya dikenali
        # kah?", Banjar "katahuan lah ulun nang malapor?".
        "diketahui", "diketahuinya", "dikenali", "terbongkar", "terungkap",
        "diungkap", "dibeberkan", "dikasihtahu", "dikasihtau", "ditahu", "ditau",
    }
)  # fmt: skip
_REPORTER_WORDS: Final = frozenset(
    {
        "saya", "sy", "aku", "ak", "gue", "gw", "ulun", "kami", "lapor", "melapor", "pelapor",
        "pelapornya", "bapadah", "malapor", "ngadu", "mengadu",
    }
)  # fmt: skip
# Words that name it together with the reporter's identity ("identitas aman", "nama
# disebutkan", Banjar "ngaran disabutakan"). Not "tahu" nor "nomor": "ulun kada tahu nomor
# rumahnya" asks about the address.
_SAFE_WORDS: Final = frozenset(
    {
        "aman", "dijamin", "dilindungi", "terlindungi", "disebut", "disebutkan", "disabut",
        "disabutakan", "dipadahakan", "dikasihtau", "ditampilkan", "diberitahu",
    }
)  # fmt: skip
_IDENTITY_WORDS: Final = frozenset(
    {
        "identitas", "identitasnya", "nama", "namanya", "ngaran", "ngarannya", "data",
        "datanya", "pelapor", "pelapornya",
    }
)  # fmt: skip
# A phone or WhatsApp number is the reporter's identity only as a number: "nomor hp saya aman
# kah?" asks, "hp saya hilang, aman kah?" is lost property.
_NUMBER_WORDS: Final = frozenset({"nomor", "nomer", "no", "nmr"})
_PHONE_WORDS: Final = frozenset({"hp", "wa", "whatsapp", "telepon", "telpon"})
# How a question ends or begins when it has no question mark ("aman kan min", "aman kah").
_QUESTION_PARTICLES: Final = frozenset(
    {
        "kan", "kn", "kah", "lah", "ga", "gak", "gk", "nggak", "ngga", "tidak", "tdk", "kada",
        "apakah", "apa", "apkh", "bisa", "bs", "benar", "bener", "betul", "kalo", "kalau",
        "amun", "jaminan", "gimana", "bagaimana", "kayapa",
        # A tag question at the end: "…, bukan?".
        "bukan", "bkn",
    }
)  # fmt: skip
# Words of a request ("rahasiakan aja ya?", "tolong jangan disebut ya?").
_REQUEST_WORDS: Final = frozenset(
    {"aja", "saja", "ja", "haja", "deh", "mohon", "tolong", "minta", "jangan", "jgn", "usah"}
)
# After a secret word they make it a request whatever the particles: "rahasia aja kan?",
# "rahasia haja lah", "kan td udh bilang min, rahasia aja" refuse the name.
_JUST_WORDS: Final = frozenset({"aja", "saja", "ja", "haja", "deh", "dong"})
# A particle that opens a message does not ask: "kan td udh bilang ..." ("I said already").
_OPENING_NOT_ASKING: Final = frozenset({"kan", "kn"})
# Words of a story: the message then tells something and is read as usual. Not the words of
# reporting: "kalau saya lapor, ketahuan ga?" asks before reporting. A message that names a
# complaint category is a story too; the callers know its entities.
_STORY_MARKERS: Final = frozenset({"tadi", "semalam", "samalam", "kemarin", "desa", "jalan"})


# "dia tau ga siapa yang lapor?", "orangnya tahu kah saya yang melapor?": knowing who reported.
# Only with "yang" right before the reporting word: "ga tau cara lapor" asks how to report.
_KNOWING_WORDS: Final = frozenset({"tahu", "tau", "tw", "tahukah", "taukah", "kenal", "kanal"})
_REPORTING_WORDS: Final = frozenset(
    {
        "lapor", "melapor", "melaporkan", "ngelapor", "ngelaporin", "laporin", "malapor",
        "mengadu", "ngadu", "bapadah", "mamadahakan",
    }
)  # fmt: skip
_WHO_WORDS: Final = frozenset({"yang", "yg", "nang"})


def _asks_who_reported(tokens: list[str]) -> bool:
    """Whether the words ask if someone will know who reported ("tau siapa yang lapor?")."""
    return any(t in _KNOWING_WORDS for t in tokens) and any(
        before in _WHO_WORDS and t in _REPORTING_WORDS for before, t in pairwise(tokens)
    )


_NEED_WORDS: Final = frozenset({"usah", "usa", "perlu", "pelu"})


def _no_need(tokens: list[str], index: int) -> bool:
    """Whether the token at ``index`` is the "no" of "no need" ("kada usah", "ga perlu")."""
    return index + 1 < len(tokens) and tokens[index + 1] in _NEED_WORDS


def asks_confidentiality(text: str) -> bool:
    """Whether a message asks whether the reporter's identity stays confidential.

    Args:
        text: The typed message ("ini rahasia kan?", "nama saya dirahasiakan kan min?",
            "identitas pelapor aman kah?", "kada disabutakan ngaran ulun lah?").

    Returns:
        True for a short question naming the confidentiality (a secret word, or a word of
        safety next to a word of identity) that tells no story; False for a request ("tolong
        rahasiakan nama saya"), a refusal ("anonim aja ya?") or a message that tells when or
        where something happened.
    """
    if not text or text.lstrip().startswith("/"):
        return False
    tokens = _words(text)
    if len(tokens) < 2 or len(tokens) > MAX_CONFIDENTIALITY_WORDS:
        return False
    # "kada usah", "ga usah", "gak perlu": a "no need" (a request), not "… or not?".
    particle = any(
        (
            t in _QUESTION_PARTICLES
            and not _no_need(tokens, index)
            and not (index == 0 and t in _OPENING_NOT_ASKING)
        )
        or (t.endswith("kah") and len(t) > 4)
        for index, t in enumerate(tokens)
    )
    if any(t in _SECRET_WORDS and following in _JUST_WORDS for t, following in pairwise(tokens)):
        return False
    # "dirahasiakan aja ya?" asks for it (a refusal of the name), "dirahasiakan kan?" asks
    # whether: without a question particle, a word of request makes it a request.
    asks = particle or ("?" in text and not any(t in _REQUEST_WORDS for t in tokens))
    if not asks or any(t in _STORY_MARKERS for t in tokens):
        return False
    pairs = itertools.pairwise(tokens)
    if any(a in _SECRET_WORDS and b in _REQUEST_WORDS for a, b in pairs):
        # "kan td udh bilang, rahasia aja": "rahasia aja" asks for it; "kan" is emphasis.
        return False
    names_secret = (
        any(t in _SECRET_WORDS for t in tokens)
        or (
            any(t in _EXPOSED_WORDS for t in tokens)
            and any(t in _REPORTER_WORDS or t in _IDENTITY_WORDS for t in tokens)
        )
        or _asks_who_reported(tokens)
    )
    identity = any(t in _IDENTITY_WORDS for t in tokens) or any(
        t in _NUMBER_WORDS and following in _PHONE_WORDS for t, following in pairwise(tokens)
    )
    # "disebut apa" asks what something is called, not whether the reporter is named.
    safe = any(
        t in _SAFE_WORDS and not (t.startswith("disebut") and following == "apa")
        for t, following in zip(tokens, [*tokens[1:], ""], strict=False)
    )
    names_identity = identity and safe
    return names_secret or names_identity
