"""One provisioning run, from a provisioning file to a kiosk that talks to its backend.

Everything is said through the `kiosk.provisioning` logger, in words for the technician
or vendor watching (`apm-kiosk provision` prints them; the first-boot service sends them
to the journal). A failure raises ProvisioningFailed with the exit code to give.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tomlkit.toml_document import TOMLDocument

from apm_api.models import Enrolled
from kiosk.provisioning import backend, config_edit
from kiosk.provisioning.file import (
    ProvisioningFile,
    ProvisioningFileError,
    load_provisioning_file,
    remove_enrolment_token,
    shown_fingerprint,
    token_hint,
)
from kiosk.provisioning.writing import StagedFile, WriteFailed, replace_all, stage_file

log = logging.getLogger("kiosk.provisioning")

EXIT_OK = 0
EXIT_FAILED = 1  # refused, unreachable, a mismatch: nothing written
EXIT_UNUSABLE = 2  # the provisioning file or the kiosk's config cannot be used
KIOSK_USER = "apm-kiosk"  # the package's system user, which runs the kiosk


class ProvisioningFailed(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Provisioned:
    kiosk_id: str
    label: str
    village_code: str
    backend_url: str
    token_file: Path
    ca_file: Path
    config: Path


def provision(file: Path, config: Path) -> Provisioned:
    """Enrol with the backend the file names and write the config: all, or nothing."""
    wanted = _read_file(file)
    log.info(
        "Provisioning file %s: village %s, backend %s, enrolment token %s",
        file, wanted.village_code, wanted.backend_url, wanted.token_hint,
    )  # fmt: skip
    document = _read_config(config)
    where = config_edit.targets(config, document)
    ca_pem = _pinned_ca(wanted)
    with tempfile.TemporaryDirectory(prefix="apm-provision-") as scratch:
        ca_file = Path(scratch) / config_edit.CA_FILE_NAME
        ca_file.write_text(ca_pem, encoding="ascii")
        _check_config_will_load(config, document, wanted, Path(scratch), ca_file)
        _check_can_write(where)
        enrolled = _enrol(file, wanted, ca_file)
    provisioned = Provisioned(
        kiosk_id=enrolled.kiosk_id,
        label=enrolled.label,
        village_code=wanted.village_code,
        backend_url=wanted.backend_url,
        token_file=where.token_file,
        ca_file=where.ca_file,
        config=config,
    )
    _write(where, document, wanted, ca_pem, enrolled.device_token, provisioned)
    return provisioned


def _read_file(file: Path) -> ProvisioningFile:
    try:
        return load_provisioning_file(file)
    except ProvisioningFileError as exc:
        raise ProvisioningFailed(str(exc), EXIT_UNUSABLE) from None


def _read_config(config: Path) -> TOMLDocument:
    try:
        return config_edit.read_config(config)[1]
    except config_edit.ConfigUnusable as exc:
        raise ProvisioningFailed(str(exc), EXIT_UNUSABLE) from None


def _pinned_ca(wanted: ProvisioningFile) -> str:
    """The backend's CA certificate, if its fingerprint is the file's; refused before the
    enrolment token is sent anywhere otherwise."""
    try:
        pem = backend.fetch_ca_certificate(wanted.backend_url)
    except backend.BackendFailed as exc:
        raise ProvisioningFailed(f"Cannot fetch the backend's CA certificate: {exc}") from None
    found = backend.certificate_fingerprint(pem)
    if found != wanted.ca_fingerprint:
        raise ProvisioningFailed(
            "Refused: the backend's CA certificate is not the one the provisioning file "
            f"names.\n  expected (file): {shown_fingerprint(wanted.ca_fingerprint)}\n"
            f"  found (backend): {shown_fingerprint(found)}\n"
            "The enrolment token was NOT sent. Check backend_url and ca_fingerprint with "
            "the district (someone may be intercepting this network)."
        )
    log.info("Backend CA certificate matches the fingerprint %s", shown_fingerprint(found))
    return pem


def _check_config_will_load(
    config: Path,
    document: TOMLDocument,
    wanted: ProvisioningFile,
    scratch: Path,
    ca_file: Path,
) -> None:
    """Load the config as it will be written (with a stand-in token file), before the
    one-time token is spent on a kiosk that could not start."""
    from kiosk.config import ConfigError, load_config_text

    stand_in = scratch / config_edit.TOKEN_FILE_NAME
    stand_in.write_text("stand-in\n", encoding="ascii")
    text = config_edit.provisioned_text(
        document, url=wanted.backend_url, token_file=str(stand_in), ca_file=str(ca_file)
    )
    try:
        load_config_text(text, source=str(config), base_dir=config.absolute().parent)
    except ConfigError as exc:
        raise ProvisioningFailed(
            f"The kiosk's config would not be valid once provisioned; fix it first (the "
            f"enrolment token was not used):\n{exc}",
            EXIT_UNUSABLE,
        ) from None


def _check_can_write(where: config_edit.ConfigTargets) -> None:
    """Each file can be written where it goes (tried for real: a temporary file made and
    removed), before the one-time token is spent."""
    for target in (where.token_file, where.ca_file, where.config):
        problem = None
        if target.is_dir():
            problem = "a folder is in the way"
        else:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                stage_file(target, b"", mode=0o600).discard()
            except OSError as exc:
                problem = exc.strerror or str(exc)
        if problem is not None:
            raise ProvisioningFailed(
                f"Cannot write {target}: {problem} (run as root: sudo apm-kiosk provision "
                "...). Nothing was written; the enrolment token was not used.",
                EXIT_UNUSABLE,
            )


def _enrol(file: Path, wanted: ProvisioningFile, ca_file: Path) -> Enrolled:
    try:
        enrolled = backend.enrol(wanted.backend_url, wanted.enrolment_token, ca_file)
    except backend.EnrolmentRefused as refused:
        _remove_token(file)  # refused for good: used, unknown or expired
        raise ProvisioningFailed(
            f"Refused: the backend did not accept the enrolment token {wanted.token_hint}: "
            f"{refused} Nothing was written."
        ) from None
    except backend.BackendFailed as exc:
        raise ProvisioningFailed(
            f"Enrolment failed: {exc}. Nothing was written; the enrolment token stays in "
            f"{file} for another try."
        ) from None
    log.info(
        "Enrolled as kiosk %s (%s); device token %s",
        enrolled.kiosk_id, enrolled.label, token_hint(enrolled.device_token),
    )  # fmt: skip
    _remove_token(file)  # used up now, whatever follows
    if wanted.label and wanted.label != enrolled.label:
        log.warning(
            "The backend knows this kiosk as %r, the provisioning file as %r",
            enrolled.label, wanted.label,
        )  # fmt: skip
    _check_village(wanted, enrolled, ca_file)
    return enrolled


def _check_village(wanted: ProvisioningFile, enrolled: Enrolled, ca_file: Path) -> None:
    village = enrolled.village_code
    try:
        if village is None:  # a backend whose answer does not say: ask as the kiosk
            village = backend.kiosk_village(wanted.backend_url, enrolled.device_token, ca_file)
    except backend.BackendFailed as exc:
        raise ProvisioningFailed(
            f"Enrolled as kiosk {enrolled.kiosk_id}, but its village could not be checked: "
            f"{exc}. Nothing was written; ask the district to revoke kiosk "
            f"{enrolled.kiosk_id} and to make a new enrolment token."
        ) from None
    if village != wanted.village_code:
        raise ProvisioningFailed(
            f"Refused: the backend enrolled this kiosk as {enrolled.kiosk_id} in village "
            f"{village}, but the provisioning file says village {wanted.village_code}. "
            f"Nothing was written. Ask the district to revoke kiosk {enrolled.kiosk_id} and "
            f"to make an enrolment token for village {wanted.village_code}."
        )
    log.info("Village checked: %s", village)


def _write(
    where: config_edit.ConfigTargets,
    document: TOMLDocument,
    wanted: ProvisioningFile,
    ca_pem: str,
    device_token: str,
    provisioned: Provisioned,
) -> None:
    """The device token, the CA, then the config; all or nothing."""
    from kiosk.config import ConfigError, load_config

    new_text = config_edit.provisioned_text(
        document,
        url=wanted.backend_url,
        token_file=where.token_file_as_written,
        ca_file=str(where.ca_file),
    )
    config_stat = where.config.stat()
    staged: list[StagedFile] = []

    def check() -> None:
        load_config(where.config)  # as `apm-kiosk config check` would

    try:
        where.token_file.parent.mkdir(parents=True, exist_ok=True)
        staged.append(
            stage_file(
                where.token_file,
                (device_token + "\n").encode(),
                mode=0o600,
                owner=_kiosk_user(),
            )
        )
        staged.append(stage_file(where.ca_file, ca_pem.encode("ascii"), mode=0o644))
        staged.append(
            stage_file(
                where.config,
                new_text.encode("utf-8"),
                mode=config_stat.st_mode & 0o7777,
                owner=_same_owner(config_stat),
            )
        )
        replace_all(staged, check=check)
    except (OSError, WriteFailed, ConfigError) as exc:
        for item in staged:
            item.discard()
        raise ProvisioningFailed(
            f"Enrolled as kiosk {provisioned.kiosk_id}, but the files could not be written: "
            f"{exc}. Nothing was changed (the old config is as it was). The enrolment token "
            f"is used up: ask the district to revoke kiosk {provisioned.kiosk_id} and to make "
            "a new enrolment token.",
        ) from None


def _kiosk_user() -> tuple[int, int] | None:
    """The kiosk's user and group, to own the token file: when run as root and the
    package's user exists (elsewhere, whoever runs this owns it, and runs the kiosk)."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        user = pwd.getpwnam(KIOSK_USER)
    except KeyError:
        return None
    return user.pw_uid, user.pw_gid


def _same_owner(stat: os.stat_result) -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    return stat.st_uid, stat.st_gid


def _remove_token(file: Path) -> None:
    removal = remove_enrolment_token(file)
    if removal.outcome == "removed":
        log.info("Removed the used enrolment token from %s", file)
    elif removal.outcome == "read-only":
        log.warning(
            "Could not remove the used enrolment token from %s (%s: a read-only medium?). "
            "It cannot be used again; remove the enrolment_token line by hand.",
            file, removal.detail,
        )  # fmt: skip
    elif removal.outcome == "failed":
        log.warning(
            "Could not remove the used enrolment token from %s: %s. It cannot be used "
            "again; remove the enrolment_token line by hand.",
            file, removal.detail,
        )  # fmt: skip
