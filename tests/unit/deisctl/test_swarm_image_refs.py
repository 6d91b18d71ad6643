"""Service specs name the platform's images by content, so a Swarm agent never pulls another image of that name."""

import pytest

from deisctl.swarm import image_refs, preflight, specs
from deisctl.swarm.specs import Node, Settings

IMAGE_ID = "sha256:" + "a" * 64
DIGEST = "sha256:" + "b" * 64


@pytest.mark.parametrize("name", ["registry.example.com:5000/deis/controller:v2", "deis/controller:v2"])
def test_a_registry_port_is_not_taken_for_a_tag(name):
    image = {"Id": IMAGE_ID, "RepoDigests": [f"{name.rpartition(':')[0]}@{DIGEST}"]}
    assert image_refs.pinned_reference(name, image) == f"{name}@{DIGEST}"


def test_a_loaded_image_without_a_registry_digest_is_named_by_its_id():
    # What 'docker load' leaves: no RepoDigests, so only the ID names these bytes on every node.
    assert image_refs.pinned_reference("deis/controller:v1.13.4", {"Id": IMAGE_ID, "RepoDigests": []}) == IMAGE_ID


def test_an_image_pulled_from_its_registry_keeps_its_name_with_the_digest():
    image = {"Id": IMAGE_ID, "RepoDigests": [f"registry.example.com:5000/deis/controller@{DIGEST}"]}
    name = "registry.example.com:5000/deis/controller:v2"
    assert image_refs.pinned_reference(name, image) == f"{name}@{DIGEST}"


def test_a_digest_from_another_repository_is_not_taken_for_this_name():
    # The same bytes once pulled as deis/controller from Docker Hub: that digest would send nodes there.
    image = {"Id": IMAGE_ID, "RepoDigests": [f"deis/controller@{DIGEST}"]}
    assert image_refs.pinned_reference("registry.example.com:5000/deis/controller:v2", image) == IMAGE_ID
    assert image_refs.pinned_reference("deis/controller:v2", image) == f"deis/controller:v2@{DIGEST}"


def _spec() -> dict:
    return specs.service_specs(Settings(), [Node("n1", "10.0.0.11")])["router"]


def test_a_pinned_spec_runs_the_reference_names_its_image_and_hashes_both():
    spec = _spec()
    pinned = image_refs.with_reference(spec, IMAGE_ID)
    container = pinned["TaskTemplate"]["ContainerSpec"]
    assert container["Image"] == IMAGE_ID
    assert container["Labels"][image_refs.IMAGE_LABEL] == Settings().image("router")
    assert image_refs.image_name(pinned) == image_refs.image_name(spec) == Settings().image("router")
    assert preflight.needed_images({"router": pinned}) == [Settings().image("router")]
    # a rebuilt image under the same tag changes the hash, so 'start' rolls it out
    rebuilt = image_refs.with_reference(spec, "sha256:" + "c" * 64)
    assert pinned["Labels"][specs.HASH_LABEL] != rebuilt["Labels"][specs.HASH_LABEL]
    assert specs.plan({"router": rebuilt}, {"router": pinned["Labels"]}).update == ("router",)
    # pinning again keeps the name it was pinned from, and the same reference gives the same hash
    again = image_refs.with_reference(pinned, IMAGE_ID)
    assert again == pinned


def test_an_image_the_engine_lacks_keeps_its_name():
    class Engine:
        inspected: list[str] = []

        def inspect_image(self, name):
            import docker
            self.inspected.append(name)
            raise docker.errors.ImageNotFound(name)

    engine = Engine()
    pinned = image_refs.pin_all(engine, {"router": _spec(), "other": _spec()})
    assert pinned["router"]["TaskTemplate"]["ContainerSpec"]["Image"] == Settings().image("router")
    assert engine.inspected == [Settings().image("router")]  # one question per image
