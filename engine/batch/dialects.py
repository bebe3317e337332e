"""A plan's expression tree rendered as the SQL of one engine.

sqlglot writes each node in the dialect asked for (``ARG_MAX`` in DuckDB is ``MAX_BY`` in
Spark, ``//`` is ``DIV``). The few functions it does not map are named here, once:
the plan builds them under their DuckDB names and :func:`render` renames them.
"""

from __future__ import annotations

from sqlglot import exp

#: Engines a plan renders for.
DIALECTS = ("duckdb", "spark")

#: DuckDB function name → its Spark SQL equivalent, for functions sqlglot leaves alone.
_SPARK_NAMES = {
    "EPOCH_US": "UNIX_MICROS",  # TIMESTAMP WITH TIME ZONE → microseconds since the epoch
}


def render(tree: exp.Expr, dialect: str) -> str:
    """``tree`` as SQL text for ``dialect`` (one of :data:`DIALECTS`)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    if dialect == "spark":
        tree = tree.transform(_spark_names)
    return tree.sql(dialect=dialect, pretty=True)


def _spark_names(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Anonymous) and node.name.upper() in _SPARK_NAMES:
        return exp.Anonymous(this=_SPARK_NAMES[node.name.upper()], expressions=[e.copy() for e in node.expressions])
    return node
