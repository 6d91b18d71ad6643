"""The ``deis`` command line for developers (click + requests).

The commands (register, apps, config, ps, logs, ...) arrive with the
controller (issue #3); until then this reports its version and says so.
"""

import click

from deis import API_VERSION, PLATFORM_VERSION


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(PLATFORM_VERSION, prog_name="deis", message=f"%(prog)s %(version)s (API {API_VERSION})")
def main() -> None:
    """Deploy and manage apps on a Deis platform.

    This build has no commands yet: the controller and its commands arrive
    with issue #3. Operators: see 'deisctl --help'.
    """
