"""The last two questions: the evidence (a photo, a video, or none) and the reporter's name."""

from __future__ import annotations

from lalisa.intake.answers import SKIPPED
from lalisa.intake.form.turn import MEDIA_EVIDENCE, Answer, _Turn
from lalisa.intake.readers.evidence import refuses_evidence
from lalisa.intake.readers.name import read_name


def _read_media(turn: _Turn, answer: Answer) -> bool:
    """A photo/video, wherever it arrives: it is the evidence."""
    if not answer.is_media:
        return False
    media = list(turn.get("evidence_media") or [])
    if answer.media_id is not None:
        media.append(answer.media_id)
    turn.set(evidence_media=media, evidence=MEDIA_EVIDENCE)
    turn.say("utter_evidence_received", count=len(media))
    return True


def _read_evidence(turn: _Turn, answer: Answer, strict: bool) -> bool:
    if not strict:
        return False
    has_media = bool(turn.get("evidence_media"))
    if refuses_evidence(answer.typed) if answer.typed else False:
        turn.set(evidence=MEDIA_EVIDENCE if has_media else SKIPPED)
        return True
    if has_media and answer.typed:
        # Any other answer after a photo means "that's all".
        turn.set(evidence=MEDIA_EVIDENCE)
        return True
    return False


def _read_reporter_name(turn: _Turn, answer: Answer, strict: bool) -> bool:
    if not strict:
        return False
    name = read_name(answer.typed)
    if name is None:
        return False
    turn.set(reporter_name=name.name)
    return True
