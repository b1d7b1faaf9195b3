import pytest

from skill.audio.encode import encode, mp3_bytes, resample
from skill.audio.mp3check import check_mp3, check_mp3_bytes, frame_problems, scan_frames


@pytest.fixture(scope="module")
def good_mp3(phrase) -> bytes:
    return encode(phrase.samples, phrase.sample_rate).data


def test_compliant_file_passes(tmp_path, good_mp3):
    path = tmp_path / "good.mp3"
    path.write_bytes(good_mp3)
    assert check_mp3(path) == []


def test_mpeg1_128kbps_44khz_is_reported_on_every_count(tmp_path, mpeg1_mp3):
    path = tmp_path / "music.mp3"
    path.write_bytes(mpeg1_mp3)
    problems = check_mp3(path)
    frames = len(scan_frames(mpeg1_mp3).frames)
    assert all(problem.startswith(f"{path}: ") for problem in problems)
    text = "\n".join(problems)
    assert f"{frames} of {frames} frames are MPEG-1, must be MPEG-2" in text
    assert f"{frames} of {frames} frames are 128 kbps, must be 48 kbps" in text
    assert "frames are 44100 Hz, must be 16000, 22050 or 24000 Hz" in text


def test_gtts_style_32kbps_is_rejected(gtts_like_mp3):
    problems = check_mp3_bytes(gtts_like_mp3, "gtts.mp3")
    assert any("are 32 kbps, must be 48 kbps" in problem for problem in problems)
    assert not any("MPEG-1" in problem for problem in problems)


def test_garbage_between_frames_is_found_and_the_walk_goes_on(good_mp3):
    frames = scan_frames(good_mp3).frames
    cut = frames[5].offset
    damaged = good_mp3[:cut] + b"garbage!" * 4 + good_mp3[cut:]
    scan = scan_frames(damaged)
    assert scan.problems == [f"32 bytes of garbage at offset {cut} (not an MPEG audio frame)"]
    assert len(scan.frames) == len(frames)
    assert any("garbage at offset" in p for p in check_mp3_bytes(damaged, "x.mp3"))


def test_truncated_file_is_reported(good_mp3):
    problems = check_mp3_bytes(good_mp3[:-50], "cut.mp3")
    assert any(p.startswith("cut.mp3: truncated: the frame at offset") for p in problems)


def test_id3v2_tag_is_skipped(good_mp3):
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x14" + b"\x00" * 20  # 20-byte body, syncsafe size
    assert check_mp3_bytes(tag + good_mp3, "tagged.mp3") == []


def test_not_an_mp3_at_all():
    problems = check_mp3_bytes(b"<html>Not found</html>" * 20, "page.mp3")
    assert "page.mp3: no MPEG audio frames found" in problems


def test_quiet_unnormalised_file_fails_loudness(phrase):
    quiet = mp3_bytes(0.05 * resample(phrase.samples, phrase.sample_rate))
    problems = check_mp3_bytes(quiet, "quiet.mp3")
    assert len(problems) == 1 and "integrated loudness" in problems[0]


def test_too_loud_file_fails_true_peak(phrase):
    loud = mp3_bytes(4.0 * resample(phrase.samples, phrase.sample_rate))  # clipped
    assert any("true peak" in p for p in check_mp3_bytes(loud, "loud.mp3"))


def test_longer_than_240_seconds_is_reported(good_mp3):
    frames = scan_frames(good_mp3).frames
    one = good_mp3[frames[10].offset : frames[11].offset]  # 576 samples at 24 kHz = 24 ms
    long_file = one * (int(241 / 0.024) + 1)
    assert "lasts 241.0 s, at most 240 s allowed" in frame_problems(scan_frames(long_file))
