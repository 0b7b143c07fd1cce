"""Can Qt show a window here? Asked before Qt is imported, so a missing screen is a clear
message and not a core dump.

Qt aborts the process (qFatal, SIGABRT, "core dumped") when no platform plugin starts:
no X server behind $DISPLAY, no Wayland compositor, or the xcb plugin's own libraries
missing. This module checks the same things first, cheaply: a connect() on the display's
socket and a dlopen() of the plugin's libraries. It imports nothing from Qt.

What it cannot see: an X server that refuses us (xauth) or a compositor that lacks a
shell Qt needs. Qt still reports those itself.
"""

from __future__ import annotations

import ctypes
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path

# The libraries PySide6's xcb plugin (libqxcb.so and libQt6XcbQpa.so.6) needs beyond those
# Qt needs offscreen, with the Debian 12 package that has each. libxcb-cursor is loaded by
# Qt at run time (dlopen), so ldd does not list it, yet Qt >= 6.5 refuses to start without it.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}
# The same for the wayland plugin (libqwayland.so and libQt6WaylandClient.so.6).
WAYLAND_LIBRARIES: dict[str, str] = {
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libxkbcommon.so.0": "libxkbcommon0",
}
# Platforms that need no screen at all (they draw into memory, or serve VNC).
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc"})
# Platforms that draw straight on the hardware; eglfs picks its own device, so it is
# trusted as configured.
DEVICE_PLATFORMS = frozenset({"eglfs", "vkkhrdisplay"})
WAYLAND_PLATFORMS = frozenset({"wayland", "wayland-egl", "wayland-brcm"})
HEADLESS_HINT = "For a headless test, set QT_QPA_PLATFORM=offscreen (nothing is shown)."
X_SOCKET_DIR = "/tmp/.X11-unix"
X_TCP_PORT = 6000
CONNECT_TIMEOUT_S = 1.0

LibraryLoader = Callable[[str], object]


def display_problem(
    environ: Mapping[str, str],
    *,
    xcb_libraries: Mapping[str, str] = XCB_LIBRARIES,
    wayland_libraries: Mapping[str, str] = WAYLAND_LIBRARIES,
) -> str | None:
    """None when Qt can show the kiosk's window with this environment; otherwise one
    paragraph: what is missing, and what to do about it."""
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    platforms = requested_platforms(requested) if requested else default_platforms(environ)
    reasons: list[str] = []
    for name, options in platforms:
        reason = platform_problem(name, options, environ, xcb_libraries, wayland_libraries)
        if reason is None:
            return None
        reasons.append(reason)
    if not requested and not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return no_screen_at_all(xcb_libraries)
    return f"cannot show the kiosk's window: {'; '.join(reasons)}. {HEADLESS_HINT}"


def no_screen_at_all(xcb_libraries: Mapping[str, str]) -> str:
    message = (
        "no screen to show the kiosk on: neither DISPLAY (an X server) nor "
        "WAYLAND_DISPLAY (a Wayland compositor) is set. Start the kiosk inside the "
        "screen's X session or compositor, or set DISPLAY to a running X server "
        f"(e.g. DISPLAY=:0). {HEADLESS_HINT}"
    )
    missing = missing_libraries(xcb_libraries)
    if missing:  # said now, or it is the next surprise once X runs
        message += " Also: " + library_advice("X11 (xcb)", missing, xcb_libraries) + "."
    return message


def requested_platforms(requested: str) -> list[tuple[str, str]]:
    """QT_QPA_PLATFORM is a ';'-separated list Qt tries in order, each `name[:options]`."""
    platforms = []
    for entry in requested.split(";"):
        name, _, options = entry.strip().partition(":")
        if name:
            platforms.append((name, options))
    return platforms


