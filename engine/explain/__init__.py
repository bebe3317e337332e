"""Explanations in plain language, in the customer's language: the locale of an answer
(:mod:`~chronolex.explain.locales`) and the sentence and reasons a support agent reads
out (:mod:`~chronolex.explain.plain`). After ``evaluation`` (it reads decisions), before
anything that renders: the CLI and a service print what this returns."""
