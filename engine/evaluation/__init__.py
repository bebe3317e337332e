"""Evaluation: facts derived from a history at (T, K), rules assessed against them, the
change points after T, and the decision with its explanation (``decide``, ``timeline``).

The package is named for the stage, not ``decide``, so that ``chronolex.decide`` stays
the public function.
"""
