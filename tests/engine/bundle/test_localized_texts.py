"""Rule, category and action texts written as a string or as a map by locale."""

from __future__ import annotations

from pathlib import Path

import chronolex
from tests.helpers.bundles import MINI_BUNDLE, codes, mini, version

RULE = ("  - id: R1\n    category: platform\n    actions: [open]\n    when: score < 600\n"
        "    title: {en: Score floor, zh-CN: 信用分门槛}\n"
        "    message: {en: Score too low, zh-CN: 信用分过低}\n"
        "    remedy: Wait for a better score\n")


def test_a_map_by_locale_and_a_plain_string_in_the_default_locale(tmp_path: Path) -> None:
    bundle = chronolex.load_bundle(mini(tmp_path, ("a.yaml", version("A", rules=RULE))))
    [rule] = bundle.versions[0].rules
    assert rule.message == "Score too low"  # readers of the plain field see the default locale
    assert rule.text("message", "zh-CN") == "信用分过低"
    assert rule.text("remedy", "zh-CN") == "Wait for a better score"  # not written in zh-CN: the default
    assert rule.texts["en"]["remedy"] == "Wait for a better score" and "remedy" not in rule.texts["zh-CN"]
    assert bundle.locales == ("en", "zh-CN")


def test_default_locale_decides_what_a_plain_string_is(tmp_path: Path) -> None:
    manifest = MINI_BUNDLE + "default_locale: zh-CN\ncategories:\n  platform: {precedence: 2, title: {en: Platform, zh-CN: 平台}}\n"
    rules = "  - {id: R1, category: platform, actions: [open], when: score < 600, message: 信用分过低}\n"
    bundle = chronolex.load_bundle(mini(tmp_path, ("a.yaml", version("A", rules=rules)), bundle=manifest))
    [rule] = bundle.versions[0].rules
    assert bundle.default_locale == "zh-CN" and rule.texts == {"zh-CN": {"message": "信用分过低"}}
    assert bundle.categories["platform"].title == "平台" and bundle.categories["platform"].title_in("en") == "Platform"


def test_a_text_map_with_a_bad_locale_or_a_non_string_is_a_schema_error(tmp_path: Path) -> None:
    rules = "  - {id: R1, category: platform, actions: [open], when: score < 600, message: {English: Low}}\n"
    assert "invalid-text" in codes(mini(tmp_path, ("a.yaml", version("A", rules=rules))))


def test_a_rule_missing_a_locale_others_have_is_an_error_at_the_text(tmp_path: Path) -> None:
    plain = "  - {id: R2, category: platform, actions: [borrow], when: score < 500, message: Too low to borrow}\n"
    root = mini(tmp_path, ("a.yaml", version("A", rules=RULE + plain)))
    findings = [d for d in chronolex.check_bundle(root).diagnostics if d.code == "missing-locale"]
    assert [(d.message.split(":")[0], d.span.line if d.span else None) for d in findings] == [
        ("rule 'R1'", 11),  # R1's remedy is in en only
        ("rule 'R2'", 12),  # R2's message is in en only
    ]
    assert all(d.severity is chronolex.Severity.ERROR and "no zh-CN text" in d.message for d in findings)
    assert not chronolex.check_bundle(root).ok


def test_the_shipped_bundle_has_every_text_in_english_and_chinese() -> None:
    from tests.conftest import HUABEI
    report = chronolex.check_bundle(HUABEI)
    assert not [d for d in report.diagnostics if d.code == "missing-locale"]
    bundle = chronolex.load_bundle(HUABEI)
    for version in bundle.versions:
        for rule in version.rules:
            for name in ("title", "message", "remedy"):
                assert rule.text(name, "zh-CN") and rule.text(name, "zh-CN") != rule.text(name, "en"), (rule.id, name)


def test_an_action_title_for_an_action_the_bundle_lacks_is_an_error_at_its_key(tmp_path: Path) -> None:
    manifest = MINI_BUNDLE + "action_titles:\n  open: {en: Opening}\n  lend: {en: Lending}\n"
    report = chronolex.check_bundle(mini(tmp_path, ("a.yaml", version("A")), bundle=manifest))
    [finding] = [d for d in report.diagnostics if d.code == "unknown-action"]
    assert finding.span is not None and (finding.span.line, finding.span.column) == (9, 3)  # the key `lend`
    assert "'lend'" in finding.message


def test_a_category_or_action_title_missing_a_locale_is_a_warning_naming_it(tmp_path: Path) -> None:
    # An answer in zh-CN names the action and the categories: a title written only in
    # English would be the one English phrase in a Chinese sentence.
    manifest = (MINI_BUNDLE + "action_titles:\n  open: {en: Opening, zh-CN: 开通}\n  borrow: Borrowing\n"
                "categories:\n  platform: {precedence: 2, title: Platform}\n")
    rules = RULE.replace("    remedy: Wait for a better score\n", "")
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)), bundle=manifest)
    report = chronolex.check_bundle(root)
    found = [(d.severity, d.message.split(" has ")[0], d.help) for d in report.diagnostics
             if d.code == "missing-title-locale"]
    assert sorted(found, key=str) == sorted([
        (chronolex.Severity.WARNING, "the title of action 'borrow'",
         "write borrow: {en: …, zh-CN: …} under action_titles"),
        (chronolex.Severity.WARNING, "the title of category 'platform'",
         "write title: {en: …, zh-CN: …} under categories: platform"),
    ], key=str)
    assert report.ok  # a warning: the bundle still loads and serves
    single = mini(tmp_path / "single", ("a.yaml", version("A")),
                  bundle=MINI_BUNDLE + "action_titles:\n  borrow: Borrowing\n")
    assert "missing-title-locale" not in codes(single)  # one locale: nothing can be missing
