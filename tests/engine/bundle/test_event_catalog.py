"""The event catalog of bundle.yaml (``events``): validate checks every derivation and
``where`` against it, and a bundle without one is told what it risks."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

import chronolex
from tests.conftest import HUABEI


@pytest.fixture()
def huabei(tmp_path: Path) -> Path:
    root = tmp_path / "huabei"
    shutil.copytree(HUABEI, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def findings(root: Path) -> list[chronolex.Diagnostic]:
    return list(chronolex.check_bundle(root).diagnostics)


def errors(root: Path) -> list[chronolex.Diagnostic]:
    return [d for d in findings(root) if d.severity is chronolex.Severity.ERROR]


def test_the_shipped_bundle_declares_every_event_type_its_facts_read() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    assert bundle.events is not None
    for fact in bundle.facts.values():
        if fact.derive is not None:
            declared = bundle.events[fact.derive.event_type]
            assert fact.derive.field is None or fact.derive.field in declared.fields
    assert "no-event-catalog" not in {d.code for d in findings(HUABEI)}


def test_a_misspelt_event_type_in_a_derivation_is_an_error_with_a_suggestion(huabei: Path) -> None:
    # The reproduction: `count: login_faild` validated clean and `why` flipped to Allowed.
    edit(huabei / "bundle.yaml", "count: login_failed,", "count: login_faild,")
    [error] = errors(huabei)
    assert error.code == "unknown-event-type"
    assert "'login_faild'" in error.message and error.help == "did you mean `login_failed`?"
    assert error.span is not None and error.span.file.endswith("bundle.yaml")
    line = (huabei / "bundle.yaml").read_text(encoding="utf-8").splitlines()[error.span.line - 1]
    assert "login_faild" in line[error.span.column - 1:]


def test_a_misspelt_field_in_a_derivation_is_an_error(huabei: Path) -> None:
    edit(huabei / "bundle.yaml", "sum: loan_disbursed.amount", "sum: loan_disbursed.amout")
    [error] = errors(huabei)
    assert error.code == "unknown-event-field"
    assert error.help == "did you mean `loan_disbursed.amount`?"


def test_a_field_whose_type_does_not_fit_the_fact_is_an_error(huabei: Path) -> None:
    edit(huabei / "bundle.yaml", "fields: {score: int, source: string}", "fields: {score: string, source: string}")
    [error] = errors(huabei)
    assert error.code == "type-mismatch"
    assert "credit_score_updated.score is declared string" in error.message and "int" in error.message


@pytest.mark.parametrize("field_type, fact_type, fits", [("int", "decimal", True), ("decimal", "int", False)])
def test_a_whole_number_field_fits_a_decimal_fact_and_not_the_reverse(huabei: Path, field_type: str,
                                                                       fact_type: str, fits: bool) -> None:
    edit(huabei / "bundle.yaml", "fields: {score: int, source: string}", f"fields: {{score: {field_type}, source: string}}")
    edit(huabei / "bundle.yaml", "type: int\n    title: Latest credit score", f"type: {fact_type}\n    title: Latest credit score")
    found = [d.code for d in errors(huabei)]
    assert ("type-mismatch" not in found) == fits, found


@pytest.mark.parametrize("field_type, fits", [
    ("{enum: [active, frozen, closed]}", True),
    ("{enum: [active, frozen]}", True),
    ("{enum: [active, frozen, gone]}", False),
    ("string", False),
])
def test_an_enum_fact_takes_a_field_of_the_same_or_a_smaller_enum(huabei: Path, field_type: str, fits: bool) -> None:
    edit(huabei / "bundle.yaml", "fields: {status: {enum: [active, frozen, closed]}, reason: string}",
         f"fields: {{status: {field_type}, reason: string}}")
    found = [d.code for d in errors(huabei)]
    assert ("type-mismatch" not in found) == fits, found


def test_where_conditions_are_typed_against_the_event_fields(huabei: Path) -> None:
    edit(huabei / "bundle.yaml", 'where: "amount >= 1000"', 'where: "amont >= 1000"')
    [error] = errors(huabei)
    assert error.code == "unknown-event-field"
    assert error.message == "event type 'loan_disbursed' has no field 'amont'"
    assert error.help == "did you mean `amount`?"


def test_a_where_comparing_a_field_with_the_wrong_type_is_an_error(huabei: Path) -> None:
    edit(huabei / "bundle.yaml", 'where: "amount >= 1000"', "where: \"amount >= 'large'\"")
    assert [d.code for d in errors(huabei)] == ["type-mismatch"]


def test_a_bundle_without_a_catalog_warns_and_keeps_todays_behaviour(huabei: Path) -> None:
    text = (huabei / "bundle.yaml").read_text(encoding="utf-8")
    start, end = text.index("events:\n"), text.index("facts:\n")
    (huabei / "bundle.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    report = chronolex.check_bundle(huabei)
    [warning] = [d for d in report.diagnostics if d.code == "no-event-catalog"]
    assert warning.severity is chronolex.Severity.WARNING
    assert not [d for d in report.diagnostics if d.severity is chronolex.Severity.ERROR]
    bundle = chronolex.load_bundle(huabei)
    assert bundle.events is None
    # Events are not checked: a type nobody declares is read (and counts as nothing).
    event = chronolex.Event("a", chronolex.parse_instant("2026-03-01", bundle.timezone), "anything",
                            chronolex.parse_instant("2026-03-01", bundle.timezone))
    assert chronolex.decide(bundle, chronolex.AccountHistory("a", [event]), "open",
                            chronolex.parse_instant("2026-03-02", bundle.timezone)).decision


def test_a_where_reads_fields_as_their_declared_types(huabei: Path) -> None:
    """A decimal written as text ("1500") passes the catalog, so the `where` must read it as a
    number: before the catalog it compared text with a number and silently matched nothing."""
    bundle = chronolex.load_bundle(huabei)
    zone = bundle.timezone
    at = chronolex.parse_instant("2026-03-01T10:00", zone)
    event = chronolex.Event("a", at, "loan_disbursed", at, {"amount": "1500"})
    history = chronolex.AccountHistory("a", [event])
    later = chronolex.parse_instant("2026-03-02", zone)
    facts = chronolex.derive_facts(bundle, history, later)
    assert facts["large_loans_30d"].value == 1
    assert facts["borrowed_30d"].value == Decimal("1500")
