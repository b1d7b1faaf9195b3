"""Check MP3 files against Alexa's rules, frame by frame.

Tag readers (mutagen) look at the first frame only; a file whose later frames differ (an
encoder's Xing/Info frame at another bitrate, a concatenation, inserted bytes) passes them and
fails on the device. So every frame header is parsed here, and the audio is decoded to measure
loudness and true peak the way :mod:`skill.audio.encode` aims at them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

MAX_SECONDS = 240.0
ALEXA_BITRATE_KBPS = 48
ALEXA_SAMPLE_RATES = (16000, 22050, 24000)

_VERSIONS = {0b11: "MPEG-1", 0b10: "MPEG-2", 0b00: "MPEG-2.5"}  # 0b01 is reserved
_LAYERS = {0b11: 1, 0b10: 2, 0b01: 3}  # 0b00 is reserved
_SAMPLE_RATES = {"MPEG-1": (44100, 48000, 32000), "MPEG-2": (22050, 24000, 16000)}
_SAMPLE_RATES["MPEG-2.5"] = (11025, 12000, 8000)
_BITRATES = {  # kbps by bitrate index 1..14, per (is MPEG-1, layer)
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_BITRATES[(False, 3)] = _BITRATES[(False, 2)]
_MAX_REPORTED_GARBAGE = 5


class Frame(NamedTuple):
    offset: int
    version: str
    layer: int
    bitrate_kbps: int
    sample_rate: int
    padding: bool
    length: int
    samples: int


@dataclass
class FrameScan:
    frames: list[Frame] = field(default_factory=list)
    #: Structural problems (garbage, truncation), without the file name.
    problems: list[str] = field(default_factory=list)

    @property
    def duration_seconds(self) -> float:
        return sum(frame.samples / frame.sample_rate for frame in self.frames)


def parse_header(data: bytes, offset: int) -> Frame | None:
    """The frame whose 4-byte header starts at ``offset``, or None if there is none there."""
    if offset + 4 > len(data) or data[offset] != 0xFF or data[offset + 1] & 0xE0 != 0xE0:
        return None
    b1, b2 = data[offset + 1], data[offset + 2]
    version = _VERSIONS.get((b1 >> 3) & 0b11)
    layer = _LAYERS.get((b1 >> 1) & 0b11)
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 0b11
    # Free-format (index 0) and the reserved values cannot be walked: treat as not a frame.
    if version is None or layer is None or bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1 = version == "MPEG-1"
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index - 1]
    sample_rate = _SAMPLE_RATES[version][rate_index]
    padding = bool((b2 >> 1) & 1)
    if layer == 1:
        length, samples = (12 * bitrate * 1000 // sample_rate + padding) * 4, 384
    else:
        per_frame = 1152 if layer == 2 or mpeg1 else 576
        length, samples = per_frame // 8 * bitrate * 1000 // sample_rate + padding, per_frame
    return Frame(offset, version, layer, bitrate, sample_rate, padding, length, samples)


def _id3v2_size(data: bytes) -> int:
    """Bytes taken by an ID3v2 tag at the start (0 without one)."""
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    size = 0
    for byte in data[6:10]:  # "syncsafe": 7 bits per byte
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return min(len(data), 10 + size + footer)


def _resync(data: bytes, start: int, end: int) -> int:
    """The next offset where a frame starts that is followed by another (or by the end)."""
    offset = data.find(b"\xff", start, end)
    while offset != -1:
        frame = parse_header(data, offset)
        if frame is not None:
            after = offset + frame.length
            if after == end or (after < end and parse_header(data, after) is not None):
                return offset
        offset = data.find(b"\xff", offset + 1, end)
    return end


def scan_frames(data: bytes) -> FrameScan:
    """Walk every frame, noting bytes that are not frames and a cut-off last frame."""
    scan = FrameScan()
    offset, end = _id3v2_size(data), len(data)
    if end - offset >= 128 and data[end - 128 : end - 125] == b"TAG":
        end -= 128  # an ID3v1 tag is allowed at the very end
    garbage_runs = 0
    while offset < end:
        frame = parse_header(data, offset)
        if frame is None:
            resume = _resync(data, offset + 1, end)
            garbage_runs += 1
            if garbage_runs <= _MAX_REPORTED_GARBAGE:
                scan.problems.append(
                    f"{resume - offset} bytes of garbage at offset {offset} "
                    "(not an MPEG audio frame)"
                )
            offset = resume
            continue
        if offset + frame.length > end:
            scan.problems.append(
                f"truncated: the frame at offset {offset} needs {frame.length} bytes, "
                f"only {end - offset} are left"
            )
            break
        scan.frames.append(frame)
        offset += frame.length
    if garbage_runs > _MAX_REPORTED_GARBAGE:
        scan.problems.append(f"... and {garbage_runs - _MAX_REPORTED_GARBAGE} more runs of garbage")
    return scan


def frame_problems(scan: FrameScan) -> list[str]:
    """Alexa's format rules, one line per kind of violation."""
    frames = scan.frames
    if not frames:
        return ["no MPEG audio frames found"]
    total = len(frames)
    problems: list[str] = []

    def count(labels: Counter[str], rule: str) -> None:
        for label, n in sorted(labels.items()):
            problems.append(f"{n} of {total} frames are {label}, must be {rule}")

    count(Counter(f.version for f in frames if f.version != "MPEG-2"), "MPEG-2")
    count(Counter(f"layer {'I' * f.layer}" for f in frames if f.layer != 3), "layer III")
    bitrates = [f.bitrate_kbps for f in frames if f.bitrate_kbps != ALEXA_BITRATE_KBPS]
    count(Counter(f"{kbps} kbps" for kbps in bitrates), f"{ALEXA_BITRATE_KBPS} kbps")
    rates = [f.sample_rate for f in frames if f.sample_rate not in ALEXA_SAMPLE_RATES]
    count(Counter(f"{hz} Hz" for hz in rates), "16000, 22050 or 24000 Hz")
    if scan.duration_seconds > MAX_SECONDS:
        problems.append(f"lasts {scan.duration_seconds:.1f} s, at most {MAX_SECONDS:.0f} s allowed")
    return problems


