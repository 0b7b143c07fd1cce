"""The kiosk's configuration: one TOML file, typed and validated as a whole.

Loading either returns a complete, valid `KioskSettings` or raises `ConfigError` listing
every problem as `FILE: KEY: expected ..., found ...`, one per line; the kiosk never
starts half configured.  Device tables are validated by the driver their `type` names
(each driver declares its own `settings_model`), so a new driver brings its own checks.
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from drivers.device import Device
from drivers.registry import Registry, UnknownType

DEFAULT_CONFIG_PATH = Path("/etc/apm-kiosk/kiosk.toml")
DEFAULT_STATE_DIR = Path("/var/lib/apm-kiosk")
CONFIG_ENV = "APM_KIOSK_CONFIG"
STATE_DIR_ENV = "APM_KIOSK_STATE_DIR"
ROLES = ("receipt_printer", "document_printer", "card_reader")
# A kiosk may have these too: a QR scanner for receipts, apart from the card reader.
OPTIONAL_ROLES = ("scanner",)

M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """Every problem of one configuration, each line naming the file and the key."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


# --- the file's shape --------------------------------------------------------------------


class Strict(BaseModel):
    # strict: a TOML file has real booleans and numbers, so "no" is not false and "5" not 5.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# Paths are written as strings; strict mode alone would demand a Path object.
FilePath = Annotated[Path, Field(strict=False)]


# Translations the package ships (kiosk/ui/i18n); read as files, so Qt stays unloaded.
I18N_DIR = Path(__file__).parent / "ui" / "i18n"


