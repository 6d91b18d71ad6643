"""An app's containers: deploy a release, scale, restart, run one-offs, list with state.

PostgreSQL records which containers the controller made (one row per
``<type>.<num>`` of the running release); their state is asked of the
scheduler on every read, as in Deis v1. A deploy treats every container the
engine has for the app as old, so leftovers of an interrupted change are
cleaned up by the next one.
"""

from __future__ import annotations

import logging

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from controller import config_rules, processes, summaries
from controller.errors import BadRequest, NotFound, ServiceUnavailable, required
from controller.models import App, Build, Config, Container, Release, User
from controller.scheduler import ContainerSpec, ImageUnavailable, SchedulerError, State, Status
from controller.services import events, locks, release_records
from controller.services.health import CannotStart
from controller.services.runtime import Runtime
from deis import naming
from deis.errors import DeisError

log = logging.getLogger(__name__)

NO_BUILD = "No build associated with this release; deploy one first with 'deis pull <image>' or 'git push'"


def build_info(build: Build) -> processes.BuildInfo:
    """Return what the container plan needs of ``build``."""
    return processes.BuildInfo(build.image, build.sha or "", dict(build.procfile or {}), build.dockerfile or "")


def config_info(config: Config) -> processes.ConfigInfo:
    """Return what the container plan needs of ``config``."""
    return processes.ConfigInfo(dict(config.values or {}), dict(config.memory or {}), dict(config.cpu or {}),
                                dict(config.tags or {}))


def name_of(row: Container) -> str:
    """Return the engine's name of a container row."""
    return naming.container_name(row.app.id, row.release.version, row.type, row.num)


def _specs(session: Session, runtime: Runtime, app: App, release: Release,
           wanted: list[tuple[str, int]]) -> list[ContainerSpec]:
    config, build = release_records.parts(session, release)
    info, values = build_info(build), config_info(config)
    # Here, not only in deploy: on a cluster a scale may reach a controller replica on another node than
    # the one that deployed, and its engine has not pulled the image yet ("No such image", seen on the bed).
    _ensure_image(runtime, build.image)
    image_port = runtime.scheduler.image_port(build.image)
    return [processes.spec(app.id, release.version, info, values, kind, num, image_port) for kind, num in wanted]


def _ensure_image(runtime: Runtime, image: str) -> None:
    try:
        runtime.scheduler.ensure_image(image)
    except ImageUnavailable as exc:
        raise BadRequest(str(exc)) from None


def _engine_names(runtime: Runtime, app: App) -> list[str]:
    """Return the app's long-running containers as the engine has them (one-offs excluded)."""
    return [n for n in runtime.scheduler.containers(app.id)
            if (parsed := naming.parse_container_name(n)) and parsed.type != naming.RUN_TYPE]


def _grace(session: Session, runtime: Runtime, app: App, release: Release | None = None) -> float:
    """Return the stop grace of ``app``: its latest config's (or ``release``'s), else the platform's."""
    config = release_records.parts(session, release or release_records.latest(session, app))[0]
    return config_rules.stop_grace(config.values or {}, runtime.deployer.grace)


def _failed(what: str, exc: Exception, serving: str) -> ServiceUnavailable:
    message = f"{what} failed and was undone{serving}: {exc}."
    # A container that never ran has no output to read: its sentence already says what to change.
    if not isinstance(exc, CannotStart):
        message += " Check 'deis logs' for the container's output, fix it and try again."
    return ServiceUnavailable(message)


# -- deploy -------------------------------------------------------------------

