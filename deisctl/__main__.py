"""``python -m deisctl`` runs deisctl."""

from deisctl.cli import main

main()
