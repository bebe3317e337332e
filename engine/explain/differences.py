"""Why a logged decision differs from deciding it again today, in the reader's language.

The engine keeps each reason as a code and its values: the console's comparisons
(:class:`~chronolex.service.console.logged.Difference`, whose codes include those of
:class:`~chronolex.evaluation.hindsight.KnowledgeNote`) and ``chronolex log replay``
(:class:`~chronolex.diff.decision_log.Why`). This module words both, so the console page
and the command line say a reason the same way in Chinese; it lives here, below both the
service and the command line, because each imports it. Instants read as the answer gives
them (``北京时间2026年3月27日 14:30``), decisions and categories by their titles; version
ids, fact and rule names and an event's title from the bundle's catalog stay as written.

The English sentence of a ``log replay`` reason is the engine's own (:attr:`Why.text`), so
``--lang en`` prints what the command always printed; only other languages word the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from chronolex.evaluation.decision import json_value
from chronolex.explain.locales import LocaleChoice
from chronolex.model import Bundle

_EN: dict[str, str] = {
    "semicolon": "; ",
    "list_sep": ", ",
    "verdict_allowed": "Allowed",
    "verdict_blocked": "Blocked",
    "verdict_undetermined": "Cannot be decided",
    "verdict_no_policy": "No policy in force",
    "facts_given": "facts given by the caller",
    "facts_derived": "facts from the event store",
    "yes": "yes",
    "no": "no",
    "unknown": "unknown",
    "differs_version": "the platform decided under version {logged}; the version in force at {at} is now {today}",
    "differs_no_version": "none",
    "differs_fact": "the caller gave {name} = {given}; the events give {derived}",
    "differs_later_version": "today's answer uses version {version}, published {published_at}, after the knowledge "
                             "instant",
    "differs_decision": "with everything known today the decision is {decision}{categories}",
    "differs_categories": " ({categories})",
    "differs_happened_after": "{event} of {event_at} happened after the knowledge instant, so it is not counted",
    "differs_recorded_late": "{event} of {event_at} was recorded only {recorded_at}, so it is not counted",
    "differs_unexplained": "the rules and events known today decide otherwise; nothing recorded says why "
                           "(the log was written by another release, or the bundle was reloaded since)",
}

#: Chinese for every English entry, and for the codes of ``log replay`` (whose English is
#: the engine's own sentence) and the lines ``log show`` and ``log replay`` print around them.
_ZH: dict[str, str] = {
    "semicolon": "；",
    "list_sep": "、",
    "verdict_allowed": "不受限制",
    "verdict_blocked": "受限",
    "verdict_undetermined": "无法判断",
    "verdict_no_policy": "没有生效的政策",
    "facts_given": "调用方提供的事实",
    "facts_derived": "来自事件库的事实",
    "yes": "是",
    "no": "否",
    "unknown": "未知",
    "differs_version": "平台当时按版本 {logged} 作出决定；{at}生效的版本现在是 {today}",
    "differs_no_version": "无",
    "differs_fact": "调用方提供的 {name} 为 {given}；事件得出的是 {derived}",
    "differs_later_version": "今天的答复采用版本 {version}，该版本发布于{published_at}，晚于决定所依据的知情时间",
    "differs_decision": "按今天已知的全部信息，决定是“{decision}”{categories}",
    "differs_categories": "（{categories}）",
    "differs_happened_after": "{event}（{event_at}）发生在决定所依据的知情时间之后，因此没有计入",
    "differs_recorded_late": "{event}（{event_at}）直到{recorded_at}才记录，因此没有计入",
    "differs_unexplained": "按今天已知的规则和事件，结果不同；记录中没有说明原因（日志由另一个版本的程序写入，或政策包此后重新加载过）",
    # the reasons of ``log replay``
    "why_retroactive_version": "追溯生效的版本：{version} 发布于{published_at}，晚于作出此决定的时间（{received_at}），"
                               "但在{at}已经生效",
    "why_changed_version": "{at}生效的版本现在是 {today}，而不是 {logged}（{because}）",
    "why_version_gone": "{logged} 已不在政策包中",
    "why_versions_changed": "政策包的版本有变化",
    "why_late_events": "迟到记录的事件：{count}个事件发生在决定之前，却在作出决定（{received_at}）之后才记录：{events}{more}",
    "why_late_event": "{event}（{event_at}，记录于{recorded_at}）",
    "why_late_more": "，另有{count}个",
    "why_changed_facts": "事实有变化：{facts}",
    "why_changed_fact": "{name} 决定时为 {logged}，现在为 {now}",
    "why_now_blocked": "现在受规则 {rule}（{category}）限制",
    "why_no_longer_blocked": "不再受规则 {rule}{category}限制",
    "why_now_undetermined": "现在无法判断：规则 {rule}（{category}）无法判定{missing}",
    "why_missing": "，缺少 {names}",
    "why_no_longer_undetermined": "不再无法判断：规则 {rule}（{category}）",
    "why_origin_new": "：{rule} 是 {version} 新增的（{recorded} 中没有）",
    "why_origin_removed": "：{version} 中没有 {rule}",
    "why_origin_changed": "：{rule} 从 {recorded} 到 {version} 有修改",
    "why_recorded_version_decides": "{version} 本身现在的决定是“{decision}”{categories}，而不是“{logged}”：{since}",
    "why_since_events": "作出决定之后，该账户的事件（或已知的事件）有变化",
    "why_since_rules": "作出决定之后，政策包文件中的规则被修改过",
    "why_version_decides": "{version} 的决定是“{decision}”{categories}",
    "why_no_version": "{side} 在{at}没有生效的版本",
    "why_no_action": "{side} 没有“{action}”这个操作，因此没有任何限制",
    "why_version_not_in_side": "记录的版本 {version} 不在 {side} 中，无法比较它的规则",
    "why_nothing_restricts": "{version} 中没有任何规则限制该账户的“{action}”操作",
    # the lines around them
    "log_no_version": "无版本",
    "log_show_header": "{log}：{account}共有{count}个决定",
    "log_show_none": "{log}：{account}没有决定",
    "log_show_none_range": "{log}：{account}在此范围内没有决定",
    "log_show_record": "  记录 {seq}  {at}  {action}：{outcome}，依据 {bundle}@{version}",
    "log_show_changed": "  [记录后被改动]",
    "log_show_rules": "    规则：{rules}",
    "log_show_received": "    收到请求 {received_at}{known}；{facts}；编号 {id}",
    "log_show_known": "，按 {known_at} 时的已知信息",
    "log_replay_header": "{log}：按今天已知的信息重新判定了{count}个决定，其中{differing}个现在不同",
    "log_replay_record": "  记录 {seq}：{account} {action}，{at}：当时{recorded}，版本 {version} → 现在{now}，版本 {now_version} "
                         "[{causes}]",
}

WORDS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "en": MappingProxyType(_EN), "zh-CN": MappingProxyType(_ZH)})


def words_for(template_locale: str) -> Mapping[str, str]:
    """The words for the locale whose sentence template an answer uses (English when there are none)."""
    return WORDS.get(template_locale, WORDS["en"])


def category_title(bundle: Bundle, name: str, locale: str) -> str:
    """A category's title in ``locale`` (its name when the bundle has no such category)."""
    category = bundle.categories.get(name)
    return category.title_in(locale) if category else name


