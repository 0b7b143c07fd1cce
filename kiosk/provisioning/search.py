"""Where the first-boot service looks for a provisioning file: the boot partition, then
the top folder of each mounted removable medium."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from kiosk.provisioning import FILE_NAME

# Folders, in the order they are searched (shell patterns). /boot/firmware is where
# Raspberry Pi OS and Debian's images mount the FAT boot partition an installer can
# write from any computer; udisks mounts USB sticks at /media/USER/LABEL (or
# /run/media/USER/LABEL), usbmount and by-hand mounts at /media/LABEL or /mnt/NAME.
SEARCH_FOLDERS = (
    "/efi",  # a UEFI boot partition, where systemd mounts it (mkosi images)
    "/boot/efi",  # ... and where Debian's installer mounts it
    "/boot/firmware",
    "/boot",
    "/media/*/*",
    "/media/*",
    "/run/media/*/*",
    "/mnt/*",
)
# Colon-separated folder patterns searched instead (an image with its own mounts, tests).
SEARCH_ENV = "APM_KIOSK_PROVISION_PATHS"


def search_folders() -> list[str]:
    override = os.environ.get(SEARCH_ENV)
    if override:
        return [part for part in override.split(":") if part]
    return list(SEARCH_FOLDERS)


def find_provisioning_files(folders: list[str] | None = None) -> list[Path]:
    """Every provisioning file in the folders, in search order (each file once)."""
    found: list[Path] = []
    for pattern in folders if folders is not None else search_folders():
        for folder in sorted(glob.glob(pattern)):
            candidate = Path(folder) / FILE_NAME
            if candidate.is_file() and not any(_same(candidate, f) for f in found):
                found.append(candidate)
    return found


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False
