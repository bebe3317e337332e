"""One module per command (or per family of commands that share their options)."""
