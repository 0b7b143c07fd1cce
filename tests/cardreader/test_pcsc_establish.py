"""A new PC/SC context refused oddly while pcscd is on its way out: the status says what a
settled pcscd says (gone), not the passing refusal. The PC/SC library is a stand-in here,
to place the refusal exactly; tests/pcsc kills a real pcscd."""

from __future__ import annotations

from typing import Any

from cardreader.pcsc import PCSCD_DOWN, PcscCardReaderSettings, Watcher, WatchState

SUCCESS, NO_ACCESS, NO_SERVICE = 0, 0x8010006A, 0x8010001D  # NO_ACCESS: "Access denied."
MESSAGES = {NO_ACCESS: "Access denied.", NO_SERVICE: "Service not available."}


class StandInScard:
    SCARD_SCOPE_USER = 0

    def __init__(self, *answers: int, listing: int = NO_SERVICE) -> None:
        self.answers = list(answers)
        self.asked = 0
        self.listing = listing  # what listing the readers answers on a context

    def SCardEstablishContext(self, scope: int) -> tuple[int, int]:
        self.asked += 1
        return self.answers.pop(0), 1

    def SCardGetErrorMessage(self, hresult: int) -> str:
        return MESSAGES[hresult]

    def SCardListReaders(self, context: int, groups: list[str]) -> tuple[int, list[str]]:
        return self.listing, []

    def SCardReleaseContext(self, context: int) -> int:
        return SUCCESS


class StandInDevice:
    device_id = "card_reader"

    def __init__(self) -> None:
        self.view = WatchState()

    def publish(self, change: Any, event: Any = None) -> None:
        change(self.view)


def first_problem(scard: StandInScard) -> str:
    device = StandInDevice()
    settings = PcscCardReaderSettings(type="pcsc", retry_s=0.01)
    watcher = Watcher(device, scard, settings)  # type: ignore[arg-type]
    watcher._cycle()  # one round, on this thread
    return device.view.problem


def test_access_denied_from_a_pcscd_going_away_is_pcscd_not_running():
    scard = StandInScard(NO_ACCESS, NO_SERVICE)
    assert first_problem(scard) == PCSCD_DOWN
    assert scard.asked == 2


def test_a_real_refusal_is_said_as_it_is():
    scard = StandInScard(NO_ACCESS, NO_ACCESS)
    assert first_problem(scard) == "PC/SC error: Access denied."


def test_pcscd_plainly_gone_is_not_asked_twice():
    scard = StandInScard(NO_SERVICE)
    assert first_problem(scard) == PCSCD_DOWN
    assert scard.asked == 1


def test_access_denied_on_a_context_pcscd_gave_is_pcscd_going_away():
    """The context came, then the first call on it was refused: pcscd is dying."""
    scard = StandInScard(SUCCESS, listing=NO_ACCESS)
    assert first_problem(scard) == PCSCD_DOWN
