"""UI tests run offscreen, and any Qt or QML warning fails the test that caused it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QtMsgType, qInstallMessageHandler

BAD = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)


@pytest.fixture(autouse=True)
def qt_warnings_fail() -> Iterator[list[str]]:
    """Collect warnings from fixture set-up and tear-down too (pytest-qt's own check,
    qt_log_level_fail in pyproject, covers the test body)."""
    seen: list[str] = []

    def handler(kind: QtMsgType, context: object, message: str) -> None:
        if kind in BAD:
            seen.append(message)

    previous = qInstallMessageHandler(handler)
    yield seen
    qInstallMessageHandler(previous)
    assert not seen, "Qt/QML warnings: " + " | ".join(seen)
