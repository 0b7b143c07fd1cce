"""[kiosk] ui_scale: the layout is in logical pixels, made for a ~96 dpi Full HD panel; on a
denser panel a scale keeps every touch target at 15 mm or more. Qt reads the factor once,
when the application is made, so each case runs in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ui.app import apply_ui_scale

pytestmark = pytest.mark.qt

REPO = Path(__file__).resolve().parents[2]
PANEL_DPI = 150  # a 10" 1280x800 panel, or a 15.6" Full HD one is 141
MIN_TARGET_MM = 15

# A 1920x1200 screen of 150 dpi, the attract screen on it, the buttons' sizes in mm.
MEASURE = """
import json, sys
from kiosk.ui.app import KioskWindow, WindowSpec, apply_ui_scale, make_app
from PySide6.QtCore import QTimer

scale = json.loads(sys.argv[2])
apply_ui_scale(scale)
app, _ = make_app()
# Full screen on a 1920x1200 panel gives the window the panel's logical size.
kiosk = KioskWindow(WindowSpec(round(1920 / scale), round(1200 / scale)), lambda post: None)
names = ("startButton", "pickupButton", "largeTextButton", "highContrastButton", "languageButton")

def measure():
    window = kiosk.window
    ratio = window.devicePixelRatio()
    found = {}
    def walk(item):
        if item.objectName() in names and item.isVisible():
            found[item.objectName()] = min(item.width(), item.height()) * ratio / float(sys.argv[3]) * 25.4
        for child in item.childItems():
            walk(child)
    walk(window.contentItem())
    print(json.dumps({"ratio": ratio, "width": window.width(), "mm": found}))
    app.quit()

QTimer.singleShot(300, measure)
app.exec()
"""


def measured(tmp_path: Path, scale: float) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_SCALE")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(tmp_path), json.dumps(scale), str(PANEL_DPI)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_at_scale_one_a_dense_panel_shrinks_the_buttons_under_15_mm(tmp_path: Path):
    """Why the setting exists: on 150 dpi the 72 px buttons are 12 mm."""
    plain = measured(tmp_path, 1.0)
    assert plain["ratio"] == 1.0
    assert min(plain["mm"].values()) < MIN_TARGET_MM


def test_a_scale_for_the_panel_keeps_every_button_at_15_mm(tmp_path: Path):
    scaled = measured(tmp_path, 1.6)
    assert scaled["ratio"] == pytest.approx(1.6)
    assert scaled["width"] == 1200  # the layout reflows to 1200x750 logical pixels
    assert len(scaled["mm"]) == 5
    small = {name: round(mm, 1) for name, mm in scaled["mm"].items() if mm < MIN_TARGET_MM}
    assert not small, f"under {MIN_TARGET_MM} mm: {small}"


def test_the_setting_reaches_qt_only_when_it_says_something():
    environ: dict[str, str] = {}
    apply_ui_scale(1.0, environ)
    assert environ == {}  # a QT_SCALE_FACTOR the service sets still counts
    apply_ui_scale(1.5, environ)
    assert environ == {"QT_SCALE_FACTOR": "1.5"}
    environ.clear()
    apply_ui_scale("auto", environ)
    assert environ == {"QT_USE_PHYSICAL_DPI": "1"}