def event_title(bundle: Bundle, event_type: str) -> str:
    """An event type's title from the event catalog (its name when it has none)."""
    kind = bundle.events.get(event_type) if bundle.events else None
    return kind.title if kind is not None and kind.title else event_type


def value_words(value: object, bundle: Bundle, labels: Mapping[str, str]) -> str:
    """A fact's value as a reader reads it: yes/no, unknown, else its JSON value."""
    shown = json_value(value, bundle.timezone)
    if shown is None:
        return labels["unknown"]
    if isinstance(shown, bool):
        return labels["yes"] if shown else labels["no"]
    return str(shown)


def verdict_words(decision: str, choice: LocaleChoice) -> str:
    """A decision as the reader's language says it ("受限"); an unknown value as written."""
    return words_for(choice.words.locale).get(f"verdict_{decision}", decision)


def categories_words(blocked_by: tuple[str, ...] | list[str], bundle: Bundle | None, choice: LocaleChoice) -> str:
    """Blocking categories by title, in brackets ("（平台风控策略）"); nothing when there are none.
    Without a bundle the categories are named as written."""
    titles = [category_title(bundle, name, choice.locale) if bundle else name for name in blocked_by]
    words = words_for(choice.words.locale)
    return words["differs_categories"].format(categories=choice.words.join(titles)) if titles else ""


def outcome_words(decision: str, blocked_by: tuple[str, ...] | list[str], bundle: Bundle | None,
                  choice: LocaleChoice) -> str:
    """A decision and its blocking categories by title: "受限（平台风控策略）"."""
    return verdict_words(decision, choice) + categories_words(blocked_by, bundle, choice)


