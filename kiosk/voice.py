"""Voice guidance: each screen's instruction read aloud, in the citizen's language.

A kiosk with speakers says what to do next ("Tempelkan e-KTP Anda pada pembaca kartu")
for citizens who read with difficulty. The speech comes from espeak-ng, which has
Indonesian and English voices and runs on the cheapest mini-PC; without it (or without
a sound device) the kiosk stays silent and works as before.

Plain Python, no Qt: one thread of its own runs the speaker, so the GUI thread only puts
a sentence in a queue. A new sentence interrupts the one being spoken: a citizen who
taps on does not wait for the voice to finish the previous screen.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import threading
from collections.abc import Sequence

log = logging.getLogger(__name__)

VOICES = {"id": "id", "en": "en"}  # kiosk language -> espeak-ng voice
STOP = object()


class Voice:
    """Speaks sentences one at a time, newest first; silent where it cannot speak."""

    def __init__(self, command: Sequence[str] | None = None, *, enabled: bool = True) -> None:
        # `command` is the speaker without its voice and text: espeak-ng by default; tests
        # give it `-w FILE` to hear without a sound card.
        program = shutil.which("espeak-ng") if command is None else command[0]
        self.available = enabled and program is not None
        self._command = list(command) if command is not None else [program or "espeak-ng"]
        self._queue: queue.Queue[object] = queue.Queue()
        self._speaking: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self.spoken: list[tuple[str, str]] = []  # (language, text): what was said, in order
        if enabled and program is None:
            log.info("voice guidance off: espeak-ng is not installed")

    def say(self, text: str, language: str) -> None:
        """Speak `text` soon (from any thread); drops what was waiting to be said."""
        if not self.available or not text:
            return
        self._drain()
        self._queue.put((language, text))
        self._interrupt()  # the screen moved on: so does the voice
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
            self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._drain()
            self._queue.put(STOP)
            self._interrupt()
            self._thread.join(timeout=5)
            self._thread = None

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is STOP:
                return
            assert isinstance(item, tuple)
            language, text = str(item[0]), str(item[1])
            self._interrupt()
            voice = VOICES.get(language, VOICES["id"])
            try:
                self._speaking = subprocess.Popen(
                    [*self._command, "-v", voice, "--", text],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                self.spoken.append((language, text))
                self._speaking.wait()
            except OSError as exc:  # the speaker vanished: stay silent, keep working
                log.warning("voice guidance stopped: %s", exc)
                self.available = False
                return

    def _interrupt(self) -> None:
        speaking = self._speaking
        if speaking is not None and speaking.poll() is None:
            speaking.terminate()
