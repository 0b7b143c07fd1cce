"""The hidden gesture that asks for the technician PIN: a few quick taps on one spot.

Five taps within three seconds on the attract screen's corner: on a touch screen, with no
keyboard, and nothing a citizen would do by chance (their first tap anywhere else starts
a session). The spot shows nothing and says nothing to a screen reader.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

TAPS = 5
WITHIN_S = 3.0


class TapGesture:
    def __init__(
        self,
        taps: int = TAPS,
        within_s: float = WITHIN_S,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.taps = taps
        self.within_s = within_s
        self._clock = clock
        self._times: deque[float] = deque(maxlen=taps)

    def tap(self) -> bool:
        """One tap; True when it completes the gesture (the count starts afresh then)."""
        now = self._clock()
        self._times.append(now)
        if len(self._times) == self.taps and now - self._times[0] <= self.within_s:
            self._times.clear()
            return True
        return False