def difference_words(code: str, values: Mapping[str, object], bundle: Bundle, choice: LocaleChoice) -> str:
    """One reason the console gives for a logged decision that differs, as a sentence."""
    labels = words_for(choice.words.locale)

    def when(name: str) -> str:
        instant = values[name]
        assert isinstance(instant, datetime), name
        return choice.words.when(instant, bundle.timezone)

    def version(name: str) -> str:
        return str(values[name]) if values[name] is not None else labels["differs_no_version"]

    if code == "version":
        return labels["differs_version"].format(logged=version("logged"), today=version("today"), at=when("at"))
    if code == "fact":
        return labels["differs_fact"].format(name=values["name"], given=value_words(values["given"], bundle, labels),
                                             derived=value_words(values["derived"], bundle, labels))
    if code == "later-version":
        return labels["differs_later_version"].format(version=values["version"], published_at=when("published_at"))
    if code == "decision-changed":
        decision = str(values["decision"])
        verdict = labels.get(f"verdict_{decision}", decision)
        blocked = values["blocked_by"]
        assert isinstance(blocked, tuple)
        titles = [category_title(bundle, str(name), choice.locale) for name in blocked]
        categories = labels["differs_categories"].format(categories=choice.words.join(titles)) if titles else ""
        return labels["differs_decision"].format(decision=verdict[:1].lower() + verdict[1:]
                                                 if choice.words.locale == "en" else verdict, categories=categories)
    if code in ("happened-after", "recorded-late"):
        event = event_title(bundle, str(values["event_type"]))
        if code == "happened-after":
            return labels["differs_happened_after"].format(event=event, event_at=when("event_at"))
        return labels["differs_recorded_late"].format(event=event, event_at=when("event_at"),
                                                      recorded_at=when("recorded_at"))
    if code == "unexplained":
        return labels["differs_unexplained"]
    raise ValueError(f"no words for the difference {code!r}")  # a new code must get its words here


def why_words(code: str, values: Mapping[str, object], english: str, bundle: Bundle, choice: LocaleChoice) -> str:
    """One reason of ``log replay`` (a :class:`~chronolex.diff.decision_log.Why`: ``code``,
    ``values`` and its English sentence ``english``) in the reader's language."""
    words = words_for(choice.words.locale)
    key = "why_" + code.replace("-", "_")
    if key not in words:  # English, or a language without words for it: the engine's own sentence
        return english

    def when(instant: object) -> str:
        assert isinstance(instant, datetime), code
        return choice.words.when(instant, bundle.timezone)

    def version(name: str) -> str:
        return str(values[name]) if values[name] is not None else words["differs_no_version"]

    def categories(blocked: object) -> str:
        assert isinstance(blocked, (tuple, list))
        return categories_words([str(b) for b in blocked], bundle, choice)

    def shown(value: object) -> str:
        return value_words(value, bundle, words)

    text = words[key]
    if code == "retroactive-version":
        return text.format(version=values["version"], published_at=when(values["published_at"]),
                           received_at=when(values["received_at"]), at=when(values["at"]))
    if code == "changed-version":
        because = words["why_version_gone" if values["gone"] else "why_versions_changed"]
        return text.format(at=when(values["at"]), today=version("today"), logged=version("logged"),
                           because=because.format(logged=values["logged"]))
    if code == "late-events":
        events = values["events"]
        assert isinstance(events, (tuple, list))
        listed = [words["why_late_event"].format(event=event_title(bundle, str(e["event_type"])),
                                                 event_at=when(e["event_at"]), recorded_at=when(e["recorded_at"]))
                  for e in events]
        count = values["count"]
        assert isinstance(count, int)
        more = words["why_late_more"].format(count=count - len(listed)) if count > len(listed) else ""
        return text.format(count=count, received_at=when(values["received_at"]),
                           events=words["semicolon"].join(listed), more=more)
    if code == "changed-facts":
        facts = values["facts"]
        assert isinstance(facts, (tuple, list))
        return text.format(facts=words["semicolon"].join(
            words["why_changed_fact"].format(name=f["name"], logged=shown(f["logged"]), now=shown(f["now"]))
            for f in facts))
    if code in ("now-blocked", "no-longer-blocked", "now-undetermined", "no-longer-undetermined"):
        category = values["category"]
        title = category_title(bundle, str(category), choice.locale) if category is not None else None
        missing = values.get("missing") or ()
        assert isinstance(missing, (tuple, list))
        said = text.format(rule=values["rule"], category=title if code != "no-longer-blocked" else
                           (words["differs_categories"].format(categories=title) if title else ""),
                           missing=words["why_missing"].format(names=words["list_sep"].join(map(str, missing)))
                           if missing else "")
        origin = values["origin"]
        if origin is not None:
            said += words[f"why_origin_{origin}"].format(rule=values["rule"], version=values["version"],
                                                         recorded=values["recorded"])
        return said
    if code == "recorded-version-decides":
        return text.format(version=values["version"], decision=verdict_words(str(values["decision"]), choice),
                           categories=categories(values["blocked_by"]),
                           logged=verdict_words(str(values["logged"]), choice),
                           since=words[f"why_since_{values['since']}"])
    if code == "version-decides":
        return text.format(version=values["version"], decision=verdict_words(str(values["decision"]), choice),
                           categories=categories(values["blocked_by"]))
    if code == "no-version":
        return text.format(side=values["side"], at=when(values["at"]))
    if code == "no-action":
        return text.format(side=values["side"], action=values["action"])
    if code == "version-not-in-side":
        return text.format(version=values["version"], side=values["side"])
    assert code == "nothing-restricts", code
    return text.format(version=values["version"], action=values["action"])
