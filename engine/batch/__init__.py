"""Batch replay: every account of a population decided at one instant by a SQL engine.

The per-account engine (``chronolex.evaluation``) answers one account at a time in
Python; this stage compiles the version in force into one query and runs it in DuckDB
(embedded) or Apache Spark (distributed) over a columnar event table. See docs/batch.md.
"""
