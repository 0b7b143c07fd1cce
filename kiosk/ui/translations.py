"""The screens' own words in the citizen's language: Qt translation files.

The QML is written in Bahasa Indonesia (`qsTr("Kembali")`); `i18n/apm_kiosk_<code>.qm`
holds each other language, compiled from its `.ts` source by `scripts/translations`.
Adding a language is adding its `.ts` file (and running the script): the language
button offers every language that has a `.qm` here.

The flow's messages (kiosk.flow.texts) come in Indonesian and English with the view
model; for any other language they are looked up in the same `.qm`, in the context
"flow" (kiosk.flow.catalogue puts them in every `.ts`), and shown in Indonesian where
the translation lacks one.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtQml import QQmlEngine

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).parent / "i18n"
SOURCE_LANGUAGE = "id"
# What the language button says for each language, in that language.
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English", "jv": "Basa Jawa"}


def available_languages(folder: Path | None = None) -> list[str]:
    """Indonesian first, then every language with a compiled translation, by code."""
    folder = folder or I18N_DIR
    codes = sorted(p.stem.removeprefix("apm_kiosk_") for p in folder.glob("apm_kiosk_*.qm"))
    return [SOURCE_LANGUAGE, *(c for c in codes if c != SOURCE_LANGUAGE)]


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


class Translations:
    """Installs the translator for one language at a time and re-translates the QML."""

    def __init__(self, engine: QQmlEngine, folder: Path | None = None) -> None:
        self._engine = engine
        self._folder = folder or I18N_DIR
        self._translator: QTranslator | None = None
        self.language = SOURCE_LANGUAGE

    def close(self) -> None:
        """Take this window's translator off the application (another window may follow)."""
        app = QCoreApplication.instance()
        if app is not None and self._translator is not None:
            app.removeTranslator(self._translator)
        self._translator = None

    def use(self, code: str) -> bool:
        """Show the screens in `code`; False (and Indonesian) if it has no translation."""
        app = QCoreApplication.instance()
        if app is None:
            return False
        if self._translator is not None:
            app.removeTranslator(self._translator)
            self._translator = None
        loaded = code == SOURCE_LANGUAGE
        if not loaded:
            translator = QTranslator(app)
            loaded = translator.load(str(self._folder / f"apm_kiosk_{code}.qm"))
            if loaded:
                app.installTranslator(translator)
                self._translator = translator
            else:
                log.warning("no translation for language %r in %s", code, self._folder)
        self.language = code if loaded else SOURCE_LANGUAGE
        self._engine.retranslate()
        return loaded
