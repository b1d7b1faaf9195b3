"""Pre-generated audio cues: rendering (``build``), checking (``check``) and the manifest.

Kept free of imports on purpose: the web server imports ``skill.audio.manifest`` and must not
pay for numpy, scipy or the codecs, which only the ``workout-planner audio`` commands need.
"""
