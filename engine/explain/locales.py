"""The languages plain-language answers are written in: choosing one for a bundle, and
the words each needs (category words, month names, zone names, date and time format).

A bundle's texts may be in any locale (``message: {en: …, fr: …}``); the sentence around
them needs a template, and there are templates for :data:`TEMPLATE_LOCALES`. A locale the
bundle's texts are not written in is refused (:func:`choose_locale`): an answer whose
customer message silently falls back to another language is worse than a clear error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chronolex.errors import ChronolexError
from chronolex.instants import offset_text, twice_on_the_clock
from chronolex.model import Bundle


@dataclass(frozen=True, slots=True)
class Words:
    """What the sentence templates of one language need besides the bundle's own texts."""

    locale: str
    #: The built-in categories as they read after "blocked by" (en) or "受…限制" (zh-CN).
    categories: Mapping[str, str]
    months: tuple[str, ...]
    #: Names of zones a customer knows by name ("Beijing time"); others are shown by IANA name.
    zones: Mapping[str, str]
    and_: str
    list_sep: str
    #: The note when a tag was looked up to a more general one (``{asked}``, ``{shown}``).
    looked_up: str = "there are no texts in {asked}: they are shown in {shown}"

    def join(self, items: list[str]) -> str:
        """"a, b and c" / "a、b和c"."""
        if len(items) <= 1:
            return "".join(items)
        return self.list_sep.join(items[:-1]) + self.and_ + items[-1]

    def when(self, instant: datetime, zone: ZoneInfo, *, zone_shown: bool = True) -> str:
        """An instant as a customer reads it, in ``zone``, with the zone's name (unless
        ``zone_shown`` is false: a table that names it once).

        >>> from datetime import timezone
        >>> t = datetime(2026, 3, 27, 6, 30, tzinfo=timezone.utc)
        >>> WORDS["en"].when(t, ZoneInfo("Asia/Shanghai"))
        '27 March 2026, 14:30 Beijing time'
        >>> WORDS["zh-CN"].when(t, ZoneInfo("Asia/Shanghai"))
        '北京时间2026年3月27日 14:30'
        >>> WORDS["en"].when(t, ZoneInfo("America/New_York"))
        '27 March 2026, 02:30 (America/New_York)'

        A wall time the clocks show twice (the hour they go back) carries its UTC offset,
        or the two instants would read alike:

        >>> WORDS["en"].when(datetime(2026, 11, 1, 6, 45, tzinfo=timezone.utc), ZoneInfo("America/New_York"))
        '1 November 2026, 01:45 UTC-05:00 (America/New_York)'
        """
        local = instant.astimezone(zone)
        clock = local.strftime("%H:%M:%S" if local.second else "%H:%M")
        offset = local.utcoffset()
        if offset is not None and twice_on_the_clock(local):
            clock += f" UTC{offset_text(offset)}"
        name = self.zones.get(zone.key)
        if self.locale == "zh-CN":
            day = f"{self.day(local.date())} {clock}"
            if not zone_shown:
                return day
            return f"{name}{day}" if name else f"{day}（{zone.key}）"
        day = f"{self.day(local.date())}, {clock}"
        if not zone_shown:
            return day
        return f"{day} {name}" if name else f"{day} ({zone.key})"

    def day(self, day: date) -> str:
        """A calendar day: "27 March 2026" / "2026年3月27日"."""
        if self.locale == "zh-CN":
            return f"{day.year}年{day.month}月{day.day}日"
        return f"{day.day} {self.months[day.month - 1]} {day.year}"

    def zone_name(self, zone: ZoneInfo) -> str:
        return self.zones.get(zone.key, zone.key)


WORDS: dict[str, Words] = {
    "en": Words(
        locale="en",
        categories={"regulation": "regulation", "platform": "the platform's risk strategy",
                    "maintenance": "scheduled maintenance"},
        months=("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"),
        zones={"Asia/Shanghai": "Beijing time", "Asia/Hong_Kong": "Hong Kong time", "Asia/Taipei": "Taipei time",
               "Asia/Singapore": "Singapore time", "Asia/Tokyo": "Japan time", "Europe/London": "UK time",
               "UTC": "UTC", "Etc/UTC": "UTC"},
        and_=" and ",
        list_sep=", ",
    ),
    "zh-CN": Words(
        locale="zh-CN",
        categories={"regulation": "监管规定", "platform": "平台风控策略", "maintenance": "系统维护"},
        months=tuple(f"{m}月" for m in range(1, 13)),
        zones={"Asia/Shanghai": "北京时间", "Asia/Hong_Kong": "香港时间", "Asia/Taipei": "台北时间",
               "Asia/Singapore": "新加坡时间", "Asia/Tokyo": "日本时间", "Europe/London": "英国时间",
               "UTC": "协调世界时", "Etc/UTC": "协调世界时"},
        and_="和",
        list_sep="、",
        looked_up="没有{asked}的文本，以{shown}显示",
    ),
}