def deploy_release(session: Session, runtime: Runtime, app: App, release: Release, user: User) -> None:
    """Replace the app's containers with ``release``'s, zero-downtime; 503 when it fails.

    The first deploy of an app scales it to one ``web`` (Procfile with web)
    or one ``cmd`` container. On failure nothing old was touched.
    """
    if release.build_uuid is None:
        return
    config, build = release_records.parts(session, release)
    _ensure_image(runtime, build.image)
    structure = processes.desired_structure(app.structure or {}, build_info(build))
    wanted = [(kind, num) for kind, count in structure.items() for num in range(1, count + 1)]
    specs = _specs(session, runtime, app, release, wanted)
    try:
        runtime.deployer.replace(app.id, specs, _engine_names(runtime, app), _grace(session, runtime, app, release))
    except DeisError as exc:
        serving = f"; v{release.version - 1} keeps serving" if _has_containers(session, app) else ""
        events.record(app.id, f"aborting, failed to deploy v{release.version}: {exc}")
        raise _failed(f"Deploying v{release.version}", exc, serving) from exc
    app.structure = structure
    _replace_rows(session, app, release, user, wanted)


def _has_containers(session: Session, app: App) -> bool:
    return session.scalar(select(Container.uuid).where(Container.app_uuid == app.uuid).limit(1)) is not None


def _replace_rows(session: Session, app: App, release: Release, user: User, wanted: list[tuple[str, int]]) -> None:
    session.execute(delete(Container).where(Container.app_uuid == app.uuid, Container.type != naming.RUN_TYPE))
    session.add_all(Container(app_uuid=app.uuid, release_uuid=release.uuid, owner_id=user.id, type=kind, num=num)
                    for kind, num in wanted)
    session.flush()


# -- scale --------------------------------------------------------------------

def _deployed(session: Session, app: App) -> tuple[Release, Build]:
    release = release_records.latest(session, app)
    if release.build_uuid is None:
        raise BadRequest(NO_BUILD)
    return release, release_records.parts(session, release)[1]


def scale(session: Session, runtime: Runtime, app: App, user: User, data: dict,
          limits: processes.ScaleLimits = processes.ScaleLimits()) -> None:
    """Scale process types to the posted counts (``{"web": 3}``), zero-downtime, within ``limits``."""
    locks.hold(session, app)
    release, build = _deployed(session, app)
    rows = rows_of(session, app)
    current: dict[str, list[int]] = {}
    for row in rows:
        current.setdefault(row.type, []).append(row.num)
    counts = {kind: len(nums) for kind, nums in current.items()}
    wanted = processes.parse_scale(data, build_info(build), counts, limits)
    added, removed = processes.scale_plan(current, wanted)
    events.record(app.id, summaries.scale_event(user.username, wanted))
    specs = _specs(session, runtime, app, release, added)
    by_key = {(row.type, row.num): row for row in rows}
    try:
        runtime.deployer.replace(app.id, specs, [name_of(by_key[key]) for key in removed],
                                 _grace(session, runtime, app, release))
    except DeisError as exc:
        raise _failed("Scaling", exc, "") from exc
    for key in removed:
        session.delete(by_key[key])
    session.add_all(Container(app_uuid=app.uuid, release_uuid=release.uuid, owner_id=user.id, type=kind, num=num)
                    for kind, num in added)
    app.structure = {**(app.structure or {}), **wanted}
    session.flush()


# -- restart ------------------------------------------------------------------

def restart(session: Session, runtime: Runtime, app: App, proc_type: str | None = None,
            num: int | None = None) -> list[Container]:
    """Restart the app's containers (of a type, or one), one at a time; return them."""
    locks.hold(session, app)
    rows = list(session.scalars(rows_query(app, proc_type, num)).unique())
    if num is not None and not rows:
        raise NotFound(f"{app.id} has no container {proc_type}.{num}; 'deis ps' lists them")
    specs = [spec for row in rows for spec in _specs(session, runtime, app, row.release, [(row.type, row.num)])]
    try:
        runtime.deployer.restart(app.id, specs, _grace(session, runtime, app))
    except DeisError as exc:
        raise ServiceUnavailable(f"Restarting failed: {exc}. Check 'deis logs' for the container's output.") from exc
    return rows


# -- recovery -------------------------------------------------------------------

