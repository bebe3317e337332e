"""Facts given directly (``chronolex.evaluation.given``): ``read_facts`` and ``given_facts``.

What is checked, against the shipped bundle's fact catalog:

- ``read_facts`` reads JSON or YAML with the bounded YAML 1.2 reader: ``yes`` stays the
  string "yes", a date stays text until the fact's type reads it, ``null`` is unknown,
  a duplicate key is an error;
- an unknown fact or a bad value raises ``ChronolexError`` whose first diagnostic has
  code ``unknown-fact`` / ``bad-fact-value`` and a span with the file, line and column
  of the key; a file that is not a mapping, or cannot be read, is reported too;
- ``given_facts`` coerces each value to its declared type, gives facts not given what an
  empty history gives (``count`` 0, ``exists`` false, the default, or unknown), computes
  ``expr`` facts from the rest (an age at ``at``) unless they are given, and feeds
  ``decide_with_facts``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import chronolex
from chronolex import UNKNOWN, ChronolexError, decide_with_facts, given_facts, read_facts
from tests.conftest import HUABEI
from tests.helpers.bundles import write
from tests.replay_strategies import local


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


def values(facts: dict[str, chronolex.FactValue]) -> dict[str, object]:
    return {name: fact.value for name, fact in facts.items()}


def failure(path: Path, bundle: chronolex.Bundle) -> chronolex.Diagnostic:
    with pytest.raises(ChronolexError) as caught:
        read_facts(path, bundle, local("2026-03-16T10:00", bundle.timezone))
    return caught.value.diagnostics[0]


# -- reading files ------------------------------------------------------------------------------


def test_yaml_is_read_as_yaml_1_2(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    write(path, "occupation: yes\nkyc_verified: true\nbirth_date: 2008-02-29\nborrowed_30d: 1234.50\n"
                "credit_score: null\n")
    facts = values(read_facts(path, huabei, local("2026-03-16T10:00", huabei.timezone)))
    assert facts["occupation"] == "yes"  # not the YAML 1.1 boolean true
    assert facts["kyc_verified"] is True
    assert facts["birth_date"] == date(2008, 2, 29)  # read by the fact's type, not by YAML
    assert facts["borrowed_30d"] == Decimal("1234.5") and isinstance(facts["borrowed_30d"], Decimal)
    assert facts["credit_score"] is UNKNOWN
    assert facts["age"] == 18


def test_yes_is_not_a_boolean(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    write(path, "credit_score: 700\nkyc_verified: yes\n")
    problem = failure(path, huabei)
    assert (problem.code, problem.message) == ("bad-fact-value", "fact 'kyc_verified': 'yes' is not a bool")
    assert problem.span is not None and (problem.span.file, problem.span.line, problem.span.column) == (str(path), 2, 1)
    assert problem.help == "give a bool (null: unknown)"


def test_json_is_read_too(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    write(path, '{"credit_score": 580, "kyc_verified": true, "account_tier": "pilot", "borrowed_30d": 6300.5}\n')
    facts = values(read_facts(path, huabei, local("2026-03-16T10:00", huabei.timezone)))
    assert (facts["credit_score"], facts["kyc_verified"], facts["account_tier"]) == (580, True, "pilot")
    assert facts["borrowed_30d"] == Decimal("6300.5")


def test_a_duplicate_key_is_an_error(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    write(path, "credit_score: 580\ncredit_score: 720\n")
    problem = failure(path, huabei)
    assert (problem.code, problem.message) == ("duplicate-key", "duplicate key 'credit_score' in this mapping")
    assert problem.span is not None and (problem.span.file, problem.span.line) == (str(path), 2)


def test_an_unknown_fact_is_reported_at_its_key(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    write(path, '{"credit_score": 580,\n "credit_scor": 1}\n')
    problem = failure(path, huabei)
    assert (problem.code, problem.message) == ("unknown-fact", "unknown fact 'credit_scor'")
    assert problem.span is not None and (problem.span.file, problem.span.line, problem.span.column) == (str(path), 2, 2)
    assert problem.help == "the facts are: " + ", ".join(sorted(huabei.facts))


def test_a_bad_value_is_reported_at_its_key(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    write(path, "kyc_verified: true\n# the score\ncredit_score: high\n")
    problem = failure(path, huabei)
    assert (problem.code, problem.message) == ("bad-fact-value", "fact 'credit_score': 'high' is not a int")
    assert problem.span is not None and (problem.span.file, problem.span.line, problem.span.column) == (str(path), 3, 1)


@pytest.mark.parametrize(("text", "message"), [
    ("account_status: closd\n", "fact 'account_status': 'closd' is not a enum[active, frozen, closed]"),
    ("birth_date: 2026-02-30\n", "fact 'birth_date': '2026-02-30' is not a valid date (day is out of range for month)"),
    ("credit_score: 580.5\n", "fact 'credit_score': 580.5 is not a int"),
    ("credit_score: true\n", "fact 'credit_score': True is not a int"),
    ("kyc_verified: 1\n", "fact 'kyc_verified': 1 is not a bool"),
])
def test_values_of_the_wrong_type_are_bad_fact_values(huabei: chronolex.Bundle, tmp_path: Path, text: str,
                                                      message: str) -> None:
    path = tmp_path / "facts.yaml"
    write(path, text)
    problem = failure(path, huabei)
    assert (problem.code, problem.message) == ("bad-fact-value", message)
    assert problem.span is not None and problem.span.line == 1


@pytest.mark.parametrize("text", ["- credit_score\n- 580\n", "", "just text\n"])
def test_a_file_that_is_not_a_mapping_is_refused(huabei: chronolex.Bundle, tmp_path: Path, text: str) -> None:
    path = tmp_path / "facts.yaml"
    write(path, text)
    problem = failure(path, huabei)
    assert (problem.code, problem.message) == ("facts-not-a-mapping", "expected a mapping of fact name to value")


def test_a_missing_file_is_an_io_error(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    problem = failure(tmp_path / "nope.yaml", huabei)
    assert problem.code == "io-error" and problem.message.startswith("cannot read the facts")
    assert problem.span is not None and problem.span.file == str(tmp_path / "nope.yaml")


def test_yaml_tags_are_refused(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    write(path, "credit_score: !!python/object:os.system 1\n")
    assert failure(path, huabei).code == "yaml-tag"


# -- given_facts ---------------------------------------------------------------------------------


def test_facts_not_given_are_what_an_empty_history_gives(huabei: chronolex.Bundle) -> None:
    facts = values(given_facts(huabei, {"credit_score": 580}, local("2026-03-16T10:00", huabei.timezone)))
    assert set(facts) == set(huabei.facts)
    assert facts["credit_score"] == 580
    assert facts["kyc_verified"] is False           # exists: false without an event
    assert facts["login_failures_24h"] == 0          # count: 0
    assert facts["account_status"] == "active"       # the default
    assert facts["borrowed_30d"] == Decimal("0")
    assert facts["birth_date"] is UNKNOWN            # no default
    assert facts["age"] is UNKNOWN                   # computed from an unknown birth date
    assert facts["days_since_password_reset"] is UNKNOWN


def test_expr_facts_are_computed_at_the_instant_unless_given(huabei: chronolex.Bundle) -> None:
    zone = huabei.timezone
    born = {"birth_date": "2008-02-29"}
    assert given_facts(huabei, born, local("2026-02-28T23:59", zone))["age"].value == 17
    assert given_facts(huabei, born, local("2026-03-01T00:00", zone))["age"].value == 18
    assert given_facts(huabei, {**born, "age": 40}, local("2026-03-01", zone))["age"].value == 40


def test_values_are_coerced_to_their_declared_types(huabei: chronolex.Bundle) -> None:
    facts = values(given_facts(huabei, {"borrowed_30d": "12.50", "birth_date": date(2008, 2, 29),
                                        "credit_score": None, "large_loans_30d": 3},
                               local("2026-03-16T10:00", huabei.timezone)))
    assert facts["borrowed_30d"] == Decimal("12.50") and isinstance(facts["borrowed_30d"], Decimal)
    assert facts["birth_date"] == date(2008, 2, 29)
    assert facts["credit_score"] is UNKNOWN
    assert facts["large_loans_30d"] == 3


def test_given_values_have_no_events_behind_them(huabei: chronolex.Bundle) -> None:
    facts = given_facts(huabei, {"credit_score": 580}, local("2026-03-16T10:00", huabei.timezone))
    assert facts["credit_score"].events == () and facts["credit_score"].total_events == 0


def test_given_facts_raises_without_a_span_when_none_is_known(huabei: chronolex.Bundle) -> None:
    with pytest.raises(ChronolexError) as caught:
        given_facts(huabei, {"credit_score": "580"}, local("2026-03-16T10:00", huabei.timezone))
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.span) == ("bad-fact-value", None)
    with pytest.raises(ChronolexError) as unknown:
        given_facts(huabei, {"score": 1}, local("2026-03-16T10:00", huabei.timezone))
    assert unknown.value.diagnostics[0].code == "unknown-fact"


def test_decide_with_given_facts(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    write(path, "credit_score: 580\nkyc_verified: true\n")
    when = local("2026-03-16T10:00", huabei.timezone)
    decision = decide_with_facts(huabei, read_facts(path, huabei, when), "open", when)
    assert decision.decision == "blocked"
    assert decision.blocked_by == ("regulation", "platform")
    assert [r.rule.id for r in decision.reasons] == ["REG-CREDIT-CONSENT", "REG-MINORS", "PLAT-SCORE-FLOOR"]
    assert decision.account is None
