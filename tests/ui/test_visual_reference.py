"""Every screen, in both languages, both orientations and both text sizes, compared with
the visual reference kept in tests/ui/reference: an unintended change to a screen fails
here, with the differing picture saved next to the reference for a look.

The references are small greyscale images (a quarter of the window's size): enough to
see a moved button, a missing text or a new colour, and not the anti-aliasing of one
glyph or the spinner's turning. After an intended change to a screen:

    APM_UPDATE_REFERENCE=1 .venv/bin/pytest tests/ui/test_visual_reference.py

then look at the changed files in tests/ui/reference (git shows which) and commit them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from apm_server import demo_data
from kiosk.flow import events as ev
from tests.ui.helpers import settle
from tests.ui.test_render import LANDSCAPE, PORTRAIT, SCREENS, loaded_with, open_kiosk, send

pytestmark = pytest.mark.qt

REFERENCE = Path(__file__).parent / "reference"
UPDATE = os.environ.get("APM_UPDATE_REFERENCE") == "1"
SCALE = 4
# A pixel "differs" when its grey level moved by more than this (of 255) ...
PIXEL_TOLERANCE = 48
# ... and a screen differs when more than this share of its pixels did.
SCREEN_TOLERANCE = 0.01

COMBINATIONS = [
    (lang, orientation, text)
    for lang in ("id", "en")
    for orientation in ("landscape", "portrait")
    for text in ("normal", "large")
]


def thumbnail(image: QImage) -> QImage:
    small = image.scaled(
        image.width() // SCALE,
        image.height() // SCALE,
        Qt.AspectRatioMode.IgnoreAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    return small.convertToFormat(QImage.Format.Format_Grayscale8)


def differing_share(image: QImage, reference: QImage) -> float:
    if image.size() != reference.size():
        return 1.0
    width, height = image.width(), image.height()
    a, b = image.constBits(), reference.constBits()
    stride_a, stride_b = image.bytesPerLine(), reference.bytesPerLine()
    differing = sum(
        1
        for y in range(height)
        for x in range(width)
        if abs(a[y * stride_a + x] - b[y * stride_b + x]) > PIXEL_TOLERANCE
    )
    return differing / (width * height)


@pytest.mark.parametrize("combination", COMBINATIONS, ids=lambda c: "-".join(c))
def test_every_screen_looks_as_its_reference(qtbot, tmp_path: Path, combination):
    lang, orientation, text = combination
    size = LANDSCAPE if orientation == "landscape" else PORTRAIT
    changed = []
    for screen, reach in SCREENS.items():
        # With the demo village's emblem, as the attract screen and header show it.
        kiosk = open_kiosk(qtbot, loaded_with(logo_png=demo_data.logo_png()), size)
        try:
            kiosk.bridge.setLanguage(lang)
            send(kiosk, ev.SetDisplay(large_text=text == "large"))
            reach(kiosk, qtbot)
            settle(qtbot, kiosk)
            shot = thumbnail(kiosk.window.grabWindow())
        finally:
            kiosk.close()
        name = f"{screen}-{lang}-{orientation}-{text}.png"
        reference = REFERENCE / name
        if UPDATE or not reference.exists():
            if UPDATE:
                REFERENCE.mkdir(exist_ok=True)
                shot.save(str(reference))
                continue
            changed.append(f"{name}: no reference (APM_UPDATE_REFERENCE=1 makes it)")
            continue
        share = differing_share(shot, QImage(str(reference)))
        if share > SCREEN_TOLERANCE:
            seen = tmp_path / name
            shot.save(str(seen))
            changed.append(f"{name}: {share:.1%} of the pixels differ (now: {seen})")
    assert not changed, "screens changed:\n" + "\n".join(changed)
