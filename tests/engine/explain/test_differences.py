"""Every reason ``log replay`` gives has Chinese words, and English stays the engine's own sentence."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

import chronolex
from chronolex.explain.differences import WORDS, why_words
from tests.conftest import HUABEI, ROOT

BUNDLE = chronolex.load_bundle(HUABEI)
ZH = chronolex.choose_locale(BUNDLE, "zh-CN")
EN = chronolex.choose_locale(BUNDLE, "en")
T = datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc)
RULE = {"rule": "PLAT-SCORE-FLOOR", "category": "platform", "origin": None, "recorded": None, "version": None}

#: Values of each code as the engine gives them (diff/decision_log.py), with the Chinese each reads as.
CASES = {
    "retroactive-version": ({"version": "2025.07", "published_at": T, "received_at": T, "at": T},
                            "追溯生效的版本：2025.07 发布于北京时间2026年3月16日 10:00，晚于作出此决定的时间（北京时间2026年3月16日 10:00），"
                            "但在北京时间2026年3月16日 10:00已经生效"),
    "changed-version": ({"at": T, "today": None, "logged": "2024.01", "gone": True},
                        "北京时间2026年3月16日 10:00生效的版本现在是 无，而不是 2024.01（2024.01 已不在政策包中）"),
    "late-events": ({"received_at": T, "count": 4, "events": tuple(
                        {"event_type": "loan_disbursed", "event_at": T, "recorded_at": T} for _ in range(3))},
                    None),
    "changed-facts": ({"facts": ({"name": "kyc_verified", "logged": True, "now": False},
                                 {"name": "credit_score", "logged": 690, "now": None})},
                      "事实有变化：kyc_verified 决定时为 是，现在为 否；credit_score 决定时为 690，现在为 未知"),
    "now-blocked": ({**RULE, "origin": "changed", "recorded": "2025.07", "version": "2026.03"},
                    "现在受规则 PLAT-SCORE-FLOOR（平台策略）限制：PLAT-SCORE-FLOOR 从 2025.07 到 2026.03 有修改"),
    "no-longer-blocked": ({**RULE, "origin": "removed", "recorded": "2025.07", "version": "2026.03"},
                          "不再受规则 PLAT-SCORE-FLOOR（平台策略）限制：2026.03 中没有 PLAT-SCORE-FLOOR"),
    "now-undetermined": ({**RULE, "missing": ("credit_score", "kyc_verified")},
                         "现在无法判断：规则 PLAT-SCORE-FLOOR（平台策略）无法判定，缺少 credit_score、kyc_verified"),
    "no-longer-undetermined": (RULE, "不再无法判断：规则 PLAT-SCORE-FLOOR（平台策略）"),
    "recorded-version-decides": ({"version": "2025.07", "decision": "allowed", "blocked_by": (),
                                  "logged": "blocked", "since": "rules"},
                                 "2025.07 本身现在的决定是“不受限制”，而不是“受限”：作出决定之后，政策包文件中的规则被修改过"),
    "version-decides": ({"version": "2026.03", "decision": "blocked", "blocked_by": ("regulation", "platform")},
                        "2026.03 的决定是“受限”（监管规定和平台策略）"),
    "no-version": ({"side": "huabei", "at": T}, "huabei 在北京时间2026年3月16日 10:00没有生效的版本"),
    "no-action": ({"side": "huabei", "action": "fly"}, "huabei 没有“fly”这个操作，因此没有任何限制"),
    "version-not-in-side": ({"version": "2024.01", "side": "huabei"}, "记录的版本 2024.01 不在 huabei 中，无法比较它的规则"),
    "nothing-restricts": ({"version": "2026.03", "action": "open"}, "2026.03 中没有任何规则限制该账户的“open”操作"),
}


def test_every_code_of_the_schema_has_chinese_words() -> None:
    schema = json.loads((ROOT / "schemas" / "diff.schema.json").read_text(encoding="utf-8"))
    item = schema["$defs"]["decision_log"]["properties"]["differing"]["items"]
    codes = item["properties"]["why"]["items"]["properties"]["code"]["enum"]
    assert sorted(codes) == sorted(CASES)
    assert all("why_" + code.replace("-", "_") in WORDS["zh-CN"] for code in codes)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_reason_reads_in_chinese_and_in_english_as_the_engine_wrote_it(code: str) -> None:
    values, expected = CASES[code]
    said = why_words(code, values, "the engine's sentence", BUNDLE, ZH)
    if expected is not None:
        assert said == expected
    left = re.sub(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+|[a-z0-9]+(_[a-z0-9]+)+|huabei|\bfly\b|\bopen\b", "", said)
    for kind in (BUNDLE.events or {}).values():
        left = left.replace(kind.title or "\0", "")
    assert re.findall(r"[A-Za-z]{3,}", left) == [], said
    assert why_words(code, values, "the engine's sentence", BUNDLE, EN) == "the engine's sentence"


def test_late_events_beyond_the_listed_are_counted() -> None:
    said = why_words("late-events", CASES["late-events"][0], "", BUNDLE, ZH)
    assert said.startswith("迟到记录的事件：4个事件发生在决定之前")
    assert said.count("记录于北京时间2026年3月16日 10:00") == 3 and said.endswith("，另有1个")
