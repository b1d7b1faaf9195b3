"""Which interaction model the console resolves typed lines with: the locale's own.

A device in en-GB hears with the en-GB model, so the console resolves each line with
``interaction_model/<locale>.json``, or with a model built from the locale's bundle when that
file is absent (a checkout that has not run ``workout-planner model``)::

    from skill.chat.models import resolver_for

    resolver_for("en-GB").resolve("start the upper back routine").intent
"""

from __future__ import annotations

from pathlib import Path

from skill.content import DEFAULT_LOCALE, bundled_locales, load_content
from skill.content.locales import canonical
from skill.model import MODEL_DIR, build_model, model_path
from skill.nlu import Resolver


class UnknownLocale(ValueError):
    """A locale the bundled content does not speak; the message lists the ones it does."""


def spoken_locale(locale: str) -> str:
    """``locale`` as the bundles name it (``en_gb`` is ``en-GB``), if the content speaks it."""
    known = bundled_locales()
    name = canonical(locale)
    if name not in known:
        raise UnknownLocale(f"no content for the locale {locale!r}; one of: {', '.join(known)}")
    return name


def resolver_for(locale: str, directory: Path = MODEL_DIR) -> Resolver:
    """The resolver of ``locale``'s model in ``directory`` (``interaction_model/``)."""
    name = spoken_locale(locale)
    return load_resolver(model_path(name, directory), name)


def load_resolver(path: Path, locale: str = DEFAULT_LOCALE) -> Resolver:
    """The resolver for the model file, or for one built from ``locale``'s content without it."""
    if path.is_file():
        return Resolver.from_file(path, locale=locale)
    name = spoken_locale(locale)
    return Resolver.from_model(build_model(load_content(name)), locale=name)