#: The locales with sentence templates.
TEMPLATE_LOCALES = tuple(WORDS)


@dataclass(frozen=True, slots=True)
class LocaleChoice:
    """The locale of an answer: the bundle's texts in ``locale``, the sentence around them
    in ``words.locale`` (the same, unless there is no template for it: then English, and
    ``note`` says so)."""

    locale: str
    words: Words
    note: str | None = None


def _canonical(requested: str, available: tuple[str, ...]) -> str | None:
    """``requested`` as the bundle spells it, matching case-insensitively and ``_`` as ``-``."""
    wanted = requested.replace("_", "-").lower()
    for locale in available:
        if locale.lower() == wanted:
            return locale
    return None


def choose_locale(bundle: Bundle, requested: str | None = None) -> LocaleChoice:
    """The locale of an answer: ``requested``, else the bundle's ``default_locale``.

    Raises :class:`~chronolex.errors.ChronolexError` (``unknown-locale``) when the bundle's
    texts are not written in the requested locale.

    >>> from chronolex.model import Bundle
    >>> bundle = Bundle("b", ZoneInfo("UTC"), ("open",), {}, {}, ())
    >>> choose_locale(bundle).locale
    'en'
    """
    available = bundle.locales
    locale = _looked_up(requested, available) if requested else bundle.default_locale
    if locale is None:
        assert requested is not None
        raise ChronolexError.single(
            "unknown-locale", f"bundle {bundle.name} has no texts in {requested!r}",
            bundle.span, "its locales are: " + ", ".join(available))
    template = _canonical(locale, TEMPLATE_LOCALES) or _canonical(locale.split("-")[0], TEMPLATE_LOCALES)
    words = WORDS[template or "en"]
    notes = []
    if requested and _canonical(requested, available) is None:  # in the language the answer is said in
        notes.append(words.looked_up.format(asked=requested, shown=locale))
    if template is None:
        notes.append(f"no sentence template for {locale}: the sentence is in en, the bundle's texts in {locale}")
    return LocaleChoice(locale, words, "; ".join(notes) or None)


def _looked_up(requested: str, available: tuple[str, ...]) -> str | None:
    """``requested``, else the nearest more general tag the bundle has, as BCP 47 lookup
    (RFC 4647, 3.4) finds it: ``en-US`` falls back to ``en``, ``zh-Hans-CN`` to ``zh-Hans``
    and then ``zh``; never to a more specific tag (``zh`` does not pick ``zh-CN``), which
    would choose a region for the reader.

    >>> _looked_up("en-US", ("en", "zh-CN")), _looked_up("zh-cn", ("en", "zh-CN")), _looked_up("zh", ("zh-CN",))
    ('en', 'zh-CN', None)
    """
    subtags = requested.replace("_", "-").split("-")
    while subtags:
        found = _canonical("-".join(subtags), available)
        if found is not None:
            return found
        subtags.pop()
        if subtags and len(subtags[-1]) == 1:  # a singleton (x-, u-) goes with what follows it
            subtags.pop()
    return None


def choose_template(requested: str) -> LocaleChoice:
    """The locale of words said without a bundle (``chronolex log show --lang``): one of
    :data:`TEMPLATE_LOCALES`, matched as :func:`choose_locale` matches.

    Raises :class:`~chronolex.errors.ChronolexError` (``unknown-locale``) for any other,
    as :func:`choose_locale` does for a locale the bundle has no texts in.

    >>> choose_template("zh_cn").locale
    'zh-CN'
    """
    template = _looked_up(requested, TEMPLATE_LOCALES)
    if template is None:
        raise ChronolexError.single("unknown-locale", f"there are no words in {requested!r}",
                                    help="the locales with words are: " + ", ".join(TEMPLATE_LOCALES))
    if _canonical(requested, TEMPLATE_LOCALES) is None:
        return LocaleChoice(template, WORDS[template], WORDS[template].looked_up.format(asked=requested, shown=template))
    return LocaleChoice(template, WORDS[template])
