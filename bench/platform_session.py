"""One isolated platform for a whole benchmark, and the timed steps push.py and deploy.py share.

:func:`platform_session` starts the platform as the e2e journey does (own data
dir, free ports, ``deisctl config platform set domain``, ``install``,
``start``), registers a user with an SSH key, and yields a :class:`Session`.
On the way out it destroys the apps it made, removes their containers and
images and the baseline's, stops the platform and removes its folder.

The app is a small Dockerfile app on the local busybox image: ``index.html``
(a token, so every build has its own layer) copied in, and busybox httpd on
``$PORT`` serving it with the release and the container's hostname appended.
Its shell stays PID 1 and exits on SIGTERM, as a well-behaved app does: an
``exec httpd`` as PID 1 ignores SIGTERM, so every redeploy would wait out the
controller's whole ``stopGracePeriod`` (30 s by default) before ``done``.
The baseline is the same tree built with ``docker build`` (the classic builder,
which the platform's builder also drives through the Docker API).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import requests

from tests import services
from tests.person import Person, make_repo
from tests.platform import DOMAIN, Deisctl, Platform

DOCKERFILE = """FROM {image}
COPY index.html /www/index.html
EXPOSE 5000
CMD ["sh", "-c", "trap 'exit 0' TERM; cp /www/index.html /tmp/index.html; \
echo \\"release $DEIS_RELEASE host $HOSTNAME\\" >> /tmp/index.html; httpd -f -p $PORT -h /tmp & wait"]
"""
BASELINE_LABEL = "deis.bench"


def verdict(value: float, target: float) -> str:
    """``MET`` when ``value`` is within ``target`` (lower is better), else ``MISSED``."""
    return "MET" if value <= target else "MISSED"


def app_files(image: str, token: str) -> dict[str, str]:
    """The app's tree; ``token`` makes its one real layer unique."""
    return {"Dockerfile": DOCKERFILE.format(image=image), "index.html": f"{token}\n", ".dockerignore": ".git\n"}


def moment(predicate, timeout: float, what: str) -> float:
    """Poll ``predicate`` every 20 ms; return ``time.monotonic()`` when it first held."""
    return services.wait_until(lambda: predicate() and time.monotonic(), timeout, 0.02, what=what)


def body(url: str, host: str | None = None) -> str | None:
    """The body of a 200 answer to ``GET url`` (``None`` for anything else)."""
    try:
        response = requests.get(url, headers={"Host": host} if host else {}, timeout=2)
    except requests.RequestException:
        return None
    return response.text if response.status_code == 200 else None


@dataclass
class Push:
    """What one timed ``git push`` saw."""

    to_built: float  # seconds from starting git to "Pushing image to private registry" (image built)
    to_done: float  # seconds from starting git to "done, <app>:vN" in its output
    to_exit: float  # seconds from starting git to git exiting
    started: float  # time.monotonic() when git started


