import io
import tarfile

import pytest

from builder.fetch import FetchFailed, split, unpack, unsafe_member


def test_a_git_url_may_name_a_ref():
    assert split("https://example.com/pack.git#v1.2") == ("https://example.com/pack.git", "v1.2")
    assert split("git://example.com/pack") == ("git://example.com/pack", "")


@pytest.mark.parametrize("url", ["file:///etc", "ext::sh -c id", "--upload-pack=id", "/srv/pack", "ssh://h/p",
                                 "https://example.com/p.git#--upload-pack=x", "https://example.com/p.git#a;b"])
def test_anything_but_a_network_url_and_a_plain_ref_is_refused(url):
    with pytest.raises(FetchFailed):
        split(url)


def member(name, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize("info", [
    member("/etc/passwd"), member("../x"), member("bin/../../x"), member("dev", tarfile.CHRTYPE),
    member("l", tarfile.SYMTYPE, "/etc"), member("bin/l", tarfile.SYMTYPE, "../../x"),
    member("h", tarfile.LNKTYPE, "/x"),
])
def test_members_that_escape_are_unsafe(info):
    assert unsafe_member(info)


def test_plain_members_and_inner_links_are_safe():
    assert unsafe_member(member("bin/compile")) is None
    assert unsafe_member(member("bin/detect", tarfile.SYMTYPE, "compile")) is None


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_tarball_with_one_top_folder_is_unpacked_from_inside_it(tmp_path):
    unpack(tarball({"pack-main/bin/detect": b"#!/bin/sh\n"}), tmp_path / "custom")
    assert (tmp_path / "custom" / "bin" / "detect").read_bytes() == b"#!/bin/sh\n"


def test_a_tarball_escaping_its_folder_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(FetchFailed, match="outside"):
        unpack(tarball({"bin/detect": b"x", "../evil": b"x"}), tmp_path / "custom")
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "custom").exists()
