"""What one pre-generated audio cue says: the contract between the content and the audio build."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CueSpec:
    """One cue to render.

    ``id`` is stable and dotted (``step.upper_back.3``, ``prompt.welcome``, ``faq.crack_safety``);
    the speech renderer looks cues up by it and the reply's locale in ``audio/manifest.json``
    (``en-GB/prompt.welcome``).
    """

    id: str
    text: str
    #: A countdown of this many seconds follows the speech, ending with a distinct tone.
    hold_seconds: int | None = None
    #: A short chime before the speech marks a new step.
    chime: bool = False
    #: Words spoken over the last ticks of the hold, one a second, the last as the hold ends
    #: (``("three", "two", "one")``); empty: ticks alone.
    counts: tuple[str, ...] = ()
