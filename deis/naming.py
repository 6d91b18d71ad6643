"""Naming rules shared by every component: app ids, container names, platform hostnames.

An app id matches ``^[a-z0-9-]+$``, is at most 64 characters and is not a
reserved name. A container is named ``<app>_v<release>.<type>.<num>``
(``myapp_v3.web.1``); one-off containers have the type ``run``. Only ``web``
and ``cmd`` containers receive traffic.

Under the platform domain ``<domain>`` the controller is ``deis.<domain>``
and every app is ``<app>.<domain>``; :func:`platform_hostname_holder` says
whose a hostname is, so no custom domain can take it over.
"""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from deis.errors import ValidationError

APP_ID_PATTERN = re.compile(r"^[a-z0-9-]+\Z")
APP_ID_MAX_LENGTH = 64
#: Names no app may take (Deis v1's ``DEIS_RESERVED_NAMES`` default).
RESERVED_NAMES = frozenset({"deis"})
#: The first label of the controller's own hostname, ``deis.<platform domain>``.
CONTROLLER_LABEL = "deis"
#: Process types the router sends traffic to.
ROUTABLE_TYPES = frozenset({"web", "cmd"})
#: The type of one-off ``deis run`` containers.
RUN_TYPE = "run"
#: The process type of an image or Dockerfile app without a Procfile.
DEFAULT_DOCKER_TYPE = "cmd"

#: One label of a hostname: 1–63 letters, digits and dashes, no dash first or last (RFC 1123).
HOSTNAME_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
#: A lower-case hostname of at most 253 characters.
HOSTNAME_PATTERN = re.compile(rf"^(?=.{{1,253}}\Z){HOSTNAME_LABEL}(?:\.{HOSTNAME_LABEL})*\Z")
_HOSTNAME_LABEL = re.compile(HOSTNAME_LABEL)

PROCESS_TYPE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")  # \Z: "$" lets "web\n" in
#: The label holding a container's v1 name where the engine names it otherwise (a Swarm
#: task container is ``<service>.<slot>.<task id>``): the publisher routes by it.
NAME_LABEL = "deis.name"
_CONTAINER_NAME = re.compile(
    r"^(?P<app>[a-z0-9-]+)_v(?P<release>[0-9]+)\.(?P<type>[a-z0-9-]+)\.(?P<num>[0-9]+)$"
)

_ADJECTIVES = (
    "amber", "ancient", "autumn", "bitter", "bold", "brave", "bright", "calm",
    "clever", "cosmic", "crisp", "dapper", "daring", "dusty", "eager", "early",
    "fancy", "fierce", "frosty", "gentle", "gilded", "glossy", "golden", "grand",
    "hidden", "humble", "icy", "jolly", "keen", "lively", "lucky", "mellow",
    "misty", "modest", "nimble", "noble", "peachy", "plucky", "proud", "quiet",
    "rapid", "rustic", "scarlet", "shiny", "silent", "silver", "snowy", "solar",
    "steady", "stormy", "sunny", "swift", "tidy", "velvet", "violet", "vivid",
    "wintry", "witty", "zesty",
)
_NOUNS = (
    "aardvark", "airfield", "albatross", "anchor", "antelope", "artichoke",
    "backpack", "balloon", "bandwagon", "beetle", "biscuit", "blizzard", "bookcase",
    "buttercup", "cabbage", "calendar", "campfire", "caravan", "cheetah",
    "chipmunk", "compass", "cornflake", "crocodile", "daffodil", "dinosaur",
    "doughnut", "dragonfly", "driftwood", "eggplant", "elephant", "evergreen",
    "firework", "flamingo", "footpath", "gazelle", "gemstone", "giraffe",
    "hamster", "harmonica", "hedgehog", "horizon", "iceberg", "jackfruit",
    "kangaroo", "keyboard", "lakeside", "lemonade", "lighthouse", "mandolin",
    "marmalade", "meadow", "moonbeam", "mushroom", "nightcap", "notebook",
    "octopus", "orchard", "pancake", "peppermint", "pinecone", "platypus",
    "porcupine", "raincoat", "reindeer", "sailboat", "sandcastle", "seahorse",
    "snowflake", "squirrel", "starfish", "sunflower", "teacup", "tortoise",
    "trombone", "umbrella", "valkyrie", "volcano", "waffle", "walrus",
    "waxworks", "windmill", "woodpecker", "zeppelin",
)


