"""Time by itself: recurring windows, when a rule is active by time alone, which policy
version is in force when (as known when), and temporal things in words.

Instants, dates and durations read in a bundle's zone live one level down, in
:mod:`chronolex.instants`, because the condition language needs them too.
"""
