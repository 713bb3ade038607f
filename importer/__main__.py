"""`python -m importer`: the command line."""

from importer.cli import main

main()
