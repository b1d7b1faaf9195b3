"""Workout Planner: an Alexa skill that guides gentle upper-back mobility routines by voice.

The pure core (``content``, ``machine``, ``state``, ``progress``, ``cues``) imports neither
``flask`` nor ``ask_sdk_*``; the adapters (``handlers``, ``factory``, ``web``) do.
"""

__version__ = "0.1.0"
