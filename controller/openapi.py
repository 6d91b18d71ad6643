"""The OpenAPI 3 document of the controller's API, served at ``GET /v1/openapi.json``.

Kept by hand as one table of operations (method, path, what it does, who may
call it, success status, request fields), from which the document is built.
``tests/unit/controller/test_openapi.py`` fails when the Flask URL map has a
route this table lacks, so a new endpoint cannot ship undocumented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from deis import API_VERSION

TOKEN, BUILDER, NONE = "token", "builder", "none"
PARAMETER = re.compile(r"\{([^}]+)\}")
SPECIAL_TAGS = {"healthz": "health", "openapi.json": "openapi"}


@dataclass(frozen=True)
class Operation:
    """One documented method on one path."""

    method: str
    path: str
    summary: str
    auth: str = TOKEN
    status: int = 200
    fields: tuple[str, ...] = ()
    #: Other success statuses and their description, e.g. ``{204: "No log lines yet"}``.
    also: tuple[tuple[int, str], ...] = ()


def _resource(path: str, noun: str, fields: tuple[str, ...] = ()) -> list[Operation]:
    """The list/add/show/remove operations of a per-caller collection."""
    base, item = path.rsplit("/", 1)[0] + "/", path
    return [
        Operation("get", base, f"List the caller's {noun}s"),
        Operation("post", base, f"Add a {noun}", status=201, fields=fields),
        Operation("get", item, f"Show one {noun}"),
        Operation("delete", item, f"Remove a {noun}", status=204),
    ]


APP = "/v1/apps/{app_id}"
OPERATIONS: tuple[Operation, ...] = (
    Operation("get", "/healthz", "Answer OK while the controller serves", NONE),
    Operation("head", "/healthz", "Answer OK while the controller serves", NONE),
    Operation("get", "/v1/", "API root: 401 without a token (the CLI's controller probe)"),
    Operation("get", "/v1/openapi.json", "This document", NONE),
    Operation("post", "/v1/auth/register/", "Register a user (the first is an admin)", NONE, 201,
              ("username", "password", "email", "first_name", "last_name")),
    Operation("post", "/v1/auth/login/", "Exchange username and password for a token", NONE, 200,
              ("username", "password")),
    Operation("delete", "/v1/auth/cancel/", "Delete an account that owns no apps", status=204, fields=("username",)),
    Operation("post", "/v1/auth/passwd/", "Change a password", fields=("password", "new_password", "username")),
    Operation("post", "/v1/auth/tokens/", "Regenerate tokens (own, a user's, or all)", fields=("username", "all")),
    Operation("get", "/v1/users/", "List users (admins)"),
    *_resource("/v1/keys/{key_id}", "SSH key", ("id", "public")),
    Operation("get", "/v1/apps/", "List the apps the caller owns or shares"),
    Operation("post", "/v1/apps/", "Create an app", status=201, fields=("id", "structure")),
    Operation("get", APP + "/", "Show an app"),
    Operation("post", APP + "/", "Transfer an app to another owner", fields=("owner",)),
    Operation("delete", APP + "/", "Destroy an app (owner or admin)", status=204),
    Operation("get", APP + "/logs/", "The app's last log_lines lines (204 when none)",
              also=((204, "The app has no log lines yet"),)),
    Operation("post", APP + "/run/", "Run a one-off command: [exit_code, output]", fields=("command",)),
    Operation("post", APP + "/scale/", "Scale process types, e.g. {\"web\": 3}", status=204),
    Operation("get", APP + "/containers/", "List containers (not one-off runs)"),
    Operation("get", APP + "/containers/{type}/", "List containers of one type"),
    Operation("get", APP + "/containers/{type}/{num}/", "Show one container"),
    Operation("post", APP + "/containers/restart/", "Restart all containers"),
    Operation("post", APP + "/containers/{type}/restart/", "Restart containers of one type"),
    Operation("post", APP + "/containers/{type}/{num}/restart/", "Restart one container"),
    Operation("get", APP + "/config/", "Show the current config"),
    Operation("post", APP + "/config/", "Change config values, limits or tags (new release)", status=201,
              fields=("values", "memory", "cpu", "tags")),
    Operation("get", APP + "/builds/", "List builds, newest first"),
    Operation("post", APP + "/builds/", "Deploy an image (new release)", status=201,
              fields=("image", "procfile", "sha", "dockerfile")),
    Operation("get", APP + "/builds/{uuid}/", "Show one build"),
    Operation("get", APP + "/releases/", "List releases, newest first"),
    Operation("get", APP + "/releases/v{version}/", "Show one release"),
    Operation("post", APP + "/releases/rollback/", "Roll back to a release (default: the previous)", status=201,
              fields=("version",)),
    Operation("get", APP + "/domains/", "List the app's custom domains"),
    Operation("post", APP + "/domains/", "Route a custom domain to the app", status=201, fields=("domain",)),
    Operation("delete", APP + "/domains/{domain}", "Stop routing a domain (not collaborators)", status=204),
    Operation("get", APP + "/perms/", "List the app's collaborators"),
    Operation("post", APP + "/perms/", "Share the app with a user (owner or admin)", status=201, fields=("username",)),
    Operation("delete", APP + "/perms/{username}", "Stop sharing the app with a user", status=204),
    Operation("get", "/v1/admin/perms/", "List administrators (admins)"),
    Operation("post", "/v1/admin/perms/", "Make a user an administrator", status=201, fields=("username",)),
    Operation("delete", "/v1/admin/perms/{username}", "Take administrator rights away", status=204),
    *_resource("/v1/certs/{common_name}", "TLS certificate", ("certificate", "key", "common_name")),
    Operation("post", "/v1/hooks/push/", "Record a git push", BUILDER, 201,
              ("receive_user", "receive_repo", "sha", "fingerprint", "ssh_connection", "ssh_original_command")),
    Operation("post", "/v1/hooks/build/", "Release a built image", BUILDER, 200,
              ("receive_user", "receive_repo", "image", "sha", "procfile", "dockerfile")),
    Operation("post", "/v1/hooks/config/", "The app's config for a build", BUILDER, 200,
              ("receive_user", "receive_repo")),
    Operation("get", "/v1/hooks/key/{fingerprint}", "Who owns the SSH key with this SHA256 or MD5 fingerprint",
              BUILDER),
)

SECURITY_SCHEMES = {
    TOKEN: {"type": "apiKey", "in": "header", "name": "Authorization",
            "description": "'token <key>' from POST /v1/auth/login/"},
    BUILDER: {"type": "apiKey", "in": "header", "name": "X-Deis-Builder-Auth",
              "description": "the controller's builderKey (the builder's shared secret)"},
}
ERROR = {"description": "An error: {\"detail\": \"...\"} or {\"<field>\": [\"...\"]}",
         "content": {"application/json": {"schema": {"type": "object"}}}}


def tag(path: str) -> str:
    """Return the resource a path belongs to: ``apps``, ``domains``, ``hooks``…"""
    parts = [part for part in path.split("/") if part and part != "v1"]
    if len(parts) > 2 and parts[0] == "apps":
        return parts[2]
    return SPECIAL_TAGS.get(parts[0], parts[0]) if parts else "health"


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", PARAMETER.sub(r"\1", op.path).lower()).strip("_")
    return f"{op.method}_{words}"


def _operation(op: Operation) -> dict[str, Any]:
    result: dict[str, Any] = {
        "summary": op.summary,
        "operationId": _operation_id(op),
        "tags": [tag(op.path)],
        "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                       for name in PARAMETER.findall(op.path)],
        "responses": {str(op.status): {"description": "Success"},
                      **{str(status): {"description": text} for status, text in op.also}, "default": ERROR},
        "security": [] if op.auth == NONE else [{op.auth: []}],
    }
    if op.fields:
        schema = {"type": "object", "properties": {name: {} for name in op.fields}}
        result["requestBody"] = {"content": {"application/json": {"schema": schema}}}
    return result


def document() -> dict[str, Any]:
    """Return the OpenAPI 3 document of every operation."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Deis controller API", "version": API_VERSION,
                 "description": "The Deis v1 REST API 1.7, re-created; see deis-v1-reference.md."},
        "paths": paths,
        "components": {"securitySchemes": SECURITY_SCHEMES},
    }
