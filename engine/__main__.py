"""``python -m chronolex``: the command line, as the ``chronolex`` script runs it."""

from chronolex.cli.app import main

main()
