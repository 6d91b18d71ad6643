"""``deis-logspout`` run on its own for tests and benchmarks, following only the containers they label."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.services import SCRIPTS, wait_until

#: The label key a test or benchmark puts on its containers; logspout follows ``LABEL=<run id>`` only.
LABEL = "deis-test-logs"


class LogspoutProcess:
    """A ``deis-logspout`` subprocess following only the containers labelled ``label`` (``key=value``)."""

    def __init__(self, etcd_endpoint: str, data_dir: Path, label: str):
        self.environ = dict(
            os.environ, DEIS_ETCD=etcd_endpoint, DEIS_LOGSPOUT_DATADIR=str(data_dir),
            DEIS_LOGSPOUT_LABEL=label, DEIS_LOGSPOUT_RESYNC="1",
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> LogspoutProcess:
        """Start it and wait for its first checkpoint save.

        Only containers created after logspout's first start are read back
        once they have exited; a test container made while the process is
        still importing would be taken for history (seen under load).
        """
        checkpoints = Path(self.environ["DEIS_LOGSPOUT_DATADIR"]) / "checkpoints.json"
        first = not checkpoints.exists()
        self.process = subprocess.Popen([str(SCRIPTS / "deis-logspout")], env=self.environ)
        if first:
            wait_until(lambda: checkpoints.exists(), 30, what="logspout's first checkpoint")
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
