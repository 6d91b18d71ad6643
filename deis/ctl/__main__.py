"""``python -m deis.ctl`` runs deisctl."""

from deis.ctl.cli import main

main()
