"""Differential tests: chronolex against an independent engine (GoRules ZEN) on the same rules."""
