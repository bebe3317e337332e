"""Account events: the event and the per-account history index, reading JSON Lines and
CSV files, and the embedded SQLite store."""
