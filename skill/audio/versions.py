"""Versions of what shapes a cue's audio besides its text and the engine.

They are part of every cue's hash. Bump the one whose module changes its output, and the next
build re-renders every cue it affects. Kept apart, in a module without imports, so that a
rebuild with nothing to render does not load numpy, scipy or the codecs.
"""

#: skill.audio.encode: sample rate, bitrate, loudness and peak targets, limiter, filter.
ENCODER = "lame-48k-cbr-mono-24000-q2 lufs-14 tp-2 v1"
#: skill.audio.tones: the chime, ticks and end tone.
TONES = "tones-2"
#: skill.audio.assemble: how speech and tones are joined and balanced.
ASSEMBLY = "assemble-2"

#: skill.audio.assemble: how counts are laid over a hold's last ticks (only cues with counts).
SPOKEN_COUNTS = "counts-1"

RENDER = f"{ENCODER}|{TONES}|{ASSEMBLY}"
