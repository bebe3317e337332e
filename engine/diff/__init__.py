"""Comparing two policies: the sides and how users name them, the structural diff of the
text, the semantic diff proved with a solver, the impact on accounts, and decision logs
decided again under a new policy."""