@dataclass
class Session:
    """A running platform, a registered user, and what to clean up afterwards."""

    platform: Platform
    person: Person
    client: docker.DockerClient
    image: str  # the local base image
    root: Path
    apps: list[str] = field(default_factory=list)
    baseline_tags: list[str] = field(default_factory=list)
    baseline_containers: list[str] = field(default_factory=list)

    @property
    def registry(self) -> str:
        return f"127.0.0.1:{self.platform.ctl.environ['DEIS_REGISTRY_PORT']}"

    @property
    def router_url(self) -> str:
        return f"http://127.0.0.1:{self.platform.http}/"

    def routed(self, app: str) -> str | None:
        """The app's page through the router, or ``None``."""
        return body(self.router_url, f"{app}.{DOMAIN}")

    # -- the platform's side --------------------------------------------------

    def new_app(self, token: str) -> tuple[str, Path]:
        """Create an app and a git repo of the app's tree with the ``deis`` remote; return both."""
        app = f"bench-{uuid.uuid4().hex[:8]}"
        repo = make_repo(self.person, self.root / "repos" / app, app_files(self.image, token))
        self.person.deis("create", app, "--no-remote", cwd=repo)
        self.apps.append(app)
        self.person.git("remote", "add", "deis", self.platform.remote(app), cwd=repo)
        return app, repo

    def change(self, repo: Path, token: str) -> None:
        """Commit a small change (a new token in ``index.html``)."""
        (repo / "index.html").write_text(f"{token}\n")
        self.person.git("commit", "-q", "-am", f"change {token}", cwd=repo)

    def push(self, app: str, repo: Path) -> Push:
        """``git push deis master``, timed to ``done, <app>:v`` in its output and to its exit."""
        marker = f"done, {app}:v".encode()
        started = time.monotonic()
        process = subprocess.Popen(["git", "push", "deis", "master"], cwd=repo, env=self.person.environ,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        output, built, done = b"", None, None
        while chunk := os.read(process.stderr.fileno(), 65536):
            output += chunk
            if built is None and b"Pushing image to private registry" in output:
                built = time.monotonic()
            if done is None and marker in output:
                done = time.monotonic()
        process.wait(600)
        exited = time.monotonic()
        if process.returncode != 0 or done is None or built is None:
            raise RuntimeError(f"git push of {app} failed ({process.returncode}):\n{output.decode(errors='replace')}")
        return Push(built - started, done - started, exited - started, started)

    # -- the baseline's side ---------------------------------------------------

    def baseline_tree(self, token: str) -> Path:
        """Write the app's tree (no git) for the baseline; return its folder."""
        folder = self.root / "baseline" / uuid.uuid4().hex[:8]
        folder.mkdir(parents=True)
        for name, text in app_files(self.image, token).items():
            (folder / name).write_text(text)
        return folder

    def docker(self, *args: str) -> float:
        """Run the docker CLI (classic builder); return its wall time in seconds."""
        started = time.monotonic()
        result = subprocess.run(["docker", *args], env=dict(os.environ, DOCKER_BUILDKIT="0"),
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return time.monotonic() - started

    def baseline_build(self, folder: Path, repository: str, tag: str) -> tuple[str, float]:
        """``docker build -t <registry>/<repository>:<tag> folder``; return the image and seconds."""
        image = f"{self.registry}/{repository}:{tag}"
        self.baseline_tags.append(image)
        return image, self.docker("build", "-q", "-t", image, str(folder))

    def baseline_run(self, image: str) -> str:
        """``docker run -d`` the image as the platform would (``PORT=5000``); return the container id."""
        result = subprocess.run(["docker", "run", "-d", "-e", "PORT=5000", "--label", f"{BASELINE_LABEL}=1", image],
                                capture_output=True, text=True, check=True, timeout=120)
        container = result.stdout.strip()
        self.baseline_containers.append(container)
        return container

    def address(self, container: str) -> str | None:
        """The container's address on Docker's bridge, once it has one."""
        networks = self.client.api.inspect_container(container)["NetworkSettings"]["Networks"]
        return next((net["IPAddress"] for net in networks.values() if net.get("IPAddress")), None)

    # -- cleaning up -------------------------------------------------------------

    def clean_up(self) -> None:
        """Destroy the apps, and remove every container and image this run made."""
        for app in self.apps:
            self.person.deis("apps:destroy", "-a", app, f"--confirm={app}", check=False)
        for app in self.apps:  # apps outlive a platform stop by design; sweep what is left
            for container in self.client.containers.list(all=True, filters={"label": f"deis.app={app}"}):
                container.remove(force=True)
        for container in self.baseline_containers:
            with contextlib.suppress(docker.errors.NotFound):
                self.client.api.remove_container(container, force=True)
        prefixes = tuple(f"{registry}{app}:" for app in self.apps for registry in ("", f"{self.registry}/"))
        tags = {tag for image in self.client.images.list() for tag in image.tags if tag.startswith(prefixes)}
        for tag in sorted(tags | set(self.baseline_tags)):
            with contextlib.suppress(docker.errors.ImageNotFound):
                self.client.images.remove(tag, force=True)


@contextlib.contextmanager
def platform_session(name: str) -> Iterator[Session]:
    """Start one isolated platform with a registered user; stop it and clean up afterwards."""
    client = docker.from_env(timeout=120)
    image = services.ensure_base_image(client)
    top = Path(tempfile.mkdtemp(prefix=f"deis-bench-{name}-"))
    top.chmod(0o755)  # the postgres user must reach the database's data
    ctl = Deisctl(top / "deis")
    session = None
    try:
        started = time.monotonic()
        ctl("config", "platform", "set", f"domain={DOMAIN}")
        ctl("install", "platform")
        ctl("start", "platform")
        platform = Platform(ctl)
        person = Person("bench", top / "home", platform)
        person.deis("register", platform.controller, "--username", "bench", "--password", "s3cret-bench",
                    "--email", "bench@example.com")
        person.deis("keys:add", str(person.key) + ".pub")
        print(f"platform: started in {time.monotonic() - started:.1f} s (data in {top})")
        session = Session(platform, person, client, image, top)
        yield session
    finally:
        try:
            if session is not None:
                session.clean_up()
        finally:
            ctl("stop", "platform", check=False)
            shutil.rmtree(top, ignore_errors=True)
            client.close()