def restore_lost(session: Session, runtime: Runtime, app: App) -> list[str]:
    """Start again the app's containers the engine no longer has; return their names.

    Level-triggered: what the database says the app runs is compared with
    what the engine has; a missing container (removed behind the platform's
    back, or an engine that lost its data) is created and started the way a
    deploy starts one (health check, routed). Containers that exist are left
    to Docker's restart policy. Fleet did this for Deis v1's units.

    The app's lock is taken only when something is missing (and the engine is
    read again under it): a pass that finds nothing to do must never make a
    user's deploy or scale answer 409.
    """
    if not _lost(session, runtime, app):
        return []
    locks.hold(session, app)
    lost = _lost(session, runtime, app)
    if not lost:
        return []
    for release in {row.release for row in lost}:  # the engine may have lost the images too
        runtime.scheduler.ensure_image(release_records.parts(session, release)[1].image)
    specs = [spec for row in lost for spec in _specs(session, runtime, app, row.release, [(row.type, row.num)])]
    runtime.deployer.start(app.id, specs)
    names = [spec.name for spec in specs]
    noun = "container" if len(names) == 1 else "containers"
    events.record(app.id, f"restored {len(names)} {noun} the engine had lost: {', '.join(names)}")
    return names


def _lost(session: Session, runtime: Runtime, app: App) -> list[Container]:
    present = set(runtime.scheduler.containers(app.id))
    return [row for row in rows_of(session, app) if name_of(row) not in present]


# -- run ----------------------------------------------------------------------

def prepare_run(session: Session, runtime: Runtime, app: App, user: User, data: dict) -> ContainerSpec:
    """Return the one-off container that runs ``data["command"]`` on the current release."""
    required(data, "command")
    command = str(data["command"])
    release = release_records.latest(session, app)
    if release.build_uuid is None:
        raise BadRequest("No build associated with this release to run this command")
    config, build = release_records.parts(session, release)
    _ensure_image(runtime, build.image)
    events.record(app.id, f"{user.username} runs '{command}'")
    return processes.run_spec(app.id, release.version, build_info(build), config_info(config),
                              _next_run_num(runtime, app), command)


def run(runtime: Runtime, spec: ContainerSpec) -> tuple[int, str]:
    """Run a one-off container to its end; return ``(exit code, output)``."""
    try:
        return runtime.scheduler.run(spec, runtime.run_timeout)
    except SchedulerError as exc:
        raise ServiceUnavailable(str(exc)) from exc


def _next_run_num(runtime: Runtime, app: App) -> int:
    nums = [parsed.num for n in runtime.scheduler.containers(app.id)
            if (parsed := naming.parse_container_name(n)) and parsed.type == naming.RUN_TYPE]
    return max(nums, default=0) + 1


# -- listing and clean-up -----------------------------------------------------

def rows_query(app: App, proc_type: str | None = None, num: int | None = None) -> Select:
    """Return the query of the app's containers (one-offs excluded), by type and number."""
    statement = (select(Container).where(Container.app_uuid == app.uuid, Container.type != naming.RUN_TYPE)
                 .order_by(Container.type, Container.num))
    if proc_type is not None:
        statement = statement.where(Container.type == proc_type)
    if num is not None:
        statement = statement.where(Container.num == num)
    return statement


def rows_of(session: Session, app: App) -> list[Container]:
    """Return every container row of the app."""
    return list(session.scalars(rows_query(app)).unique())


def status(runtime: Runtime, row: Container) -> Status:
    """Return a container's status; an unreachable engine reads as ``error``, not a failed list."""
    try:
        return runtime.scheduler.state(name_of(row))
    except SchedulerError as exc:
        log.warning("cannot read the state of %s: %s", name_of(row), exc)
        return Status(State.error)


def destroy_all(session: Session, runtime: Runtime, app: App) -> None:
    """Retire every container of ``app`` (for ``deis apps:destroy``), under the app's lock.

    The lock keeps the reconcile loop from bringing back what is being
    removed before the app's deletion is committed.
    """
    locks.hold(session, app)
    runtime.deployer.retire(app.id, runtime.scheduler.containers(app.id), _grace(session, runtime, app))