def default_platforms(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """What Qt (6.12) tries without QT_QPA_PLATFORM: Wayland first when the environment
    names a compositor or a Wayland session, then X."""
    if environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland":
        return [("wayland", ""), ("xcb", "")]
    return [("xcb", "")]


def platform_problem(
    name: str,
    options: str,
    environ: Mapping[str, str],
    xcb_libraries: Mapping[str, str],
    wayland_libraries: Mapping[str, str],
) -> str | None:
    if name in HEADLESS_PLATFORMS or name in DEVICE_PLATFORMS:
        return None
    if name == "xcb":
        return xcb_problem(environ, xcb_libraries)
    if name in WAYLAND_PLATFORMS:
        return wayland_problem(environ, wayland_libraries)
    if name == "linuxfb":
        return framebuffer_problem(options)
    return f"QT_QPA_PLATFORM names {name!r}, a platform this kiosk does not know"


# --- X11 (the xcb plugin) --------------------------------------------------------------------


def xcb_problem(environ: Mapping[str, str], libraries: Mapping[str, str]) -> str | None:
    reasons = []
    display = environ.get("DISPLAY", "")
    if not display:
        reasons.append("DISPLAY is not set: start X, or set DISPLAY=:0 for this machine's screen")
    else:
        unreachable = x_display_unreachable(display)
        if unreachable:
            reasons.append(f"{unreachable}: start the X server, or set DISPLAY to a running one")
    missing = missing_libraries(libraries)
    if missing:
        reasons.append(library_advice("X11 (xcb)", missing, libraries))
    return "; ".join(reasons) or None


def x_display_unreachable(display: str) -> str | None:
    """None when something accepts connections at the X display `display`
    (`[tcp/|unix/][host]:N[.screen]`); else what was tried."""
    protocol, rest = "", display
    if not display.startswith("/") and "/" in display.partition(":")[0]:
        protocol, _, rest = display.partition("/")
    host, sep, number_screen = rest.rpartition(":")
    number = number_screen.split(".", 1)[0]
    if not sep or not number.isdigit():
        return f"DISPLAY={display} is not an X display name (expected :N or HOST:N)"
    if host.startswith("/"):  # a socket's own path (as XQuartz's launchd names it)
        if unix_reachable(host):
            return None
        return f"no X server answers at DISPLAY={display} (nothing listens on {host})"
    if host and host != "unix" and protocol != "unix":
        address = f"{host}:{X_TCP_PORT + int(number)}"
        if tcp_reachable(host.strip("[]"), X_TCP_PORT + int(number)):
            return None
        return f"no X server answers at DISPLAY={display} (TCP {address})"
    path = f"{X_SOCKET_DIR}/X{number}"
    # libxcb tries Linux's abstract socket first: a server may have only that one.
    if unix_reachable("\0" + path) or unix_reachable(path):
        return None
    return f"no X server answers at DISPLAY={display} (nothing listens on {path})"


# --- Wayland ---------------------------------------------------------------------------------


def wayland_problem(environ: Mapping[str, str], libraries: Mapping[str, str]) -> str | None:
    reasons = []
    unreachable = wayland_unreachable(environ)
    if unreachable:
        reasons.append(f"{unreachable}: start the compositor (e.g. cage) and the kiosk in it")
    missing = missing_libraries(libraries)
    if missing:
        reasons.append(library_advice("Wayland", missing, libraries))
    return "; ".join(reasons) or None


def wayland_unreachable(environ: Mapping[str, str]) -> str | None:
    """libwayland's rules: WAYLAND_SOCKET (an inherited fd) wins; WAYLAND_DISPLAY is a
    path, or a name in XDG_RUNTIME_DIR; unset means `wayland-0`."""
    if environ.get("WAYLAND_SOCKET"):
        return None
    name = environ.get("WAYLAND_DISPLAY") or "wayland-0"
    if name.startswith("/"):
        path = name
    else:
        runtime_dir = environ.get("XDG_RUNTIME_DIR")
        if not runtime_dir:
            return f"no Wayland compositor: XDG_RUNTIME_DIR is not set, so {name} cannot be found"
        path = str(Path(runtime_dir) / name)
    if unix_reachable(path):
        return None
    return f"no Wayland compositor answers at WAYLAND_DISPLAY={name} ({path})"


# --- the Linux framebuffer -------------------------------------------------------------------


def framebuffer_problem(options: str) -> str | None:
    device = "/dev/fb0"
    for option in options.split(":"):
        key, _, value = option.partition("=")
        if key == "fb" and value:
            device = value
    if not os.path.exists(device):
        return f"the framebuffer {device} does not exist (QT_QPA_PLATFORM=linuxfb)"
    if not os.access(device, os.R_OK | os.W_OK):
        return f"this user may not write to the framebuffer {device} (add it to group video)"
    return None


# --- shared ----------------------------------------------------------------------------------


def missing_libraries(libraries: Mapping[str, str], load: LibraryLoader = ctypes.CDLL) -> list[str]:
    """The sonames the dynamic linker cannot load, as Qt's plugin would find them."""
    missing = []
    for soname in libraries:
        try:
            load(soname)
        except OSError:
            missing.append(soname)
    return missing


def library_advice(platform: str, missing: list[str], libraries: Mapping[str, str]) -> str:
    packages = sorted({libraries[soname] for soname in missing})
    return (
        f"Qt's {platform} platform plugin needs {', '.join(missing)}, which is not installed: "
        f"run ./scripts/setup as root, or apt-get install {' '.join(packages)}"
    )


def unix_reachable(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(CONNECT_TIMEOUT_S)
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


def tcp_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False
