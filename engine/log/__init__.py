"""The decision log: every decision the service made, append-only and hash-chained.

An auditor a year later needs what the platform actually decided, not what a replay says
today. Each record carries the hash of the one before, so a changed, inserted or deleted
record is found by :meth:`DecisionLog.verify`.
"""

from chronolex.log.record import DecisionRecord, NewDecision
from chronolex.log.store import DecisionLog, LogVerification

__all__ = ["DecisionLog", "DecisionRecord", "LogVerification", "NewDecision"]
