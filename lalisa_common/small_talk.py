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

import re
from typing import Final, Literal

SmallTalk = Literal["salam", "greeting", "how_are_you", "thanks"]

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
_GREETING_ALONE: Final = _GREETING - {"pagi", "siang", "sore", "petang", "malam", "malem"}
_KABAR: Final = frozenset({"kabar", "kabarnya", "habar", "habarnya", "kbr"})
_HOW_ARE_YOU: Final = _KABAR | {"apa", "pa", "gimana", "bagaimana", "baapa", "sehat"}
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
    }
)  # fmt: skip


def read_small_talk(text: str) -> SmallTalk | None:
    """What a message of pure small talk is, or None when it says anything else.

    Args:
        text: The typed message ("apa kabar min", "makasih ya", "Assalamualaikum wr wb").

    Returns:
        ``salam`` (an Islamic greeting), ``how_are_you``, ``greeting`` or ``thanks``; None for
        a payload, an empty message, a longer one or one with any word of its own ("selamat
        pagi, saya mau lapor").
    """
    if not text or text.lstrip().startswith("/"):
        return None
    tokens = _words(text)
    if not tokens or len(tokens) > MAX_SMALL_TALK_WORDS:
        return None
    known = _SALAM | _GREETING | _HOW_ARE_YOU | _THANKS | _COURTESY
    if tokens[0] not in known or any(t not in known | _YA for t in tokens[1:]):
        # "makasih ya" is thanks; "ya makasih" at the summary is a yes.
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
    {"ketahuan", "ketauan", "katahuan", "bocor", "dibocorkan", "disebar", "disebarkan"}
)
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
        "datanya", "pelapor", "pelapornya", "hp", "wa",
    }
)  # fmt: skip
# How a question ends or begins when it has no question mark ("aman kan min", "aman kah").
_QUESTION_PARTICLES: Final = frozenset(
    {
        "kan", "kn", "kah", "lah", "ga", "gak", "gk", "nggak", "ngga", "tidak", "tdk", "kada",
        "apakah", "apa", "apkh", "bisa", "bs", "benar", "bener", "betul", "kalo", "kalau",
        "amun", "jaminan", "gimana", "bagaimana", "kayapa",
    }
)  # fmt: skip
# Words of a request ("rahasiakan aja ya?", "tolong jangan disebut ya?").
_REQUEST_WORDS: Final = frozenset(
    {"aja", "saja", "ja", "haja", "deh", "mohon", "tolong", "minta", "jangan", "jgn", "usah"}
)
# Words of a story: the message then tells something and is read as usual. Not the words of
# reporting: "kalau saya lapor, ketahuan ga?" asks before reporting. A message that names a
# complaint category is a story too; the callers know its entities.
_STORY_MARKERS: Final = frozenset({"tadi", "semalam", "samalam", "kemarin", "desa", "jalan"})


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
        (t in _QUESTION_PARTICLES and not _no_need(tokens, i)) or (t.endswith("kah") and len(t) > 4)
        for i, t in enumerate(tokens)
    )
    # "dirahasiakan aja ya?" asks for it (a refusal of the name), "dirahasiakan kan?" asks
    # whether: without a question particle, a word of request makes it a request.
    asks = particle or ("?" in text and not any(t in _REQUEST_WORDS for t in tokens))
    if not asks or any(t in _STORY_MARKERS for t in tokens):
        return False
    names_secret = any(t in _SECRET_WORDS for t in tokens) or (
        any(t in _EXPOSED_WORDS for t in tokens)
        and any(t in _REPORTER_WORDS or t in _IDENTITY_WORDS for t in tokens)
    )
    names_identity = any(t in _IDENTITY_WORDS for t in tokens) and any(
        t in _SAFE_WORDS for t in tokens
    )
    return names_secret or names_identity
