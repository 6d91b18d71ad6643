"""The systemd unit that starts the platform at boot.

``deisctl install platform`` writes ``deis.service`` (default
``/etc/systemd/system/deis.service``; ``DEIS_BOOT_UNIT`` or ``--boot-unit``
choose another path) and enables it when systemd runs this host;
``deisctl uninstall`` disables and removes it. The unit runs
``deisctl start platform`` — see the template for why it is ``Type=forking``.
Settings deisctl was given in its environment (``DEIS_*``, ``DOCKER_*``) are
kept in an environment file under the data directory, private to the platform
like the program files, never in the world-readable unit.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import jinja2

from deis.errors import ConfigurationError
from deis.paths import Paths
from deisctl.supervisor import PASSED_ENVIRONMENT_PREFIXES

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("deisctl", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)

#: Where the unit goes on a systemd host.
DEFAULT_UNIT = "/etc/systemd/system/deis.service"
#: The folder that exists when systemd is PID 1 (as sd_booted(3) checks).
SYSTEMD_RUNTIME = Path("/run/systemd/system")


def environment_file(paths: Paths) -> Path:
    """The file of the unit's environment (``<data>/supervisor/deisctl.env``)."""
    return paths.root / "supervisor" / "deisctl.env"


def render_unit(paths: Paths, deisctl: str) -> str:
    """Return the text of ``deis.service`` for the data directory ``paths`` (pure)."""
    return _TEMPLATES.get_template("deis.service.j2").render(
        paths=paths, deisctl=deisctl, environment_file=environment_file(paths),
    )


def render_environment(environ: Mapping[str, str]) -> str:
    """Return the platform's settings from ``environ`` as a systemd environment file (pure)."""
    lines = []
    for key, value in sorted(environ.items()):
        if key.startswith(PASSED_ENVIRONMENT_PREFIXES):
            quoted = "".join("\\" + char if char in '"\\$`' else char for char in value)
            lines.append(f'{key}="{quoted}"\n')
    return "".join(lines)


def deisctl_path() -> str:
    """The absolute path of this deisctl (its virtualenv's console script)."""
    return str(Path(sys.executable).with_name("deisctl"))


def systemd_running() -> bool:
    """True when systemd is this host's init (PID 1)."""
    return SYSTEMD_RUNTIME.is_dir()


def install(unit: Path, paths: Paths, environ: Mapping[str, str], echo: Callable[[str], None]) -> None:
    """Write the unit and its environment file; enable the unit when systemd runs this host."""
    environment_file(paths).parent.mkdir(parents=True, exist_ok=True)
    environment_file(paths).write_text(render_environment(environ))
    try:
        unit.parent.mkdir(parents=True, exist_ok=True)
        unit.write_text(render_unit(paths, deisctl_path()))
        unit.chmod(0o644)  # systemd's own files are world-readable; no secret is in it
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the boot unit {str(unit)!r}: {exc.strerror}; "
            "run as root, or choose another path with DEIS_BOOT_UNIT"
        ) from exc
    if not systemd_running():
        echo(f"boot: wrote {unit} but did not enable it: systemd does not run this host; "
             f"on a systemd host run 'systemctl daemon-reload && systemctl enable {unit.name}'")
        return
    if not _read_by_systemd(unit):
        echo(f"boot: wrote {unit} but did not enable it: systemd does not read units there; "
             f"'systemctl link {unit} && systemctl enable {unit.name}' would")
        return
    _systemctl("daemon-reload")
    _systemctl("enable", unit.name)
    echo(f"boot: {unit} enabled; the platform starts at boot ('systemctl start {unit.name}' starts it now)")


def uninstall(unit: Path, paths: Paths, echo: Callable[[str], None]) -> None:
    """Disable (when systemd runs this host) and remove the unit and its environment file."""
    environment_file(paths).unlink(missing_ok=True)
    if not unit.exists():
        return
    managed = systemd_running() and _read_by_systemd(unit)
    if managed:
        _systemctl("disable", unit.name)
    unit.unlink()
    if managed:
        _systemctl("daemon-reload")
    echo(f"boot: removed {unit}")


def _read_by_systemd(unit: Path) -> bool:
    """True when ``unit`` is where systemd reads administrators' units (a test's path is not)."""
    return unit.parent == Path(DEFAULT_UNIT).parent


def _systemctl(*args: str) -> None:
    result = subprocess.run(["systemctl", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise ConfigurationError(f"'systemctl {' '.join(args)}' failed: {result.stderr.strip()}")
