"""The console's pages: read the question, ask the engine, render a template.

Pages are rendered on the server by Jinja2 with autoescaping on, so everything that
comes from a bundle or an event is text, never markup; each response also carries a
Content-Security-Policy that allows scripts and styles from the console itself only
(inline script and style are refused, so even an escaping mistake could not run one).
Endpoints are plain functions (Starlette runs them on its thread pool). An SQLite
connection belongs to the thread that opened it, so pages read the event store through
the service's :class:`~chronolex.service.stores.ThreadStores`, the API's own: one
connection per worker thread, kept between requests and closed at shutdown.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from chronolex.errors import ChronolexError
from chronolex.evaluation.decide import IncompleteTimeline, TimelineInterval, decide, timeline
from chronolex.events.event import AccountHistory
from chronolex.events.store import EventStore
from chronolex.explain.plain import interval_words, span_words
from chronolex.model import Bundle, Version
from chronolex.service.console.answer import action_answer, answer_instant, customer_reply
from chronolex.service.console.chart import account_chart, versions_chart
from chronolex.service.console.differences import comparison_view
from chronolex.service.console.labels import LANGUAGE_NAMES, labels_for
from chronolex.service.console.logged import compare, nearby_records
from chronolex.service.console.policy import diff_page
from chronolex.service.console.query import BadQuery, Query, pick_bundle, pick_locale, read_query, read_range
from chronolex.service.state import ServiceState
from chronolex.service.stores import ThreadStores
from chronolex.time.versions import select_version

#: Where each page's form is sent.
_TARGETS = {"account": "./", "timeline": "timeline"}
#: Accounts listed for a search that matches no account exactly.
MATCHES = 20
#: Scripts and styles from the console only; no inline code, no frames, no other origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_ENVIRONMENT = Environment(loader=PackageLoader("chronolex.service.console", "templates"), autoescape=True,
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _keep_params(params: Mapping[str, str], *names: str) -> str:
    """The query string of ``params`` limited to ``names`` (links between pages keep the question)."""
    return urlencode({name: params[name] for name in names if params.get(name)})


def _with_param(params: Mapping[str, str], name: str, value: str) -> str:
    return urlencode({**params, name: value})


def _category_list(names: tuple[str, ...], titles: Mapping[str, str]) -> str:
    """Categories by their titles, or a dash for none."""
    return ", ".join(titles.get(name, name) for name in names) or "—"


_ENVIRONMENT.globals.update(keep=_keep_params, with_param=_with_param, category_list=_category_list)


def render(request: Request, template: str, context: Mapping[str, Any], status: int = 200) -> HTMLResponse:
    html = _ENVIRONMENT.get_template(template).render({"request": request, **context})
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


class Console:
    """The pages over one service state (bundles may be replaced by a reload meanwhile).

    ``stores``: the service's per-thread connections to the state's event store (None:
    each page opens the store and closes it again, for a console mounted on its own)."""

    def __init__(self, state: ServiceState, stores: ThreadStores | None = None) -> None:
        self.state = state
        self.stores = stores

    # -- helpers shared by the pages

    @contextmanager
    def store(self) -> Iterator[EventStore | None]:
        """The event store, as this request's thread reads it; None when none is loaded."""
        if self.state.store is None:
            yield None
            return
        if self.stores is not None:
            yield self.stores.get()
            return
        with EventStore(self.state.store.path) as store:
            yield store

    def base(self, request: Request, bundle: Bundle | None, lang: str | None, page: str) -> dict[str, Any]:
        """What every page's frame needs: the words, the language links, the bundles."""
        choice = pick_locale(bundle, lang) if bundle is not None else None
        words = labels_for(choice.words.locale if choice else "en")
        params = dict(request.query_params)
        languages = []
        for locale in (bundle.locales if bundle is not None else ()):
            link = urlencode({**params, "lang": locale})
            languages.append({"locale": locale, "name": LANGUAGE_NAMES.get(locale, locale), "href": f"?{link}",
                              "current": choice is not None and choice.locale == locale})
        # The page's language is that of its labels and sentences; the bundle's texts carry
        # their own ``lang`` when they are in another (es texts in an English frame), so a
        # screen reader speaks each part in its language.
        text_lang = choice.locale if choice is not None and choice.locale != choice.words.locale else None
        return {"labels": words, "html_lang": choice.words.locale if choice else "en", "text_lang": text_lang,
                "languages": languages,
                "page": page, "bundles": sorted(self.state.bundles), "bundle": bundle,
                "selected_bundle": params.get("bundle") or min(self.state.bundles, default=""),
                "choice": choice, "params": params, "error": None, "notes": ()}

    def form(self, query: Query) -> dict[str, Any]:
        """The search form's values and choices."""
        bundle, choice = query.bundle, query.choice
        zone = bundle.timezone
        return {
            "account": query.account, "at_input": query.at_input, "action": query.action,
            "titles": {a: _action_title(bundle, a, choice.locale) for a in bundle.actions},
            "categories": {name: c.title_in(choice.locale) for name, c in bundle.categories.items()},
            "zone": zone.key, "zone_name": choice.words.zone_name(zone),
            "actions": [(a, _action_title(bundle, a, choice.locale)) for a in bundle.actions],
        }

    def failed(self, request: Request, error: BadQuery, page: str) -> HTMLResponse:
        """The error, above the form filled in as it was sent (so the agent can correct it)."""
        params = request.query_params
        context: dict[str, Any]
        try:
            bundle = pick_bundle(self.state, params.get("bundle"))
        except BadQuery:
            context = self.base(request, None, None, page)
            context["form"] = None
        else:
            try:
                context = self.base(request, bundle, params.get("lang"), page)
                choice = context["choice"]
            except BadQuery:
                context = self.base(request, bundle, None, page)
                choice = context["choice"]
            query = Query(bundle, choice, params.get("account", "").strip(), self.state.clock.now(),
                          params.get("at", "").strip(), params.get("action", "") if params.get("action") in
                          bundle.actions else "")
            context["form"] = self.form(query) if page in _TARGETS else None
        context.update(error=error.words(context["labels"]), target=_TARGETS.get(page, ""))
        return render(request, "error.html", context, error.status)

    def history(self, request: Request, query: Query, context: dict[str, Any],
                page: str) -> AccountHistory | HTMLResponse:
        """The history of the account asked about; else the page saying why there is none
        (no store loaded, or no such account, with the ids that come close)."""
        try:
            with self.store() as store:
                if store is None:
                    context["message"] = context["labels"]["no_store"]
                    return render(request, f"{page}.html", context)
                history = store.history(query.account)
                if not history.events:
                    context["matches"], context["message"] = _search(store, query.account, context["labels"])
                    return render(request, f"{page}.html", context)
                return history
        except ChronolexError as error:
            return self.failed(request, BadQuery(error.diagnostics[0].message, 503), page)

    # -- the account page

    def account(self, request: Request) -> HTMLResponse:
        try:
            query = read_query(self.state, request.query_params)
        except BadQuery as error:
            return self.failed(request, error, "account")
        context = {**self.base(request, query.bundle, query.choice.locale, "account"), "form": self.form(query),
                   "query": query, "answers": (), "reply": None, "matches": (), "message": None,
                   "comparisons": None, "when": answer_instant(query.at, query.bundle, query.choice),
                   "timeline_href": None}
        context["notes"] = query.notes
        labels = context["labels"]
        if not query.account:
            return render(request, "account.html", context)
        history = self.history(request, query, context, "account")
        if isinstance(history, HTMLResponse):
            return history
        bundle = query.bundle
        evaluator = self.state.kept.evaluator(bundle)
        answers = [action_answer(decide(bundle, history, action, query.at, evaluator=evaluator), query.choice, labels)
                   for action in query.actions]
        context["answers"] = answers
        context["reply"] = customer_reply(answers, query.choice)
        context["timeline_href"] = "timeline?" + urlencode(_keep(request, ("bundle", "lang", "account", "at", "action")))
        if self.state.log is not None:
            try:
                records = nearby_records(self.state.log, bundle, query.account, query.at, query.actions)
                context["comparisons"] = [comparison_view(compare(r, bundle, history, evaluator), bundle,
                                                          query.choice, labels) for r in records]
            except ChronolexError as error:  # the answer stands; the log's trouble is said, not hidden
                context["notes"] = (*query.notes, labels["log_unreadable"].format(error=error.diagnostics[0].message))
        return render(request, "account.html", context)

    # -- the timeline page

    def timeline(self, request: Request) -> HTMLResponse:
        try:
            query = read_query(self.state, request.query_params)
            span = read_range(query, request.query_params)
        except BadQuery as error:
            return self.failed(request, error, "timeline")
        context = {**self.base(request, query.bundle, query.choice.locale, "timeline"), "form": self.form(query),
                   "query": query, "range": span, "chart": None, "rows": {}, "message": None, "matches": (),
                   "range_start": query.choice.words.day(span.start_date),
                   "range_end": query.choice.words.day(span.end_date)}
        labels = context["labels"]
        notes = list(query.notes)
        if not query.account:
            return render(request, "timeline.html", context)
        history = self.history(request, query, context, "timeline")
        if isinstance(history, HTMLResponse):
            return history
        bundle = query.bundle
        evaluator = self.state.kept.evaluator(bundle)
        timelines: dict[str, tuple[TimelineInterval, ...]] = {}
        for action in query.actions:
            try:
                timelines[action] = timeline(bundle, history, action, span.start, span.end, evaluator=evaluator)
            except IncompleteTimeline as stopped:
                timelines[action] = stopped.intervals
                notes.append(labels["timeline_stopped"].format(
                    action=_action_title(bundle, action, query.choice.locale),
                    at=query.choice.words.when(stopped.stopped_at, bundle.timezone)))
        context["chart"] = account_chart(bundle, timelines, history, span.start, span.end, query.at, query.choice,
                                         labels)
        context["rows"] = {_action_title(bundle, a, query.choice.locale): _rows(intervals, bundle, query)
                           for a, intervals in timelines.items()}
        if query.choice.note:  # what each interval means is in the template's language
            notes.append(query.choice.note)
        context["notes"] = tuple(notes)
        return render(request, "timeline.html", context)

    # -- the policy page

    def policy(self, request: Request) -> HTMLResponse:
        params = request.query_params
        try:
            query = read_query(self.state, params)
            bundle = query.bundle
            old, new = _pair(bundle, params.get("old"), params.get("new"), query.at)
        except BadQuery as error:
            return self.failed(request, error, "policy")
        context = {**self.base(request, bundle, query.choice.locale, "policy"), "form": self.form(query),
                   "query": query, "old": old, "new": new, "diff": None, "impact_at": None}
        rows, years, height = versions_chart(bundle, query.choice, context["labels"])
        context.update(rows=rows, years=years, height=height, table=_version_table(bundle, query))
        if old is not None and new is not None and "old" in params and "new" in params:
            try:
                with self.store() as store:
                    page = diff_page(self.state.kept, bundle, old, new, store, query.at)
            except ChronolexError as error:
                return self.failed(request, BadQuery(error.diagnostics[0].message, 503), "policy")
            context["diff"] = page
            context["notes"] = (*query.notes, *page.notes)
            context["impact_at"] = answer_instant(query.at, bundle, query.choice)
        return render(request, "policy.html", context)


