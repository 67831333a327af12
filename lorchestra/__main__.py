"""``python -m lorchestra`` runs the command line."""

from lorchestra.cli import main

main()
