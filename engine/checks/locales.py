"""``missing-locale`` (error): a rule text not written in a locale the bundle uses;
``missing-title-locale`` (warning): the same for a category's or an action's title.

A bundle's texts are in the same set of locales everywhere (DESIGN: messages by locale),
so that an answer in the customer's language never switches language halfway: a rule
whose ``message`` exists in ``en`` and ``zh-CN`` but whose ``remedy`` is only in ``en``, or
a rule written only in English in a bundle whose other rules carry Chinese, is reported
at the text, with the locales it lacks. It is an error, not a warning: the contract is
that every rule has the same set of locales, and a bundle that breaks it would answer a
customer in two languages; ``why`` on such a bundle still answers (the text in the
default locale, with a note), but ``validate`` and ``serve`` refuse it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from chronolex.bundle.yaml_source import Document
from chronolex.errors import Diagnostic, Severity, Span
from chronolex.model import Bundle, Rule

#: The rule texts every locale of the bundle must carry, when the rule has them at all.
CHECKED = ("title", "message", "remedy", "because")


def lint_locales(bundle: Bundle, documents: Mapping[str, Document]) -> Iterator[Diagnostic]:
    """An error for each rule text missing one of the bundle's locales (each rule once,
    in the version that declares it)."""
    locales = bundle.locales
    if len(locales) < 2:
        return
    yield from _titles(bundle, locales)
    for version in bundle.versions:
        doc = documents.get(version.file or "")
        for rule in version.rules:
            if rule.declared_in not in (None, version.id):
                continue
            yield from _missing(rule, locales, doc)


def _missing(rule: Rule, locales: tuple[str, ...], doc: Document | None) -> Iterator[Diagnostic]:
    for name in CHECKED:
        has = [locale for locale in locales if name in rule.texts.get(locale, {})]
        if not has:
            continue
        lacking = [locale for locale in locales if locale not in has]
        if not lacking:
            continue
        yield Diagnostic(
            "missing-locale",
            Severity.ERROR,
            f"rule {rule.id!r}: {name} has no {', '.join(lacking)} text (the bundle's texts are in "
            f"{', '.join(locales)})",
            _span(rule, name, doc),
            f"write {name}: {{{', '.join(f'{locale}: …' for locale in locales)}}}",
        )


def _titles(bundle: Bundle, locales: tuple[str, ...]) -> Iterator[Diagnostic]:
    """``missing-title-locale`` (warning): a category or action title of ``bundle.yaml``
    lacking one of the bundle's locales. The answer's sentence names the action and the
    categories, so such a title is shown in the default locale in the middle of an answer
    in another language. A warning, not an error: the contract that every text carries
    every locale is about rules, and a bundle that passed ``validate`` keeps passing."""
    every = "{" + ", ".join(f"{locale}: …" for locale in locales) + "}"
    titled: list[tuple[str, Mapping[str, str], Span | None, str]] = [
        (f"category {name!r}", category.titles, category.span, f"write title: {every} under categories: {name}")
        for name, category in bundle.categories.items() if category.titles]
    titled += [(f"action {action!r}", titles, bundle.span, f"write {action}: {every} under action_titles")
               for action, titles in bundle.action_titles.items()]
    for what, titles, span, fix in titled:
        lacking = [locale for locale in locales if locale not in titles]
        if lacking:
            yield Diagnostic(
                "missing-title-locale",
                Severity.WARNING,
                f"the title of {what} has no {', '.join(lacking)} text (the bundle's texts are in "
                f"{', '.join(locales)}): an answer in {lacking[0]} names it in {bundle.default_locale}",
                span,
                fix,
            )


def _span(rule: Rule, name: str, doc: Document | None) -> Span | None:
    if doc is None or not isinstance(doc.data, dict):
        return rule.span
    for index, spec in enumerate(doc.data.get("rules") or ()):
        if isinstance(spec, dict) and spec.get("id") == rule.id and name in spec:
            return doc.source.span(("rules", index, name))
    return rule.span