def _action_title(bundle: Bundle, action: str, locale: str) -> str:
    titles = bundle.action_titles.get(action, {})
    return titles.get(locale) or titles.get(bundle.default_locale) or action


def _keep(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.query_params[name] for name in names if request.query_params.get(name)}


def _search(store: EventStore, text: str, labels: Mapping[str, str]) -> tuple[tuple[str, ...], str]:
    """Accounts whose id holds ``text`` (else the closest ids), and what to say."""
    known = list(store.accounts())
    wanted = text.casefold()
    found = [a for a in known if wanted in a.casefold()][:MATCHES]
    if not found:
        found = difflib.get_close_matches(text, known, n=3, cutoff=0.6)
    message = labels["unknown_account"].format(account=text)
    return tuple(found), message


def _rows(intervals: tuple[TimelineInterval, ...], bundle: Bundle, query: Query) -> list[tuple[str, str]]:
    """The intervals as ``chronolex timeline`` lists them: merged where the words are the same."""
    merged: list[tuple[datetime, datetime, str]] = []
    for interval in intervals:
        words = interval_words(interval, bundle, query.choice)
        if merged and merged[-1][2] == words and merged[-1][1] == interval.start:
            merged[-1] = (merged[-1][0], interval.end, words)
        else:
            merged.append((interval.start, interval.end, words))
    return [(span_words(start, end, bundle, query.choice), words) for start, end, words in merged]


