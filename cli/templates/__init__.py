"""The files ``chronolex init`` writes, kept as package data (``init/``) rather than as
strings in code, so that they are read, reviewed and diffed as the files they become.

``init/`` mirrors the repository it scaffolds, with two renamings that let the files
travel as package data: a leading ``dot-`` stands for ``.`` (``dot-gitignore`` is
``.gitignore``), and the folder ``BUNDLE`` takes the new bundle's name. In the text,
``__BUNDLE__``, ``__TIMEZONE__`` and ``__VERSION__`` (chronolex's own version) are
replaced.
"""
