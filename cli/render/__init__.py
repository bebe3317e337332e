"""Rendering the engine's results: findings, decisions and timelines, diffs."""
