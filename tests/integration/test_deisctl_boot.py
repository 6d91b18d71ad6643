"""# deisctl install platform / deisctl uninstall: the systemd unit that starts the platform at boot.

systemd accepts the unit (``systemd-analyze verify``, as for the CoreOS units),
and the real deisctl writes it where ``DEIS_BOOT_UNIT`` says (the harness points
it into the test's folder) and removes it again. On a host that systemd does not
run, as this test machine, install says in one line how to enable it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

from deis.paths import Paths
from deisctl import boot
from tests.platform import DOMAIN, isolated_platform


def test_systemd_analyze_verifies_the_boot_unit(tmp_path):
    # script/test installs systemd; a missing tool is a broken test machine, not a pass.
    assert shutil.which("systemd-analyze"), "systemd-analyze is not installed (apt-get install systemd)"
    unit = tmp_path / "deis.service"
    unit.write_text(boot.render_unit(Paths(tmp_path / "data"), boot.deisctl_path()))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", f"./{unit.name}"], cwd=tmp_path,
                            env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice"), capture_output=True, text=True,
                            timeout=30)
    # verify exits 0 on some warnings (unknown keys, bad values): any line about our file counts too.
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "deis.service" in line]
    assert result.returncode == 0 and complaints == [], result.stdout + result.stderr


def test_install_platform_writes_the_boot_unit_and_uninstall_removes_it():
    with isolated_platform("deis-boot-") as ctl:
        unit = Path(ctl.environ["DEIS_BOOT_UNIT"])
        ctl("config", "platform", "set", f"domain={DOMAIN}")
        installed = ctl("install", "platform")

        text = unit.read_text()
        assert f"ExecStart={boot.deisctl_path()} --data-dir {ctl.root} start platform" in text
        assert stat.S_IMODE(unit.stat().st_mode) == 0o644
        settings = boot.environment_file(Paths(ctl.root))
        assert f'DEIS_ETCD="{ctl.environ["DEIS_ETCD"]}"' in settings.read_text().splitlines()
        assert stat.S_IMODE(settings.stat().st_mode) == 0o600  # it may hold passwords; the unit never does
        if not boot.systemd_running():
            assert (f"boot: wrote {unit} but did not enable it: systemd does not run this host; on a systemd "
                    f"host run 'systemctl daemon-reload && systemctl enable deis.service'") in installed.stdout

        removed = ctl("uninstall")
        assert f"boot: removed {unit}" in removed.stdout
        assert not unit.exists() and not settings.exists()
        assert ctl.supervised_pids() == []
