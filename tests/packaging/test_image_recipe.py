"""The image recipe (packaging/mkosi) and the build scripts, checked without building an
image: mkosi reads the recipe as a build would (unknown keys and bad values are errors),
the scripts parse, and the image's provisioning search keeps apm-kiosk's own folders."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.provisioning.search import SEARCH_ENV, SEARCH_FOLDERS

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
RECIPE = PACKAGING / "mkosi"


def mkosi_summary(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mkosi", "summary"], cwd=folder, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def mkosi() -> None:
    if shutil.which("mkosi") is None:
        pytest.skip("mkosi is not installed (./scripts/setup installs Debian's as root)")


def summary_value(summary: str, name: str) -> str:
    match = re.search(rf"^\s*{re.escape(name)}: (.*)$", summary, re.M)
    assert match, f"no {name!r} in mkosi's summary:\n{summary}"
    return match.group(1).strip()


@pytest.mark.usefixtures("mkosi")
def test_mkosi_reads_the_recipe_as_a_bootable_debian_12_image_with_the_kiosk_parts() -> None:
    result = mkosi_summary(RECIPE)
    assert result.returncode == 0, result.stderr
    summary = result.stdout + result.stderr  # mkosi 14 prints it on stderr
    assert summary_value(summary, "Distribution") == "debian"
    assert summary_value(summary, "Release") == "bookworm"
    assert summary_value(summary, "Output Format") == "gpt_ext4"
    assert summary_value(summary, "Bootable") == "yes"
    assert summary_value(summary, "Postinstall Script") == str(RECIPE / "mkosi.postinst")
    assert summary_value(summary, "Extra Trees") == str(RECIPE / "mkosi.extra")
    packages = summary[summary.index("Packages:") : summary.index("Package Cache:")].split()
    assert {"cage", "pcscd", "libccid", "cups", "openssh-server"} <= set(packages)
    assert summary_value(summary, "Password") == "default"  # root stays locked: no secret


@pytest.mark.usefixtures("mkosi")
def test_mkosi_refuses_a_recipe_with_a_mistake(tmp_path: Path) -> None:
    """The check above can fail: a misspelt key or a bad value is an error."""
    shutil.copytree(RECIPE, tmp_path / "recipe")
    conf = tmp_path / "recipe" / "mkosi.conf"
    conf.write_text(conf.read_text().replace("Format=gpt_ext4", "Format=gpt_ext5"))
    result = mkosi_summary(tmp_path / "recipe")
    assert result.returncode != 0 and "gpt_ext5" in result.stderr


@pytest.mark.parametrize(
    "script", ["build-deb", "build-image", "mkosi/mkosi.postinst", "debian/postinst"]
)
def test_the_scripts_are_executable_and_parse(script: str) -> None:
    path = PACKAGING / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    shell = "bash" if "bash" in path.read_text().splitlines()[0] else "sh"
    result = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", ["build-deb", "build-image"])
def test_the_build_scripts_explain_themselves(script: str) -> None:
    result = subprocess.run(
        [str(PACKAGING / script), "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Build the ") and "Usage: packaging/" in result.stdout


def test_the_image_also_searches_every_folder_apm_kiosk_searches() -> None:
    """The image adds its ESP (/efi) to the provisioning search; the folders apm-kiosk looks
    in by default must stay in that list."""
    dropin = RECIPE / "mkosi.extra/etc/systemd/system/apm-kiosk-firstboot.service.d"
    text = (dropin / "apm-kiosk-image.conf").read_text()
    match = re.search(rf"^Environment={SEARCH_ENV}=(\S+)$", text, re.M)
    assert match, text
    folders = match.group(1).split(":")
    assert folders[0] == "/efi"
    assert [f for f in folders if f in SEARCH_FOLDERS] == list(SEARCH_FOLDERS)
