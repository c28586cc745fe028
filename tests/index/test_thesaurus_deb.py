"""OpenThesaurus from Debian's package without apt: reading the .deb, checking it, finding it."""
from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile

import pytest

from fundstelle.settings import DEFAULT_MODELS_DIR, REPO_ROOT
from index import thesaurus
from index.thesaurus_deb import MEMBER, PackageError, install, installed_path, thesaurus_text

SAMPLE = "# OpenThesaurus - German Thesaurus in text format\numsiedeln;umziehen;den Wohnsitz wechseln\n"


def _tar_xz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _ar(members: dict[str, bytes]) -> bytes:
    """An ar archive as dpkg-deb writes it (16-byte names, decimal sizes, even padding)."""
    out = [b"!<arch>\n"]
    for name, data in members.items():
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}".encode("ascii") + b"`\n"
        out += [header, data, b"\n" if len(data) % 2 else b""]
    return b"".join(out)


def _deb(text: str = SAMPLE, member: str = "./" + MEMBER) -> bytes:
    return _ar({"debian-binary": b"2.0\n",
                "control.tar.xz": _tar_xz({"./control": b"Package: openthesaurus-de-text\n"}),
                "data.tar.xz": _tar_xz({member: text.encode("utf-8")})})


def test_the_synonym_file_is_taken_out_of_the_package():
    assert thesaurus_text(_deb()).decode("utf-8") == SAMPLE


def test_a_file_that_is_no_debian_package_is_one_clear_error():
    with pytest.raises(PackageError, match="not a Debian package"):
        thesaurus_text(b"<html>404</html>")


def test_a_package_without_the_synonym_file_says_which_file_is_missing():
    with pytest.raises(PackageError, match="openthesaurus.txt is not in the package"):
        thesaurus_text(_deb(member="./usr/share/doc/readme.txt"))


def test_a_truncated_package_is_reported_not_read_half():
    with pytest.raises(PackageError, match="truncated"):
        thesaurus_text(_deb()[:-200])


def test_install_checks_the_pinned_hash_and_writes_the_file(tmp_path):
    package = tmp_path / "openthesaurus-de-text.deb"
    package.write_bytes(_deb())
    url = package.as_uri()
    models = tmp_path / "models"
    with pytest.raises(PackageError, match="is not the pinned"):
        install(models, url=url, sha256="0" * 64)
    assert not installed_path(models).exists(), "nothing is written from a package that fails its check"
    path = install(models, url=url, sha256=hashlib.sha256(package.read_bytes()).hexdigest())
    assert path == installed_path(models) and path.read_text(encoding="utf-8") == SAMPLE


def test_an_unreachable_archive_is_one_line_naming_the_url(tmp_path):
    url = (tmp_path / "missing.deb").as_uri()
    with pytest.raises(PackageError, match="missing.deb cannot be fetched"):
        install(tmp_path / "models", url=url)


def test_the_copy_under_the_models_folder_is_used_where_the_system_has_none(tmp_path, monkeypatch):
    models = tmp_path / "models"
    installed_path(models).parent.mkdir(parents=True)
    installed_path(models).write_text(SAMPLE, encoding="utf-8")
    monkeypatch.setattr(thesaurus, "DEFAULT_PATHS", (tmp_path / "no-system-file.txt",))
    try:
        thesaurus.use_models_dir(models)
        assert "den Wohnsitz wechseln" in thesaurus.default_thesaurus().related("umziehen")
    finally:
        thesaurus.use_models_dir(DEFAULT_MODELS_DIR)
        thesaurus.default_thesaurus.cache_clear()


def test_the_command_reports_whether_it_is_installed(tmp_path):
    env = {"FUNDSTELLE_MODELS_DIR": str(tmp_path / "models"), "PATH": "/usr/bin:/bin"}
    absent = subprocess.run([sys.executable, "-m", "index.thesaurus_deb", "--check"], env=env, cwd=REPO_ROOT,
                            capture_output=True, text=True)
    assert absent.returncode == 1
    installed_path(tmp_path / "models").parent.mkdir(parents=True)
    installed_path(tmp_path / "models").write_text(SAMPLE, encoding="utf-8")
    present = subprocess.run([sys.executable, "-m", "index.thesaurus_deb", "--check"], env=env, cwd=REPO_ROOT,
                             capture_output=True, text=True)
    assert present.returncode == 0
