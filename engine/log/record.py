"""One logged decision: what was asked, when, under which version, and what was decided.

The chain's arithmetic lives here too, because it is a property of a record and not of
the file that holds it: :func:`canonical_json` is the one text a record's fields hash
to, :func:`chain_hash` links it to the record before, and :func:`decision_id` names it.
A reader can recompute all three from ``log export`` output with any SHA-256 tool::

    hash = sha256(prev_hash + canonical_json(seq and the NewDecision fields))
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DECISIONS", "GENESIS", "DecisionRecord", "NewDecision", "canonical_json", "chain_hash", "decision_id"]

#: The ``prev_hash`` of the first record: there is none before it.
GENESIS = "0" * 64

#: The decision values a record may hold (the engine's outcomes, DESIGN of a decision).
DECISIONS = ("allowed", "blocked", "undetermined", "no_policy")

#: The fields of a :class:`NewDecision`, in the order a document shows them.
ENTRY_FIELDS = ("at", "received_at", "known_at", "account", "action", "bundle", "version", "facts",
                "facts_given", "decision", "blocked_by", "rules")


@dataclass(frozen=True)
class NewDecision:
    """A decision about to be logged, as the service made it.

    Instants are ISO 8601 with an offset (``format_instant``): ``at`` is the instant the
    decision is about (the request's ``at``, or the server's clock when none was given),
    ``received_at`` the server's clock when the request arrived, ``known_at`` the
    knowledge cut used (None: everything recorded). ``facts`` are the fact values the
    decision used, as JSON values (unknown facts as null); ``facts_given`` is True when the
    caller gave them and False when they were derived from the event store.
    """

    at: str
    received_at: str
    known_at: str | None
    account: str
    action: str
    bundle: str
    version: str | None
    facts: Mapping[str, Any]
    facts_given: bool
    decision: str
    blocked_by: tuple[str, ...]
    rules: tuple[str, ...]

    def fields(self) -> dict[str, Any]:
        """The fields as plain JSON values (tuples as lists), in :data:`ENTRY_FIELDS` order."""
        return {
            "at": self.at,
            "received_at": self.received_at,
            "known_at": self.known_at,
            "account": self.account,
            "action": self.action,
            "bundle": self.bundle,
            "version": self.version,
            "facts": dict(self.facts),
            "facts_given": self.facts_given,
            "decision": self.decision,
            "blocked_by": list(self.blocked_by),
            "rules": list(self.rules),
        }


def canonical_json(value: object) -> str:
    """The one text of a JSON value: sorted keys, no spaces, non-ASCII kept (hashed as UTF-8).

    Raises ``ValueError`` for what JSON cannot hold exactly (NaN, infinities, objects).

    >>> canonical_json({"b": [1, 2.5], "a": "é", "c": None})
    '{"a":"é","b":[1,2.5],"c":null}'
    """
    return _CANONICAL.encode(value)


#: One encoder for every call: ``json.dumps`` with options builds a new one each time.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def chain_hash(prev_hash: str, seq: int, entry: NewDecision) -> str:
    """SHA-256 (hex) over ``prev_hash`` followed by the canonical JSON of ``seq`` and the entry.

    ``seq`` is hashed so that a record moved to another place no longer matches;
    ``prev_hash`` so that a record changed, removed or put in between breaks the link
    of the one after it.

    >>> entry = NewDecision("2026-03-16T10:00:00+08:00", "2026-03-16T10:00:00.012+08:00", None,
    ...                     "acct-1001", "open", "huabei", "2026.03", {"credit_score": 580}, False,
    ...                     "blocked", ("platform",), ("PLAT-SCORE-FLOOR",))
    >>> len(chain_hash(GENESIS, 1, entry))
    64
    """
    content = canonical_json({"seq": seq, **entry.fields()})
    return hashlib.sha256(prev_hash.encode("ascii") + content.encode("utf-8")).hexdigest()


def decision_id(hash_: str) -> str:
    """The id a record is known by: the first 32 hex digits (128 bits) of its hash.

    Derived, not drawn: the same log always names its records the same way, and an id
    quoted in a support ticket can be checked against the record it names.

    >>> decision_id("ab" * 32)
    'abababababababababababababababab'
    """
    return hash_[:32]


@dataclass(frozen=True)
class DecisionRecord:
    """A logged decision: a :class:`NewDecision` with its place in the chain.

    ``seq`` counts from 1; ``prev_hash`` is the ``hash`` of record ``seq - 1`` (64 zeros
    for the first); ``hash`` is SHA-256 over the canonical JSON of every other field, so
    the chain breaks where anything changes. ``decision_id`` is derived from the hash,
    so the same log always names its records the same way.
    """

    decision_id: str
    seq: int
    entry: NewDecision
    prev_hash: str
    hash: str

    def intact(self) -> bool:
        """Whether the record's own fields still give its hash and id (the link to the record
        before it is :meth:`~chronolex.log.store.DecisionLog.verify`'s to check)."""
        try:
            hash_ = chain_hash(self.prev_hash, self.seq, self.entry)
        except (ValueError, TypeError, UnicodeError):
            return False
        return hash_ == self.hash and self.decision_id == decision_id(hash_)

    def document(self) -> dict[str, Any]:
        """The record as JSON (what ``log show`` and ``log export`` write), keys in a fixed order:
        ``decision_id``, ``seq``, the :class:`NewDecision` fields, ``prev_hash``, ``hash``.

        Facts are sorted by name, so the same record always gives the same bytes.
        """
        fields = self.entry.fields()
        fields["facts"] = {name: fields["facts"][name] for name in sorted(fields["facts"])}
        return {"decision_id": self.decision_id, "seq": self.seq, **fields,
                "prev_hash": self.prev_hash, "hash": self.hash}
