"""Log four decisions the way ``chronolex serve`` does, into the decision log named on the
command line: each request decided with what was published and recorded when it arrived.

    python docs/examples/decision-log/log_decisions.py decisions.db

1. acct-1001 asks to open Huabei on 2026-03-16 10:00: blocked by recent borrowing;
2. acct-1006 on 2025-07-10: allowed under 2025.01 (2025.07, in force from 1 July, was
   published only on 15 July);
3. acct-1009 on 2026-02-12: allowed with the credit score then on record (a lower score
   from 10 February reached the platform on 14 February);
4. acct-1001 on 2026-03-17, on facts the caller gave.
"""

from __future__ import annotations

import sys

import chronolex

bundle = chronolex.load_bundle("policies/huabei")
zone = bundle.timezone
events = chronolex.open_source(["policies/huabei/examples/events.jsonl"], zone, catalog=bundle.events)


def logged(account: str, at_text: str, received_text: str, given: dict[str, object] | None = None) -> chronolex.NewDecision:
    at, received = chronolex.parse_instant(at_text, zone), chronolex.parse_instant(received_text, zone)
    if given is None:  # facts from the events recorded by the time the request arrived
        history = events.history(account)
        facts = chronolex.derive_facts(bundle, history, at, received)
        decision = chronolex.decide(bundle, history, "open", at, received)
    else:
        facts = chronolex.given_facts(bundle, given, at)
        decision = chronolex.decide_with_facts(bundle, facts, "open", at)
    return chronolex.NewDecision(
        at=chronolex.format_instant(at, zone), received_at=chronolex.format_instant(received, zone), known_at=None,
        account=account, action="open", bundle=bundle.name,
        version=decision.version.id if decision.version else None,
        facts={name: chronolex.json_value(value.value, zone) for name, value in sorted(facts.items())},
        facts_given=given is not None, decision=decision.decision, blocked_by=decision.blocked_by,
        rules=tuple(reason.rule.id for reason in decision.reasons))


with chronolex.DecisionLog(sys.argv[1], create=True) as log:
    log.append([
        logged("acct-1001", "2026-03-16T10:00", "2026-03-16T10:00:00.004"),
        logged("acct-1006", "2025-07-10T10:00", "2025-07-10T10:00:01"),
        logged("acct-1009", "2026-02-12T10:00", "2026-02-12T10:00:01"),
        logged("acct-1001", "2026-03-17T10:00", "2026-03-17T10:00:01", {"credit_score": 580, "kyc_verified": True}),
    ])
    print(f"{log.count()} decisions logged")
