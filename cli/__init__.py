"""The ``chronolex`` command: argument parsing and rendering over the ``engine`` library."""