def _pair(bundle: Bundle, old_id: str | None, new_id: str | None, at: datetime) -> tuple[Version | None, Version | None]:
    """The two versions to compare: those asked for, by default the one in force at the
    page's instant and the one before it."""
    versions = bundle.versions
    for given in (old_id, new_id):
        if given and bundle.version(given) is None:
            raise BadQuery(f"bundle {bundle.name} has no version {given!r}; its versions are "
                           f"{', '.join(v.id for v in versions)}", 404, label="err_version",
                           values={"bundle": bundle.name, "version": given,
                                   "versions": tuple(v.id for v in versions)})
    if not versions:
        return None, None
    if new_id:
        new = bundle.version(new_id)
    else:
        current = select_version(versions, at)
        new = current if current is not None and versions.index(current) > 0 else versions[-1]
    if old_id:
        return bundle.version(old_id), new
    index = versions.index(new) if new in versions else 0
    return (versions[index - 1] if index > 0 else None), new


def _version_table(bundle: Bundle, query: Query) -> list[dict[str, Any]]:
    words, zone = query.choice.words, bundle.timezone
    rows = []
    previous: Version | None = None
    for version in bundle.versions:
        compare_href = None
        if previous is not None:
            compare_href = "policy?" + urlencode({"bundle": bundle.name, "lang": query.choice.locale,
                                                  "at": query.at_input, "old": previous.id, "new": version.id})
        rows.append({"id": version.id, "effective_from": words.when(version.effective_from, zone),
                     "published_at": words.when(version.published_at, zone), "summary": version.summary or "",
                     "retroactive": version.retroactive, "compare_href": compare_href})
        previous = version
    return rows
