"""Loudness (ITU-R BS.1770 integrated, via pyloudnorm) and true peak, as Alexa measures them.

The encoder and the checker share these functions so that what the build aims at is exactly
what the check measures.
"""

from __future__ import annotations

import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

TARGET_LUFS = -14.0
LUFS_TOLERANCE = 1.0
MAX_TRUE_PEAK_DBFS = -2.0
#: BS.1770 gates over 400 ms blocks; pyloudnorm refuses anything not longer than one block.
MIN_MEASURABLE_SECONDS = 0.4
_OVERSAMPLING = 4


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (``-inf`` for silence); raises ValueError below 400 ms."""
    if len(samples) <= MIN_MEASURABLE_SECONDS * sample_rate:
        raise ValueError(
            f"{len(samples) / sample_rate:.3f} s is too short to measure loudness "
            f"(needs more than {MIN_MEASURABLE_SECONDS} s)"
        )
    meter = pyloudnorm.Meter(sample_rate)
    return float(meter.integrated_loudness(np.asarray(samples, dtype=np.float64)))


def true_peak_dbfs(samples: np.ndarray) -> float:
    """True peak in dBFS, estimated with 4x oversampling (BS.1770 annex 2)."""
    if len(samples) == 0:
        return float("-inf")
    samples = np.asarray(samples, dtype=np.float64)
    upsampled = resample_poly(samples, _OVERSAMPLING, 1)
    # The interpolation filter does not pass exactly through the original samples: count both.
    peak = max(float(np.max(np.abs(upsampled))), float(np.max(np.abs(samples))))
    return 20.0 * np.log10(peak) if peak > 0 else float("-inf")


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))