class KioskSection(Strict):
    state_dir: FilePath = DEFAULT_STATE_DIR
    # The language each citizen starts in: Indonesian, or one with a translation file.
    language: str = Field(default="id", pattern=r"^[a-z]{2,3}$")
    fullscreen: bool = True
    screen_width: int = Field(default=1280, ge=320, le=7680)
    screen_height: int = Field(default=800, ge=240, le=4320)
    # Which screen the kiosk fills: its index ("0", "1"), or text found in its name or
    # model ("HDMI-1", "Touch"). Unset: the primary screen.
    screen: str | None = Field(default=None, min_length=1)
    # Hide the mouse pointer (a touch screen has no use for it).
    hide_cursor: bool = False
    # How large the screens are drawn. The layout is made for a 21.5-24" Full HD panel
    # (about 96 dpi), where its smallest buttons are 15 mm; on a denser panel (a 10"
    # 1280x800 is 150 dpi) they shrink with it. A number scales everything (1.5: half as
    # large again, the layout reflowing to the smaller logical screen); "auto" takes the
    # factor from the size the screen reports (EDID), which some panels get wrong.
    ui_scale: float | Literal["auto"] = 1.0
    # Read each screen's instruction aloud (espeak-ng; silent where it is not installed).
    voice_guidance: bool = True
    # The village's time zone for receipts and screens: WIB, WITA or WIT (or an IANA name
    # such as Asia/Makassar). Never the machine's own zone, which is UTC on a fresh image.
    timezone: str = "WIB"

    @field_validator("ui_scale", mode="before")
    @classmethod
    def _scale(cls, value: object) -> object:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if value == "auto" or (number and 0.5 <= value <= 4.0):  # type: ignore[operator]
            return value
        raise ValueError('expected a number from 0.5 to 4, or "auto"')

    @field_validator("language")
    @classmethod
    def _language_with_a_translation(cls, value: str) -> str:
        if value != "id" and not (I18N_DIR / f"apm_kiosk_{value}.qm").is_file():
            shipped = sorted(p.stem.removeprefix("apm_kiosk_") for p in I18N_DIR.glob("*.qm"))
            raise ValueError(
                f"expected id or a language with a translation file ({', '.join(shipped)};"
                f" kiosk/ui/i18n/apm_kiosk_{value}.qm is not there)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _indonesian_zone(cls, value: str) -> str:
        from kiosk.localtime import zone_name

        return zone_name(value)


class BackendSection(Strict):
    url: str | None = None
    token: str | None = Field(default=None, min_length=1)
    token_file: FilePath | None = None
    connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    read_timeout_s: float = Field(default=10.0, gt=0, le=300)
    verify_tls: bool | FilePath = True  # a path is a CA bundle
    embedded: bool = False
    embedded_auto_sign_s: float = Field(default=2.0, ge=0, le=86400)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme, sep, rest = value.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or " " in value:
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")


class SignatureSection(Strict):
    trust_anchors: list[FilePath] = Field(default_factory=list)


class StorageSection(Strict):
    """What the kiosk keeps on its disk, and for how long (personal data: as short as can be)."""

    # A letter and the personal data of a request leave the disk once printed and reported,
    # or after this many days when the citizen never comes back.
    retention_days: float = Field(default=14.0, gt=0, le=365)
    # Reprints through pickup, per letter, after the first print (each one is recorded).
    reprint_limit: int = Field(default=1, ge=0, le=5)


class SyncSection(Strict):
    """The outbox's sender and the prefetch of signed letters."""

    retry_min_s: float = Field(default=1.0, gt=0, le=600)
    retry_max_s: float = Field(default=300.0, gt=0, le=3600)
    # The link is shown as down only after this many failures in a row.
    down_after_failures: int = Field(default=3, ge=1, le=100)
    # How often pending requests made at this kiosk are checked, to prefetch signed letters.
    prefetch_every_s: float = Field(default=30.0, gt=0, le=3600)


# The screens where the citizen is the one to act (see kiosk.flow.state.Screen).
IdleScreen = Literal[
    "identify", "services", "form", "confirm", "waiting", "done", "pickup", "requests", "notice"
]


class TimeoutsSection(Strict):
    """Deadlines of the screens where the citizen waits on the machine."""

    identify_s: float = Field(default=20.0, gt=0, le=300)
    submit_s: float = Field(default=20.0, gt=0, le=300)
    print_s: float = Field(default=120.0, gt=0, le=1800)
    # How long a citizen may leave each screen untouched before the kiosk goes back to the
    # attract screen (and forgets them), by screen: e.g. { form = 180, done = 15 }.
    # A screen not named takes the backend's idle_timeout_s (60 s by default).
    idle_s: dict[IdleScreen, Annotated[float, Field(ge=10, le=1800)]] = Field(default_factory=dict)


class LoggingSection(Strict):
    level: Literal["debug", "info", "warning", "error"] = "info"
    # A rotating file in <state_dir>/logs; under systemd the journal gets the same lines.
    file: bool = True
    max_bytes: int = Field(default=2_000_000, ge=10_000, le=1_000_000_000)
    backups: int = Field(default=5, ge=0, le=100)
    # The file's lines: "text" for reading, or "json" (one object a line: time, level,
    # logger, thread, message) for log collectors.
    format: Literal["text", "json"] = "text"


# `apm-kiosk technician hash-pin` prints one: scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>.
PIN_HASH_PATTERN = r"^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$"


class TechnicianSection(Strict):
    """The hidden technician mode on the kiosk's screen."""

    # The technician PIN, stored hashed (never the PIN itself). Unset: no technician mode
    # on screen (`apm-kiosk diag` on the machine still works).
    pin_hash: str | None = None
    # Wrong PINs in a row before technician mode is locked, and for how long.
    max_failures: int = Field(default=5, ge=1, le=20)
    lockout_s: float = Field(default=300.0, ge=10, le=86400)
    # Technician mode goes back to the attract screen after this long untouched.
    idle_s: float = Field(default=300.0, ge=30, le=3600)

    @field_validator("pin_hash")
    @classmethod
    def _a_hash_not_a_pin(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(PIN_HASH_PATTERN, value):
            raise ValueError(
                "expected a PIN hash as `apm-kiosk technician hash-pin` prints it"
                " (scrypt$...), not the PIN itself"
            )
        return value


class ConfigFile(Strict):
    kiosk: KioskSection = KioskSection()
    backend: BackendSection
    signature: SignatureSection = SignatureSection()
    storage: StorageSection = StorageSection()
    sync: SyncSection = SyncSection()
    timeouts: TimeoutsSection = TimeoutsSection()
    logging: LoggingSection = LoggingSection()
    technician: TechnicianSection = TechnicianSection()
    devices: dict[str, Any]  # each table is validated by its driver's settings_model


# --- the loaded settings -------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceConfig:
    role: str
    type_name: str
    cls: type[Device]
    settings: BaseModel


class KioskSettings:
    """The validated configuration, plus the few things derived from it."""

    def __init__(self, source: str, parsed: ConfigFile, devices: dict[str, DeviceConfig]):
        self.source = source
        self.kiosk: KioskSection = parsed.kiosk
        self.backend: BackendSection = parsed.backend
        self.signature: SignatureSection = parsed.signature
        self.storage: StorageSection = parsed.storage
        self.sync: SyncSection = parsed.sync
        self.timeouts: TimeoutsSection = parsed.timeouts
        self.logging: LoggingSection = parsed.logging
        self.technician: TechnicianSection = parsed.technician
        self.devices: dict[str, DeviceConfig] = devices

    @property
    def state_dir(self) -> Path:
        override = os.environ.get(STATE_DIR_ENV)
        return Path(override) if override else self.kiosk.state_dir

    def trust_anchor_paths(self) -> list[Path]:
        """The CA certificates a letter's signature must chain up to.

        With the demo's embedded server, its demo CA (created on its first start).
        """
        if self.signature.trust_anchors:
            return list(self.signature.trust_anchors)
        if self.backend.embedded:
            return [self.state_dir / "embedded-server" / "demo-ca" / "ca.pem"]
        return []

    def backend_token(self) -> str:
        """The device token (read from token_file each time, so it can be rotated)."""
        if self.backend.token is not None:
            return self.backend.token
        if self.backend.token_file is None:
            raise ValueError("no backend token configured (embedded backend?)")
        return self.backend.token_file.read_text(encoding="utf-8").strip()

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles this kiosk has: every required one, and the optional ones configured."""
        return ROLES + tuple(role for role in OPTIONAL_ROLES if role in self.devices)

    def device_type(self, role: str) -> str:
        return self.devices[role].type_name

    def device_settings(self, role: str) -> BaseModel:
        return self.devices[role].settings

    def make_device(self, role: str) -> Device:
        device = self.devices[role]
        # Driver constructors take (device_id, settings); the Device base does not say so.
        factory: Any = device.cls
        made: Device = factory(role, device.settings)
        return made

    def summary(self) -> str:
        return ", ".join(f"{role}: {self.device_type(role)}" for role in self.roles)


# --- loading ----------------------------------------------------------------------------


def config_path(cli_value: str | os.PathLike[str] | None) -> Path:
    """--config, else $APM_KIOSK_CONFIG, else /etc/apm-kiosk/kiosk.toml."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else DEFAULT_CONFIG_PATH


def load_config(
    path: Path | str, *, registries: Mapping[str, Registry[Any] | None] | None = None
) -> KioskSettings:
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(source, ["file not found"]) from None
    except IsADirectoryError:
        raise ConfigError(source, ["is a directory, expected a TOML file"]) from None
    except OSError as exc:
        raise ConfigError(source, [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = f"0x{raw[exc.start]:02x}"
        raise ConfigError(source, [f"not UTF-8 text (invalid byte {bad} at line {line})"]) from None
    base_dir = path.absolute().parent
    return load_config_text(text, source=source, base_dir=base_dir, registries=registries)


def load_config_text(
    text: str,
    *,
    source: str,
    base_dir: Path,
    registries: Mapping[str, Registry[Any] | None] | None = None,
) -> KioskSettings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line L, column C)".
        raise ConfigError(source, [f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    parsed = _validate(ConfigFile, data, "", problems)
    devices = _validate_devices(data.get("devices"), registries, problems)
    problems.extend(_cross_checks(data, base_dir))
    if parsed is None or problems:
        raise ConfigError(source, problems or ["invalid configuration"])
    return KioskSettings(source, _resolve_paths(parsed, base_dir), devices)


def _cross_checks(data: dict[str, Any], base_dir: Path) -> list[str]:
    """Rules spanning several keys, checked on every section that is valid by itself,
    so that a typo elsewhere does not hide them."""
    problems = []
    backend = _quietly(BackendSection, data.get("backend"))
    if backend is not None:
        problems.extend(_backend_problems(_resolve_backend_paths(backend, base_dir)))
    signature = _quietly(SignatureSection, data.get("signature", {}))
    if signature is not None:
        anchors = [_absolute(p, base_dir) for p in signature.trust_anchors]
        problems.extend(_signature_problems(SignatureSection(trust_anchors=anchors)))
        if backend is not None and not anchors and not backend.embedded:
            # Without a trust anchor no letter could be verified, so none could be printed.
            problems.append(
                "signature.trust_anchors: expected at least one CA certificate file (PEM), "
                "found none (required unless backend.embedded = true)"
            )
    return problems


def _quietly(model: type[M], data: Any) -> M | None:
    if isinstance(data, dict):  # unknown keys are reported already; check what is known
        data = {key: value for key, value in data.items() if key in model.model_fields}
    try:
        return model.model_validate(data)
    except ValidationError:
        return None  # reported by the whole-file validation


def _backend_problems(backend: BackendSection) -> list[str]:
    """The rules that span several keys of [backend]."""
    problems = []
    if isinstance(backend.verify_tls, Path) and not backend.verify_tls.is_file():
        problems.append(f"backend.verify_tls: CA bundle not found: {backend.verify_tls}")
    if backend.embedded:
        return problems  # the demo's in-process server: no URL or token needed
    if backend.url is None:
        problems.append("backend.url: missing (required unless embedded = true)")
    if backend.token is None and backend.token_file is None:
        problems.append("backend: missing token (give token or token_file)")
    elif backend.token is not None and backend.token_file is not None:
        problems.append("backend: both token and token_file given (expected exactly one)")
    elif backend.token_file is not None:
        problems.extend(_token_file_problems(backend.token_file))
    return problems


def _token_file_problems(path: Path) -> list[str]:
    if not path.is_file():
        return [f"backend.token_file: file not found: {path}"]
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return [f"backend.token_file: cannot read {path}: {type(exc).__name__}"]
    return [] if token else [f"backend.token_file: {path} is empty"]


def _signature_problems(signature: SignatureSection) -> list[str]:
    problems = []
    for i, anchor in enumerate(signature.trust_anchors):
        if not anchor.is_file():
            problems.append(f"signature.trust_anchors.{i}: file not found: {anchor}")
            continue
        problem = _certificate_problem(anchor)
        if problem:
            problems.append(f"signature.trust_anchors.{i}: {anchor}: {problem}")
    return problems


def _certificate_problem(path: Path) -> str | None:
    """Why `path` is not a PEM certificate file, or None: a garbage anchor is caught at
    config check, not as every letter failing its check later.

    Only the form is checked here (markers, base64, a DER SEQUENCE), with the stdlib: the
    full parse happens where letters are checked, and `cryptography` would cost the kiosk
    process some 8 MiB for this alone.
    """
    import re
    import ssl

    try:
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    except UnicodeDecodeError:
        return "expected PEM certificate(s), found binary data"
    blocks = re.findall(
        r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, flags=re.DOTALL
    )
    if not blocks:
        return "expected PEM certificate(s), found none"
    for block in blocks:
        try:
            der = ssl.PEM_cert_to_DER_cert(block)
        except ValueError:
            return "expected PEM certificate(s), found something else"
        if len(der) < 64 or der[0] != 0x30:
            return "expected PEM certificate(s), found something else"
    return None


def _resolve_paths(parsed: ConfigFile, base: Path) -> ConfigFile:
    """Relative paths in the file are relative to the file's folder."""
    state_dir = _absolute(parsed.kiosk.state_dir, base)
    anchors = [_absolute(p, base) for p in parsed.signature.trust_anchors]
    return parsed.model_copy(
        update={
            "kiosk": parsed.kiosk.model_copy(update={"state_dir": state_dir}),
            "backend": _resolve_backend_paths(parsed.backend, base),
            "signature": SignatureSection(trust_anchors=anchors),
        }
    )


def _resolve_backend_paths(backend: BackendSection, base: Path) -> BackendSection:
    paths: dict[str, Any] = {}
    if backend.token_file is not None:
        paths["token_file"] = _absolute(backend.token_file, base)
    if isinstance(backend.verify_tls, Path):
        paths["verify_tls"] = _absolute(backend.verify_tls, base)
    return backend.model_copy(update=paths)


def _absolute(path: Path, base: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else base / path


# --- devices -------------------------------------------------------------------------


def default_registries() -> dict[str, Registry[Any] | None]:
    """The driver registries, imported only now (None for a layer not installed)."""
    found: dict[str, Registry[Any] | None] = dict.fromkeys(ROLES + OPTIONAL_ROLES)
    printers = _registry_module("printer")
    if printers is not None:
        found["receipt_printer"] = printers.RECEIPT_PRINTERS
        found["document_printer"] = printers.DOCUMENT_PRINTERS
    cards = _registry_module("cardreader")
    if cards is not None:
        found["card_reader"] = cards.CARD_READERS
        found["scanner"] = cards.CARD_READERS  # line readers: evdev, serial (accept_codes)
    return found


def _registry_module(layer: str) -> Any:
    try:
        return importlib.import_module(f"{layer}.registry")
    except ModuleNotFoundError as exc:
        if exc.name in (layer, f"{layer}.registry"):
            return None  # the layer is absent; a broken one below it is a real error
        raise


def _validate_devices(
    tables: Any, registries: Mapping[str, Registry[Any] | None] | None, problems: list[str]
) -> dict[str, DeviceConfig]:
    if not isinstance(tables, dict):
        return {}  # reported by the ConfigFile validation
    if registries is None:
        registries = default_registries()
    devices = {}
    for role in ROLES:
        if role not in tables:
            problems.append(f"devices.{role}: missing (expected a table with a 'type' key)")
            continue
        device = _validate_device(role, tables[role], registries.get(role), problems)
        if device is not None:
            devices[role] = device
    for role in OPTIONAL_ROLES:
        if role in tables:
            device = _validate_device(role, tables[role], registries.get(role), problems)
            if device is not None and _scans_codes(device, problems):
                devices[role] = device
    known = ROLES + OPTIONAL_ROLES
    for extra in sorted(set(tables) - set(known)):
        problems.append(f"devices.{extra}: {_unknown_key_message(extra, known)}")
    return devices


def _scans_codes(device: DeviceConfig, problems: list[str]) -> bool:
    """A scanner is there for the receipts' QR codes: it must deliver them."""
    accepts = getattr(device.settings, "accept_codes", None)
    if accepts is True:
        return True
    if accepts is None:
        found = f"type {device.type_name!r}, which reads no codes"
        problems.append(
            f"devices.scanner.type: expected a reader that types lines (evdev or serial), "
            f"found {found}"
        )
    else:
        problems.append(
            "devices.scanner.accept_codes: expected true (a scanner delivers the receipts' "
            "QR codes), found false"
        )
    return False


def _validate_device(
    role: str, table: Any, registry: Registry[Any] | None, problems: list[str]
) -> DeviceConfig | None:
    where = f"devices.{role}"
    if registry is None:
        problems.append(f"{where}: no drivers installed for this role")
        return None
    if not isinstance(table, dict):
        problems.append(f"{where}: expected a table, found {_describe(table)}")
        return None
    cls = _driver_class(where, table.get("type"), registry, problems)
    if cls is None:
        return None
    settings = _validate(cls.settings_model, table, where + ".", problems)
    return DeviceConfig(role, table["type"], cls, settings) if settings is not None else None


def _driver_class(where: str, type_name: Any, registry: Registry[Any], problems: list[str]) -> Any:
    known = ", ".join(registry.names())
    if type_name is None:
        problems.append(f"{where}.type: missing (known types: {known})")
        return None
    if not isinstance(type_name, str):
        problems.append(f"{where}.type: expected a string, found {_describe(type_name)}")
        return None
    try:
        cls = registry.resolve(type_name)
    except UnknownType:
        problems.append(f"{where}.type: unknown type {type_name!r} (known types: {known})")
        return None
    except Exception as exc:  # a driver that cannot even be imported (missing library)
        problems.append(f"{where}.type: driver {type_name!r} cannot be loaded: {exc}")
        return None
    if not isinstance(getattr(cls, "settings_model", None), type):
        problems.append(f"{where}.type: driver {type_name!r} declares no settings_model")
        return None
    return cls


# --- explaining validation errors ----------------------------------------------------------


def _validate(model: type[BaseModel], data: Any, prefix: str, problems: list[str]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(explain_validation_errors(exc, model, prefix))
        return None


def explain_validation_errors(
    exc: ValidationError, model: type[BaseModel], prefix: str
) -> list[str]:
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        keys, _ = _walk(model, loc)
        key = prefix + ".".join(keys) if keys else prefix.rstrip(".") or "(top level)"
        kind = error["type"]
        if kind == "extra_forbidden":
            _, parent = _walk(model, loc[:-1])
            known = list(getattr(parent, "model_fields", {}))
            lines.append(f"{key}: {_unknown_key_message(str(loc[-1]), known)}")
        elif kind == "missing":
            lines.append(f"{key}: missing")
        elif kind == "union_tag_invalid":
            ctx = error.get("ctx", {})
            tags = str(ctx.get("expected_tags", "")).replace("'", "")
            lines.append(f"{key}.type: unknown type {ctx.get('tag')!r} (known types: {tags})")
        elif kind == "union_tag_not_found":
            lines.append(f"{key}.type: missing")
        elif kind == "value_error":
            message = str(error["msg"]).removeprefix("Value error, ")
            value = error.get("input")
            found = "" if isinstance(value, dict) else f", found {_describe(value)}"
            lines.append(f"{key}: {message}{found}")
        else:
            found = _describe(error.get("input"))
            lines.append(f"{key}: expected {_expected(error)}, found {found}")
    return lines


def _walk(model: type[BaseModel], loc: list[Any]) -> tuple[list[str], Any]:
    """The key path as written in the file (without pydantic's union tags and
    validator names), and the type the path leads to."""
    keys: list[str] = []
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        member = _union_member(current, part)
        if member is not None:  # a discriminated union's tag, not a key in the file
            current = member
            continue
        if isinstance(part, str) and "[" in part:  # e.g. "function-after[...]"
            continue
        keys.append(str(part))
        current = _child(current, part)
    return keys, _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _union_member(annotation: Any, tag: Any) -> Any:
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return None
    for member in typing.get_args(annotation):
        member = _unwrap(member)
        field = getattr(member, "model_fields", {}).get("type")
        if field is not None and tag in typing.get_args(field.annotation):
            return member
    return None


def _child(annotation: Any, part: Any) -> Any:
    fields = getattr(annotation, "model_fields", None)
    if fields is not None:
        field = fields.get(part)
        return field.annotation if field is not None else None
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is list and args:
        return args[0]
    return None


_PLAIN_EXPECTATIONS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "list_type": "a list",
    "path_type": "a path (string)",
}


def _expected(error: Any) -> str:
    kind = error["type"]
    if kind in _PLAIN_EXPECTATIONS:
        return _PLAIN_EXPECTATIONS[kind]
    message = str(error["msg"]).removeprefix("Input should be ")
    return message[:1].lower() + message[1:] if message else kind


def _unknown_key_message(key: str, known: Any) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r}{hint}"


_TYPE_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list"}


def _describe(value: Any) -> str:
    """A value as the TOML author wrote it, with its type: `"fast" (string)`."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({_TYPE_NAMES.get(type(value), type(value).__name__)})"
