"""Which bundle answers a request: the request's locale, an English fallback, or an apology.

- A locale with its own bundle (``locales/<locale>.yaml``) gets that bundle.
- Another locale of a language the skill speaks (``en-NZ``) gets the default bundle, en-US;
  the caller logs that it fell back.
- A request without a locale gets the default bundle too.
- A locale of another language (``de-DE``) gets the default bundle marked ``unsupported``: the
  caller apologises in it (``prompt.language_unsupported``) instead of running the conversation.

Pure: bundles are loaded through the function given, once each, on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from skill.content.model import DEFAULT_LOCALE, Content, language_of


@dataclass(frozen=True)
class Choice:
    content: Content
    #: The request's locale, as sent (``None`` when it sent none).
    requested: str | None
    #: The request's locale has no bundle of its own; ``content`` is the default's.
    fell_back: bool = False
    #: The request's language is not one the skill speaks.
    unsupported: bool = False


class Library:
    """Every locale's bundle, chosen by the request's locale."""

    def __init__(
        self,
        locales: Iterable[str],
        load: Callable[[str], Content],
        default: str = DEFAULT_LOCALE,
    ) -> None:
        self.locales = tuple(locales)
        if default not in self.locales:
            raise ValueError(f"the default locale {default!r} is not among {self.locales}")
        self._load = load
        self._bundles: dict[str, Content] = {}
        self.default = self.bundle(default)
        self.languages = frozenset(map(language_of, self.locales))

    @classmethod
    def of(cls, *bundles: Content) -> Library:
        """A library of these bundles only (the first is the default unless en-US is given)."""
        by_locale = {bundle.locale: bundle for bundle in bundles}
        default = DEFAULT_LOCALE if DEFAULT_LOCALE in by_locale else bundles[0].locale
        return cls(by_locale, by_locale.__getitem__, default)

    def bundle(self, locale: str) -> Content:
        """The bundle of one of ``locales``, loaded on first use."""
        bundle = self._bundles.get(locale)
        if bundle is None:
            bundle = self._bundles[locale] = self._load(locale)
        return bundle

    def choose(self, requested: str | None) -> Choice:
        """The bundle for a request's locale; a request without one is the default's."""
        locale = canonical(requested) if requested else None
        if locale in self.locales:
            return Choice(self.bundle(locale), requested)
        supported = locale is None or language_of(locale) in self.languages
        return Choice(self.default, requested, fell_back=True, unsupported=not supported)


def canonical(locale: str) -> str:
    """``en-GB`` for ``en_gb`` or ``EN-gb``: how the bundles are named."""
    language, _, region = locale.strip().replace("_", "-").partition("-")
    return f"{language.lower()}-{region.upper()}" if region else language.lower()