def loudness_problems(data: bytes) -> list[str]:
    """Decode and measure: integrated loudness -14 +-1 LUFS, true peak <= -2 dBFS."""
    import miniaudio  # heavy: only when audio is actually measured

    from skill.audio.encode import decode_mp3
    from skill.audio.loudness import (
        LUFS_TOLERANCE,
        MAX_TRUE_PEAK_DBFS,
        TARGET_LUFS,
        integrated_loudness,
        true_peak_dbfs,
    )

    try:
        pcm = decode_mp3(data)
    except miniaudio.DecodeError as exc:
        return [f"cannot be decoded: {exc}"]
    problems = []
    try:
        lufs = integrated_loudness(pcm.samples, pcm.sample_rate)
    except ValueError as exc:
        problems.append(f"loudness cannot be measured: {exc}")
    else:
        if not abs(lufs - TARGET_LUFS) <= LUFS_TOLERANCE:  # also catches -inf (silence)
            problems.append(
                f"integrated loudness {lufs:.1f} LUFS, must be {TARGET_LUFS:.0f} "
                f"+-{LUFS_TOLERANCE:.0f} LUFS"
            )
    peak = true_peak_dbfs(pcm.samples)
    if peak > MAX_TRUE_PEAK_DBFS:
        problems.append(f"true peak {peak:.2f} dBFS, must be at most {MAX_TRUE_PEAK_DBFS:.0f} dBFS")
    return problems


def check_mp3_bytes(data: bytes, name: str) -> list[str]:
    """Every problem of one MP3, each line starting with ``name``."""
    scan = scan_frames(data)
    problems = scan.problems + frame_problems(scan)
    if scan.frames:
        problems += loudness_problems(data)
    return [f"{name}: {problem}" for problem in problems]


def check_mp3(path: Path) -> list[str]:
    """Every problem of the MP3 file at ``path``, each line naming the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return [f"{path}: cannot be read: {exc.strerror}"]
    return check_mp3_bytes(data, str(path))