def validate_app_id(app_id: str, reserved: frozenset[str] = RESERVED_NAMES) -> str:
    """Return ``app_id`` if it is a valid app id, else raise ``ValidationError``.

    The messages are Deis v1's, so scripts that match them keep working.
    """
    if not app_id or not APP_ID_PATTERN.match(app_id):
        raise ValidationError("App IDs can only contain [a-z0-9-].")
    if len(app_id) > APP_ID_MAX_LENGTH:
        raise ValidationError(
            f"App IDs can be at most {APP_ID_MAX_LENGTH} characters long."
        )
    if app_id in reserved:
        raise ValidationError(f"{app_id} is a reserved name.")
    return app_id


def is_app_id(text: str) -> bool:
    """True when ``text`` has the form of an app id (reserved names included)."""
    return bool(APP_ID_PATTERN.match(text)) and len(text) <= APP_ID_MAX_LENGTH


def is_hostname(text: str) -> bool:
    """True for a lower-case hostname: dot-separated :data:`HOSTNAME_LABEL` s, at most 253 characters."""
    return bool(HOSTNAME_PATTERN.match(text))


def is_hostname_label(text: str) -> bool:
    """True when ``text`` is one lower-case hostname label (``www``, ``my-app``)."""
    return bool(_HOSTNAME_LABEL.fullmatch(text))


def random_app_id(rng: random.Random | None = None) -> str:
    """Return a random ``adjective-noun`` app id such as ``peachy-waxworks``."""
    rng = rng or random.SystemRandom()
    return f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}"


def validate_process_type(proc_type: str) -> str:
    """Return ``proc_type`` if it can appear in a container name, else raise."""
    if not PROCESS_TYPE_PATTERN.match(proc_type or ""):
        raise ValidationError(
            f"Invalid process type {proc_type!r}: use lower-case letters, digits and dashes."
        )
    return proc_type


@dataclass(frozen=True, order=True)
class ContainerName:
    """The parts of a container name ``<app>_v<release>.<type>.<num>``."""

    app: str
    release: int
    type: str
    num: int

    def __str__(self) -> str:
        return f"{self.app}_v{self.release}.{self.type}.{self.num}"

    @property
    def routable(self) -> bool:
        """True when the router sends traffic to containers of this type."""
        return is_routable(self.type)

    @property
    def process(self) -> str:
        """Return ``<type>.<num>``, the PROCID of this container's log lines."""
        return f"{self.type}.{self.num}"


def container_name(app: str, release: int, proc_type: str, num: int) -> str:
    """Format a container name, validating each part."""
    validate_app_id(app, reserved=frozenset())
    validate_process_type(proc_type)
    if release < 1 or num < 1:
        raise ValidationError("Release and container numbers start at 1.")
    return str(ContainerName(app, release, proc_type, num))


def parse_container_name(name: str) -> ContainerName | None:
    """Parse a container name; return ``None`` for names that are not ours.

    Docker reports names with a leading ``/``, which is accepted.
    """
    match = _CONTAINER_NAME.match(name.lstrip("/"))
    if not match:
        return None
    return ContainerName(
        app=match["app"],
        release=int(match["release"]),
        type=match["type"],
        num=int(match["num"]),
    )


def is_routable(proc_type: str) -> bool:
    """True for process types that receive HTTP traffic (``web``, ``cmd``)."""
    return proc_type in ROUTABLE_TYPES


def platform_label(hostname: str, platform_domain: str) -> str | None:
    """Return what precedes ``.<platform_domain>`` in ``hostname``.

    ``""`` for the platform domain itself, ``None`` for a hostname outside it
    (and always ``None`` when there is no platform domain).
    """
    hostname, platform_domain = hostname.lower().rstrip("."), platform_domain.lower().strip().strip(".")
    if not platform_domain:
        return None
    if hostname == platform_domain:
        return ""
    head, dot, tail = hostname.rpartition("." + platform_domain)
    return head if dot and not tail and head else None


def platform_hostname_holder(hostname: str, platform_domain: str, is_app: Callable[[str], bool],
                             controller: str = CONTROLLER_LABEL) -> str | None:
    """Return who the platform serves at ``hostname``: ``controller``, an app id, or ``None``.

    ``is_app(label)`` tells whether an app of that id exists. A custom domain
    equal to a hostname held by someone else would take its traffic over.
    """
    label = platform_label(hostname, platform_domain)
    if label == controller:
        return controller
    return label if label and is_app(label) else None
