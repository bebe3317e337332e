"""Loading a bundle: bounded YAML with positions, the files of a directory or a git
commit, the JSON Schemas, the loader (manifest, facts, versions, ``extends`` resolved to
snapshots) and the resolved snapshot that ``chronolex show`` prints.

Loading only reads and checks what a bundle *is*; findings about what it probably
*means* wrongly (lint, the solver) are the next stage, :mod:`chronolex.checks`.
"""
