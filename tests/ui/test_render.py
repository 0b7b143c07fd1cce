"""The QML and the bridge against a stand-in runtime: the real Flow, a fake clock, no I/O.

Fast and deterministic: every screen is reached by feeding the flow the events the real
runtime would post, then rendered offscreen. Screenshots go to $APM_UI_SHOTS if set (to
look at them), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtQuick import QQuickItem

from apm_api.models import RequestStatus, Text
from kiosk.flow import FlowState, view_model
from kiosk.flow import events as ev
from kiosk.flow import texts as flow_texts
from kiosk.flow.effects import FindMyRequests, PrintLetter
from kiosk.flow.state import Screen
from kiosk.ui.app import KioskWindow, WindowSpec
from kiosk.ui.bridge import placeholder_view
from tests.flow.conftest import SITI_UID, Driver, letter_request, session
from tests.ui.helpers import (
    centre_of,
    click,
    distinct_colours,
    find,
    items,
    screen_is,
    scroll_to,
    settle,
    spilling_texts,
    texts,
    type_keys,
)

pytestmark = pytest.mark.qt


class StandInRuntime:
    """The shape of kiosk.runtime.KioskRuntime, over a Flow driven by the test."""

    def __init__(self, post: Any, driver: Driver) -> None:
        self.post, self.driver = post, driver
        self.devices: dict[str, Any] = {}
        self.intents: list[Any] = []
        self.started = False

    @property
    def flow(self):
        return self.driver.flow

    def start(self) -> None:
        self.started = True

    def dispatch(self, event: Any) -> None:
        if not isinstance(event, ev.Tick):
            self.intents.append(event)
        self.driver.send(event)

    def view(self, lang: str = "id", translate: Any = None) -> dict[str, Any]:
        return view_model(
            self.flow.state,
            lang=lang,
            idle_left=self.flow.idle_warning_left(),
            translate=translate,
        )

    def shutdown(self) -> None:
        pass


@pytest.fixture
def driver() -> Driver:
    return Driver().loaded()


LANDSCAPE = (1280, 800)
PORTRAIT = (800, 1280)


def open_kiosk(qtbot, driver: Driver, size: tuple[int, int] = LANDSCAPE) -> KioskWindow:
    made: list[StandInRuntime] = []

    def load(post: Any) -> StandInRuntime:
        made.append(StandInRuntime(post, driver))
        return made[0]

    window = KioskWindow(WindowSpec(*size), load)
    qtbot.waitExposed(window.window)
    qtbot.waitUntil(lambda: window.runtime is not None, timeout=5000)
    return window


@pytest.fixture
def kiosk(qtbot, driver: Driver):
    window = open_kiosk(qtbot, driver)
    yield window
    window.close()


def send(kiosk: KioskWindow, *events: Any) -> None:
    """Events as the runtime would post them (results, card taps), through the bridge."""
    for event in events:
        kiosk.bridge.dispatch(event)


def shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("APM_UI_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def session_no(kiosk: KioskWindow) -> int:
    return kiosk.runtime.flow.state.session_no


# --- start-up ----------------------------------------------------------------------------


def test_placeholder_view_has_the_same_keys_as_the_real_view_model():
    assert set(placeholder_view("id")) == set(view_model(FlowState()))


def test_taps_before_the_runtime_has_loaded_are_kept_and_delivered(qtbot, driver: Driver):
    release = threading.Event()
    made: list[StandInRuntime] = []

    def slow_load(post: Any) -> StandInRuntime:
        release.wait(5)
        made.append(StandInRuntime(post, driver))
        return made[0]

    window = KioskWindow(WindowSpec(1280, 800), slow_load)
    try:
        qtbot.waitExposed(window.window)
        assert "Sentuh layar untuk mulai" in texts(window)  # shown before the runtime exists
        click(qtbot, window, "startButton")
        release.set()
        qtbot.waitUntil(screen_is(window, "identify"), timeout=5000)
        assert made[0].started and isinstance(made[0].intents[0], ev.Start)
    finally:
        window.close()


def test_a_runtime_that_cannot_be_built_is_reported(qtbot):
    def broken(post: Any) -> Any:
        raise OSError("no such device /dev/ttyUSB9")

    window = KioskWindow(WindowSpec(1280, 800), broken)
    try:
        with qtbot.waitSignal(window.bridge.runtimeFailed, timeout=5000) as failed:
            qtbot.waitExposed(window.window)
        assert "ttyUSB9" in failed.args[0]
    finally:
        window.close()


# --- intents -----------------------------------------------------------------------------


def test_start_button_answers_at_once(kiosk, qtbot):
    centre = centre_of(qtbot, kiosk, "startButton")
    started = time.perf_counter()
    qtbot.mouseClick(kiosk.window, Qt.MouseButton.LeftButton, pos=centre)
    elapsed = time.perf_counter() - started
    assert kiosk.bridge.view_model()["screen"] == "identify"
    assert elapsed < 0.05, f"a tap took {elapsed * 1000:.0f} ms"


def test_keypad_types_nik_and_pin_and_identify_sends_them(kiosk, qtbot):
    click(qtbot, kiosk, "startButton")
    click(qtbot, kiosk, "nikInput")
    for digit in "3523014708900001":
        click(qtbot, kiosk, f"key-{digit}")
    assert find(kiosk, "pinInput").property("activeFocus")  # moved on after 16 digits
    for digit in "1234567":  # the 7th is refused by the field: a PIN has 6 digits
        click(qtbot, kiosk, f"key-{digit}")
    click(qtbot, kiosk, "key-back")
    click(qtbot, kiosk, "key-6")
    assert find(kiosk, "pinInput").property("displayText") != "123456"  # masked
    click(qtbot, kiosk, "identifyButton")
    assert ev.SubmitNikPin("3523014708900001", "123456") in kiosk.runtime.intents
    assert kiosk.bridge.view_model()["screen"] == "identifying"


def test_identify_error_is_shown(kiosk, qtbot):
    click(qtbot, kiosk, "startButton")
    click(qtbot, kiosk, "identifyButton")  # empty NIK: the flow refuses it
    error = kiosk.bridge.view_model()["identifyError"]
    assert error and error in texts(kiosk)


def test_service_tiles_follow_the_view_model(kiosk, qtbot):
    send(kiosk, ev.CardPresented(SITI_UID), ev.Identified(session_no(kiosk), session()))
    ready = letter_request(RequestStatus.READY, id="req-9", tracking_code="231126-009")
    send(kiosk, ev.MyRequestsLoaded(session_no(kiosk), (ready,)))
    vm = kiosk.bridge.view_model()
    assert [s["code"] for s in vm["services"]] == ["SKD", "SKU"]
    for service in vm["services"]:
        assert find(kiosk, f"service-{service['code']}").isVisible()
    assert "Surat siap dicetak" in texts(kiosk)
    click(qtbot, kiosk, "ready-req-9")
    assert ev.PrintReady("req-9") in kiosk.runtime.intents
    assert kiosk.bridge.view_model()["screen"] == "printing"


def test_form_errors_show_under_fields_and_the_keyboard_keeps_the_field_visible(kiosk, qtbot):
    send(kiosk, ev.CardPresented(SITI_UID), ev.Identified(session_no(kiosk), session()))
    click(qtbot, kiosk, "service-SKD")
    click(qtbot, kiosk, "nextButton")
    errors = [f["error"] for f in kiosk.bridge.view_model()["fields"] if f["error"]]
    assert errors and all(e in texts(kiosk) for e in errors)
    click(qtbot, kiosk, "field-keperluan")
    for key in ("key-k", "key-e", "key-r", "key-j", "key-a"):
        click(qtbot, kiosk, key)
    typed = [e.value for e in kiosk.runtime.intents if isinstance(e, ev.SetField)]
    assert typed[-1] == "Kerja", typed  # shifted for the first letter only
    click(qtbot, kiosk, "field-alamat_domisili")
    settle(qtbot, kiosk)
    keyboard = find(kiosk, "keyboard")
    field = find(kiosk, "field-alamat_domisili")
    field_bottom = field.mapToScene(QPointF(0, field.height())).y()
    assert field_bottom <= keyboard.mapToScene(QPointF(0, 0)).y()
    assert find(kiosk, "nextButton").isVisible()  # the buttons stay above the keyboard
    click(qtbot, kiosk, "key-close")
    assert not keyboard.isVisible()


def test_number_and_date_fields_get_a_number_pad(kiosk, qtbot):
    send(kiosk, ev.CardPresented(SITI_UID), ev.Identified(session_no(kiosk), session()))
    click(qtbot, kiosk, "service-SKU")
    click(qtbot, kiosk, "field-mulai_usaha")  # a date: digits and a dash
    settle(qtbot, kiosk)
    for key in ("key-2", "key-0", "key-1", "key-9", "key-dash", "key-0", "key-5"):
        click(qtbot, kiosk, key)
    assert find(kiosk, "field-mulai_usaha").property("text") == "2019-05"
    assert not [i for i in items(kiosk.window.contentItem()) if i.objectName() == "key-q"]
    click(qtbot, kiosk, "key-close")  # the whole form again
    click(qtbot, kiosk, "field-nama_usaha")  # back to letters, starting with a capital
    settle(qtbot, kiosk)
    click(qtbot, kiosk, "key-w")
    click(qtbot, kiosk, "key-a")
    assert find(kiosk, "field-nama_usaha").property("text") == "Wa"


def test_the_last_field_scrolls_to_the_top_above_the_keyboard(kiosk, qtbot):
    send(kiosk, ev.CardPresented(SITI_UID), ev.Identified(session_no(kiosk), session()))
    click(qtbot, kiosk, "service-SKU")
    click(qtbot, kiosk, "field-mulai_usaha")
    settle(qtbot, kiosk)
    field = find(kiosk, "field-mulai_usaha")
    top = field.mapToScene(QPointF(0, 0)).y()
    bottom = field.mapToScene(QPointF(0, field.height())).y()
    header_bottom = 96
    assert top > header_bottom and bottom <= find(kiosk, "keyboard").mapToScene(QPointF(0, 0)).y()
    assert find(kiosk, "nextButton").isVisible() and find(kiosk, "backButton").isVisible()


def test_idle_countdown_appears_and_a_touch_dismisses_it(kiosk, qtbot):
    click(qtbot, kiosk, "startButton")
    kiosk.runtime.driver.clock.advance(50)
    send(kiosk, ev.Tick())
    assert "Masih di sana?" in texts(kiosk)
    click(qtbot, kiosk, "stillHereButton")
    assert "Masih di sana?" not in texts(kiosk)
    assert kiosk.bridge.view_model()["screen"] == "identify"


def test_any_press_counts_as_still_here(kiosk, qtbot):
    click(qtbot, kiosk, "startButton")
    click(qtbot, kiosk, "nikInput")
    assert ev.StillHere() in kiosk.runtime.intents


def test_rating_faces_send_the_score(kiosk, qtbot):
    reach_done(kiosk)
    click(qtbot, kiosk, "rate-3")
    assert ev.Rate(3) in kiosk.runtime.intents
    click(qtbot, kiosk, "finishButton")
    assert kiosk.bridge.view_model()["screen"] == "attract"


def test_notice_offers_retry_only_when_the_flow_allows_it(kiosk, qtbot):
    reach_printing(kiosk)
    failure = ev.Failure(ev.FailureKind.DEVICE, detail="paper out")
    send(kiosk, ev.PrintFailed(session_no(kiosk), ev.PrinterRole.DOCUMENT, failure))
    assert kiosk.bridge.view_model()["notice"]["canRetry"]
    assert "231126-001" in texts(kiosk)
    click(qtbot, kiosk, "noticeRetry")
    assert ev.AnswerNotice(ev.NoticeChoice.RETRY) in kiosk.runtime.intents


# --- every screen, rendered --------------------------------------------------------------


def reach_waiting(kiosk: KioskWindow) -> None:
    send(kiosk, ev.CardPresented(SITI_UID), ev.Identified(session_no(kiosk), session()))
    send(kiosk, ev.ChooseService("SKD"), ev.SetField("keperluan", "Melamar pekerjaan"))
    send(kiosk, ev.Next(), ev.Confirm(), ev.Submitted(session_no(kiosk), letter_request()))


def reach_printing(kiosk: KioskWindow) -> None:
    reach_waiting(kiosk)
    send(kiosk, ev.StatusChecked(session_no(kiosk), letter_request(RequestStatus.READY)))


def reach_done(kiosk: KioskWindow) -> None:
    reach_printing(kiosk)
    send(kiosk, ev.PrintProgress(session_no(kiosk), "req-1", "printing"))
    send(kiosk, ev.DocumentPrinted(session_no(kiosk), "req-1"))


SCREENS = {
    "attract": lambda k, q: None,
    "identify": lambda k, q: click(q, k, "startButton"),
    "identifying": lambda k, q: send(k, ev.CardPresented(SITI_UID)),
    "services": lambda k, q: send(
        k, ev.CardPresented(SITI_UID), ev.Identified(session_no(k), session())
    ),
    "form": lambda k, q: (
        send(k, ev.CardPresented(SITI_UID), ev.Identified(session_no(k), session())),
        send(k, ev.ChooseService("SKD"), ev.Next()),
        click(q, k, "field-keperluan"),
    ),
    "confirm": lambda k, q: (
        send(k, ev.CardPresented(SITI_UID), ev.Identified(session_no(k), session())),
        send(k, ev.ChooseService("SKD"), ev.SetField("keperluan", "Melamar pekerjaan")),
        send(k, ev.Next()),
    ),
    "submitting": lambda k, q: (
        SCREENS["confirm"](k, q),
        send(k, ev.Confirm()),
    ),
    "waiting": lambda k, q: reach_waiting(k),
    "printing": lambda k, q: reach_printing(k),
    "done": lambda k, q: reach_done(k),
    "pickup": lambda k, q: open_pickup(k, q),
    "requests": lambda k, q: reach_requests(k, q),
    "notice": lambda k, q: (
        reach_printing(k),
        send(
            k,
            ev.PrintFailed(
                session_no(k),
                ev.PrinterRole.DOCUMENT,
                ev.Failure(ev.FailureKind.DEVICE, detail="paper out"),
            ),
        ),
    ),
}


def test_every_screen_of_the_flow_is_rendered_here():
    assert set(SCREENS) == {screen.value for screen in Screen}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_screen_renders_something_legible(kiosk, qtbot, tmp_path: Path, screen: str):
    SCREENS[screen](kiosk, qtbot)
    assert kiosk.bridge.view_model()["screen"] == screen
    image = kiosk.window.grabWindow()
    image.save(str(shots_dir(tmp_path) / f"{screen}.png"))
    assert (image.width(), image.height()) == (1280, 800)
    assert distinct_colours(image) > 4, f"the {screen} screen looks blank"
    assert texts(kiosk)  # some words on every screen


def unreachable() -> ev.Failure:
    return ev.Failure(ev.FailureKind.UNREACHABLE, detail="connection refused")


VARIANTS = {
    "services-ready": lambda k, q: (
        send(k, ev.CardPresented(SITI_UID), ev.Identified(session_no(k), session())),
        send(
            k,
            ev.MyRequestsLoaded(
                session_no(k), (letter_request(RequestStatus.READY, tracking_code="231126-007"),)
            ),
        ),
    ),
    "form-errors": lambda k, q: (
        send(k, ev.CardPresented(SITI_UID), ev.Identified(session_no(k), session())),
        send(k, ev.ChooseService("SKU"), ev.Next()),
    ),
    "waiting-receipt-problem": lambda k, q: (
        reach_waiting(k),
        send(
            k,
            ev.PrintFailed(
                session_no(k),
                ev.PrinterRole.RECEIPT,
                ev.Failure(ev.FailureKind.DEVICE, detail="paper out"),
            ),
        ),
    ),
    "printing-printing": lambda k, q: (
        reach_printing(k),
        send(k, ev.PrintProgress(session_no(k), "req-1", "printing")),
    ),
    "printing-verifying": lambda k, q: reach_verifying(k),
    "done-rated": lambda k, q: (reach_done(k), send(k, ev.Rate(4))),
    "notice-offline": lambda k, q: (
        SCREENS["confirm"](k, q),
        send(k, ev.Confirm(), ev.SubmitFailed(session_no(k), unreachable())),
    ),
    "idle": lambda k, q: (
        click(q, k, "startButton"),
        k.runtime.driver.clock.advance(50),
        send(k, ev.Tick()),
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_screen_variants_render(kiosk, qtbot, tmp_path: Path, variant: str):
    VARIANTS[variant](kiosk, qtbot)
    settle(qtbot, kiosk)
    image = kiosk.window.grabWindow()
    image.save(str(shots_dir(tmp_path) / f"{variant}.png"))
    assert distinct_colours(image) > 4, f"{variant} looks blank"
    vm = kiosk.bridge.view_model()
    shown = texts(kiosk)
    for logic_text in (vm["receiptProblem"], (vm["notice"] or {}).get("message", "")):
        assert logic_text in shown  # texts chosen by the flow reach the screen as they are


def test_attract_says_when_the_kiosk_cannot_serve_yet(qtbot, tmp_path: Path):
    driver = Driver()  # no catalogue yet
    window = KioskWindow(WindowSpec(1280, 800), lambda post: StandInRuntime(post, driver))
    try:
        qtbot.waitExposed(window.window)
        qtbot.waitUntil(lambda: window.runtime is not None, timeout=5000)
        settle(qtbot, window)
        assert "Menyiapkan layanan…" in texts(window)
        window.bridge.dispatch(ev.KioskLoadFailed(unreachable()))
        settle(qtbot, window)
        window.window.grabWindow().save(str(shots_dir(tmp_path) / "attract-offline.png"))
        vm = window.bridge.view_model()
        assert vm["offline"] and vm["banner"] in texts(window)
        assert "Sentuh layar untuk mulai" in texts(window)
    finally:
        window.close()


# --- coming back for a letter: pickup code, my requests, offline and queued -----------------

FAILED_REASON = Text(
    id="NIK pemohon tidak terdaftar di desa ini. Silakan datang ke kantor desa dengan membawa "
    "KTP dan Kartu Keluarga.",
    en="The applicant's NIK is not registered in this village. Please visit the village "
    "office with your KTP and family card.",
)


def my_requests() -> tuple[ev.MyRequest, ...]:
    """One of each: queued, awaiting the signature, ready, failed with a reason, and a
    letter printed before that may be printed again."""
    return (
        ev.MyRequest(
            None, "K-ABCD-EFGH", Text(id="Surat Keterangan Usaha"), "queued", local_id="loc-1"
        ),
        ev.MyRequest(
            "req-2", "231126-002", Text(id="Surat Keterangan Domisili"), "awaiting_signature"
        ),
        ev.MyRequest(
            "req-3",
            "231126-003",
            Text(id="Surat Keterangan Tidak Mampu"),
            "ready",
            sha256="cd" * 32,
            printable=True,
        ),
        ev.MyRequest(
            None,
            "K-WXYZ-2345",
            Text(id="Surat Pengantar SKCK"),
            "failed",
            reason=FAILED_REASON,
            local_id="loc-4",
        ),
        ev.MyRequest(
            "req-5",
            "231120-005",
            Text(id="Surat Keterangan Domisili"),
            "collected",
            sha256="ef" * 32,
            printable=True,
            reprint=True,
        ),
    )


def visible(kiosk: KioskWindow, name: str) -> bool:
    return any(i.objectName() == name and i.isVisible() for i in items(kiosk.window.contentItem()))


def open_pickup(kiosk: KioskWindow, qtbot) -> None:
    click(qtbot, kiosk, "pickupButton")
    assert kiosk.bridge.view_model()["screen"] == "pickup"
    settle(qtbot, kiosk)


def reach_requests(kiosk: KioskWindow, qtbot) -> None:
    open_pickup(kiosk, qtbot)
    send(kiosk, ev.SubmitPickupCode("123456789012"))
    send(kiosk, ev.MyRequestsFound(session_no(kiosk), my_requests(), by_code=True))


def reach_offline_services(kiosk: KioskWindow) -> None:
    send(kiosk, ev.CardPresented(SITI_UID), ev.IdentifyFailed(session_no(kiosk), unreachable()))
    send(kiosk, ev.MyRequestsFound(session_no(kiosk), my_requests()))


def reach_done_queued(kiosk: KioskWindow) -> None:
    reach_offline_services(kiosk)
    send(kiosk, ev.ChooseService("SKD"), ev.SetField("keperluan", "Melamar pekerjaan"))
    # Identified offline: nothing is prefilled from the population register.
    send(kiosk, ev.SetField("alamat_domisili", "Dusun Krajan RT 002 RW 001"))
    send(kiosk, ev.Next(), ev.Confirm())
    send(kiosk, ev.SubmitQueued(session_no(kiosk), "K-ABCD-EFGH", "123456789012"))


def reach_verifying(kiosk: KioskWindow) -> None:
    reach_printing(kiosk)
    send(kiosk, ev.PrintProgress(session_no(kiosk), "req-1", "verifying"))


def test_attract_and_identify_both_lead_to_the_pickup_screen(kiosk, qtbot):
    open_pickup(kiosk, qtbot)
    assert ev.OpenPickup() in kiosk.runtime.intents
    assert find(kiosk, "pickupInput").property("activeFocus")  # ready for a scanner
    click(qtbot, kiosk, "homeButton")
    click(qtbot, kiosk, "startButton")
    open_pickup(kiosk, qtbot)


def test_keypad_code_goes_to_the_flow_and_its_error_shows_under_the_input(
    kiosk, qtbot, tmp_path: Path
):
    open_pickup(kiosk, qtbot)
    for digit in "12345":
        click(qtbot, kiosk, f"key-{digit}")
    click(qtbot, kiosk, "pickupSubmit")
    assert ev.SubmitPickupCode("12345") in kiosk.runtime.intents
    error = kiosk.bridge.view_model()["pickupError"]
    assert error == flow_texts.PICKUP_CODE_INVALID.id
    assert find(kiosk, "pickupError").property("text") == error
    settle(qtbot, kiosk)
    kiosk.window.grabWindow().save(str(shots_dir(tmp_path) / "pickup-error.png"))
    assert not spilling_texts(kiosk)
    # The digits stay, to be corrected; "C" clears them.
    assert find(kiosk, "pickupInput").property("text") == "12345"
    click(qtbot, kiosk, "key-C")
    for digit in "123456789012":
        click(qtbot, kiosk, f"key-{digit}")
    click(qtbot, kiosk, "pickupSubmit")
    lookups = [e for e in kiosk.runtime.driver.effects if isinstance(e, FindMyRequests)]
    assert lookups[-1].pickup_code == "123456789012"


def test_a_scanned_receipt_reaches_the_flow_as_a_scan_and_never_the_code_field(kiosk, qtbot):
    """A keyboard-wedge scanner types the QR at a reader's pace: the wedge filter takes it
    out of the key stream, so the code field stays as the citizen left it."""
    open_pickup(kiosk, qtbot)
    field = find(kiosk, "pickupInput")
    type_keys(kiosk, "APM1:AMBIL:99", enter=True)  # a bad read
    qtbot.waitUntil(lambda: ev.PickupCodeScanned("APM1:AMBIL:99") in kiosk.runtime.intents)
    assert kiosk.bridge.view_model()["pickupError"] in texts(kiosk)
    type_keys(kiosk, "APM1:AMBIL:123456789012", enter=True)
    qtbot.waitUntil(
        lambda: ev.PickupCodeScanned("APM1:AMBIL:123456789012") in kiosk.runtime.intents
    )
    lookups = [e for e in kiosk.runtime.driver.effects if isinstance(e, FindMyRequests)]
    assert lookups[-1].pickup_code == "123456789012"
    assert field.property("text") == ""
    assert not [e for e in kiosk.runtime.intents if isinstance(e, ev.SubmitPickupCode)]
    send(kiosk, ev.MyRequestsFound(session_no(kiosk), my_requests(), by_code=True))
    assert kiosk.bridge.view_model()["screen"] == "requests"


def test_requests_show_each_status_and_print_buttons_only_for_printable_letters(
    kiosk, qtbot, tmp_path: Path
):
    reach_requests(kiosk, qtbot)
    settle(qtbot, kiosk)
    kiosk.window.grabWindow().save(str(shots_dir(tmp_path) / "requests.png"))
    shown = texts(kiosk)
    for row in kiosk.bridge.view_model()["myRequests"]:
        assert row["reference"] in shown and row["statusLabel"] in shown
    assert FAILED_REASON.id in shown
    assert find(kiosk, "print-req-3").property("text") == "Cetak"
    assert find(kiosk, "print-req-5").property("text") == "Cetak ulang"
    assert not visible(kiosk, "print-req-2")  # awaiting the signature: nothing to print
    assert not visible(kiosk, "print-")  # queued and failed rows have no button
    assert not spilling_texts(kiosk, vertical=False)
    scroll_to(qtbot, kiosk, "print-req-5")
    click(qtbot, kiosk, "print-req-5")
    assert ev.PrintReady("req-5") in kiosk.runtime.intents
    assert kiosk.bridge.view_model()["screen"] == "printing"
    job = [e for e in kiosk.runtime.driver.effects if isinstance(e, PrintLetter)][-1]
    assert (job.request_id, job.reprint) == ("req-5", True)


def test_services_offline_say_so_calmly_and_list_my_requests(kiosk, qtbot, tmp_path: Path):
    reach_offline_services(kiosk)
    settle(qtbot, kiosk)
    kiosk.window.grabWindow().save(str(shots_dir(tmp_path) / "services-offline-mine.png"))
    vm = kiosk.bridge.view_model()
    shown = texts(kiosk)
    assert vm["screen"] == "services" and vm["identityNote"] in shown
    assert vm["banner"] in shown  # the offline banner stays, not a modal
    assert visible(kiosk, "ready-req-3") and visible(kiosk, "ready-req-5")
    assert "sentuh untuk mencetak ulang" in shown  # the letter printed before
    for row in vm["myRequests"]:
        if not row["printable"]:
            assert row["statusLabel"] in shown
    assert FAILED_REASON.id in shown
    assert visible(kiosk, "service-SKD")
    assert not spilling_texts(kiosk, vertical=False)
    scroll_to(qtbot, kiosk, "myRequests")  # below the services: where the others stand
    kiosk.window.grabWindow().save(str(shots_dir(tmp_path) / "services-offline-mine-end.png"))
    scroll_to(qtbot, kiosk, "ready-req-3")
    click(qtbot, kiosk, "ready-req-3")
    assert ev.PrintReady("req-3") in kiosk.runtime.intents


def test_done_after_a_queued_request_gives_the_reference_instead_of_a_letter(
    kiosk, qtbot, tmp_path: Path
):
    reach_done_queued(kiosk)
    settle(qtbot, kiosk)
    kiosk.window.grabWindow().save(str(shots_dir(tmp_path) / "done-queued.png"))
    vm = kiosk.bridge.view_model()
    assert vm["screen"] == "done" and vm["queued"]
    shown = texts(kiosk)
    assert vm["queuedMessage"] in shown and "K-ABCD-EFGH" in shown
    assert all(visible(kiosk, f"rate-{n}") for n in range(1, 5))
    assert not spilling_texts(kiosk)
    click(qtbot, kiosk, "rate-4")
    assert ev.Rate(4) in kiosk.runtime.intents


def test_done_without_queueing_shows_no_reference(kiosk, qtbot):
    reach_done(kiosk)
    assert not visible(kiosk, "queuedCard")


def test_printing_shows_the_signature_check_step(kiosk, qtbot, tmp_path: Path):
    reach_verifying(kiosk)
    settle(qtbot, kiosk)
    kiosk.window.grabWindow().save(str(shots_dir(tmp_path) / "printing-verifying.png"))
    assert find(kiosk, "printStepText").property("text") == "Memeriksa tanda tangan elektronik…"
    assert find(kiosk, "step-verifying").property("active")
    assert find(kiosk, "step-downloading").property("finished")
    assert not find(kiosk, "step-printing").property("finished")


def verify_failed(k: KioskWindow, q) -> None:
    reach_printing(k)
    failure = ev.Failure(ev.FailureKind.VERIFY, detail="signature does not verify")
    send(k, ev.PrintFailed(session_no(k), ev.PrinterRole.DOCUMENT, failure))


def print_timeout(k: KioskWindow, q) -> None:
    reach_printing(k)
    send(k, ev.Deadline(session_no(k), "printing", k.runtime.flow.state.attempt))


def pickup_locked(k: KioskWindow, q) -> None:
    open_pickup(k, q)
    for _ in range(5):
        send(k, ev.SubmitPickupCode("0000"))


# Screens that must fit without scrolling, in both orientations.
FITTING = {
    "pickup-error": lambda k, q: (open_pickup(k, q), send(k, ev.SubmitPickupCode("0000"))),
    "done-queued": lambda k, q: reach_done_queued(k),
    "printing-verifying": lambda k, q: reach_verifying(k),
    "notice-verify-failed": verify_failed,
    "notice-print-timeout": print_timeout,
    "notice-pickup-locked": pickup_locked,
}


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("state", list(FITTING))
def test_new_states_fit_the_screen(qtbot, tmp_path: Path, state: str, size: tuple[int, int]):
    kiosk = open_kiosk(qtbot, Driver().loaded(), size)
    try:
        FITTING[state](kiosk, qtbot)
        settle(qtbot, kiosk)
        image = kiosk.window.grabWindow()
        image.save(str(shots_dir(tmp_path) / f"{state}-{size[0]}x{size[1]}.png"))
        assert distinct_colours(image) > 4
        assert not spilling_texts(kiosk), f"cut off on {state} at {size}"
        notice = kiosk.bridge.view_model()["notice"]
        if notice:
            shown = texts(kiosk)
            assert notice["title"] in shown and notice["message"] in shown
            assert visible(kiosk, "noticeHome")
    finally:
        kiosk.close()


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large"])
def test_requests_fit_the_width_in_portrait(qtbot, tmp_path: Path, large_text: bool):
    kiosk = open_kiosk(qtbot, Driver().loaded(), PORTRAIT)
    try:
        kiosk.bridge.setLargeText(large_text)
        reach_requests(kiosk, qtbot)
        settle(qtbot, kiosk)
        kiosk.window.grabWindow().save(
            str(shots_dir(tmp_path) / f"requests-800x1280-{large_text}.png")
        )
        assert not spilling_texts(kiosk, vertical=False)
        assert visible(kiosk, "print-req-3") and visible(kiosk, "print-req-5")
        for name in ("print-req-3", "print-req-5"):  # "Cetak ulang" on one line, not two
            labels = [i for i in items(find(kiosk, name)) if i.property("lineCount") is not None]
            assert [label.property("lineCount") for label in labels] == [1], name
    finally:
        kiosk.close()


# --- the demo's developer panel ------------------------------------------------------------


class FakeSimulator:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def tap(self, uid: str) -> None:
        self.calls.append(("tap", uid))

    def remove(self) -> None:
        self.calls.append(("remove",))

    def inject(self, fault: str) -> None:
        self.calls.append(("inject", fault))

    def clear(self, fault: str) -> None:
        self.calls.append(("clear", fault))


def test_developer_panel_taps_cards_and_toggles_faults(kiosk, qtbot, tmp_path: Path):
    from kiosk.ui.demo import DeveloperPanel

    simulators = {role: FakeSimulator() for role in ("card_reader", "document_printer")}
    kiosk.runtime.devices = {
        role: type("Device", (), {"simulator": sim})() for role, sim in simulators.items()
    }
    panel = DeveloperPanel(kiosk)
    window = panel.engine.rootObjects()[0]
    qtbot.waitExposed(window)
    buttons = {
        str(i.property("text")): i
        for i in items(window.contentItem())
        if i.property("text") and i.metaObject().className().startswith("PanelButton")
    }

    def press(label: str) -> None:
        item = buttons[label]
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
        qtbot.mouseClick(window, Qt.MouseButton.LeftButton, pos=centre)

    window.grabWindow().save(str(shots_dir(tmp_path) / "developer-panel.png"))
    press("Tempel kartu: Siti Rahayu")
    press("Angkat kartu")
    press("Printer surat: kertas habis")
    press("Printer surat: kertas habis")
    assert simulators["card_reader"].calls == [("tap", "04A3B2C1D0E1F2"), ("remove",)]
    assert simulators["document_printer"].calls == [
        ("inject", "paper_out"),
        ("clear", "paper_out"),
    ]
    panel.close()


def test_full_screen_takes_the_whole_screen(qtbot, driver: Driver):
    window = KioskWindow(
        WindowSpec(1280, 800, fullscreen=True), lambda post: StandInRuntime(post, driver)
    )
    try:
        qtbot.waitExposed(window.window)
        assert window.window.visibility() == window.window.Visibility.FullScreen
        assert window.window.geometry() == window.window.screen().geometry()
    finally:
        window.close()


def test_printed_letters_are_named_by_their_tracking_code():
    from kiosk.ui.demo import letter_name

    printout = type("Printout", (), {"title": "Surat 231126-001", "data": b"%PDF-"})()
    assert letter_name(printout) == "231126-001"
    assert letter_name(object()) == "letter"


@pytest.mark.qt_log_ignore(".*")
def test_a_qml_file_that_cannot_load_is_a_clear_error(
    tmp_path: Path, monkeypatch, qt_warnings_fail
):
    from kiosk.ui import app as app_module

    monkeypatch.setattr(app_module, "QML_DIR", tmp_path)
    with pytest.raises(app_module.QmlLoadError, match="could not be loaded"):
        KioskWindow(WindowSpec(), lambda post: None)  # type: ignore[arg-type,return-value]
    qt_warnings_fail.clear()  # the engine's own complaint is expected here


# --- accessibility ---------------------------------------------------------------------------

MIN_TARGET_MM = 15.0


def touch_targets(kiosk: KioskWindow) -> list[QQuickItem]:
    """What a finger can press: the items whose MouseArea takes taps (not the window-wide
    catcher that only restarts the idle timer)."""
    found = []
    for item in items(kiosk.window.contentItem()):
        if (
            item.metaObject().className().startswith("QQuickMouseArea")
            and item.isVisible()
            and item.isEnabled()
            and item.objectName() != "idleCatcher"
        ):
            found.append(item.parentItem())
    return found


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_touch_target_is_announced_and_big_enough(kiosk, qtbot, screen: str):
    from PySide6.QtGui import QAccessible

    SCREENS[screen](kiosk, qtbot)
    settle(qtbot, kiosk)
    QAccessible.setActive(True)
    px_per_mm = kiosk.window.screen().physicalDotsPerInch() / 25.4
    problems = []
    for target in touch_targets(kiosk):
        described = QAccessible.queryAccessibleInterface(target)
        name = described.text(QAccessible.Text.Name) if described else ""
        role = described.role() if described else None
        what = f"{target.objectName() or target.metaObject().className()} {name!r}"
        if role not in (QAccessible.Role.Button, QAccessible.Role.EditableText) or not name:
            problems.append(f"{what}: role {role}, no name for a screen reader")
        short = min(target.width(), target.height()) / px_per_mm
        if short < MIN_TARGET_MM:
            problems.append(f"{what}: {short:.1f} mm, under {MIN_TARGET_MM:g} mm")
    assert not problems, "\n".join(problems)


# --- large text and high contrast --------------------------------------------------------------


def test_large_text_and_high_contrast_are_chosen_on_the_attract_screen(kiosk, qtbot):
    title_before = find(kiosk, "startButton").property("height")
    font_before = kiosk.window.property("fontBody")
    click(qtbot, kiosk, "largeTextButton")
    click(qtbot, kiosk, "highContrastButton")
    vm = kiosk.bridge.view_model()
    assert vm["largeText"] and vm["highContrast"] and vm["screen"] == "attract"
    assert kiosk.window.property("fontBody") > font_before
    assert kiosk.window.property("ink").name() == "#000000"
    assert find(kiosk, "startButton").property("height") == title_before
    assert "Huruf biasa" in texts(kiosk) and "Warna biasa" in texts(kiosk)


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_screen_fits_in_large_text_and_high_contrast(
    qtbot, tmp_path: Path, screen: str, size: tuple[int, int]
):
    kiosk = open_kiosk(qtbot, Driver().loaded(), size)
    try:
        send(kiosk, ev.SetDisplay(large_text=True, high_contrast=True))
        SCREENS[screen](kiosk, qtbot)
        settle(qtbot, kiosk)
        assert kiosk.bridge.view_model()["largeText"]
        image = kiosk.window.grabWindow()
        image.save(str(shots_dir(tmp_path) / f"{screen}-large-contrast-{size[0]}x{size[1]}.png"))
        assert distinct_colours(image) > 3, f"the {screen} screen looks blank"
        assert not spilling_texts(kiosk, vertical=False), f"cut off on {screen}"
        assert not overlapping_targets(kiosk), f"buttons over each other on {screen}"
        if screen == "attract":  # the notices stay below the way to start
            main_bottom = max(
                i.mapRectToScene(i.boundingRect()).bottom()
                for i in items(kiosk.window.contentItem())
                if i.objectName() == "pickupButton"
            )
            info = find(kiosk, "attractInfo")
            assert info.mapRectToScene(info.boundingRect()).top() >= main_bottom
    finally:
        kiosk.close()


def visible_box(item: QQuickItem):
    """The item's box in the window, cut to what its clipping ancestors (a scrolled
    list, a Flickable) let a finger reach."""
    box = item.mapRectToScene(item.boundingRect())
    parent = item.parentItem()
    while parent is not None:
        if parent.clip():
            box = box.intersected(parent.mapRectToScene(parent.boundingRect()))
        parent = parent.parentItem()
    return box


def overlapping_targets(kiosk: KioskWindow) -> list[str]:
    """Pairs of touch targets drawn over each other (one inside the other is fine: the
    attract screen is a start button around its other buttons)."""
    boxes = [
        (t.objectName() or t.metaObject().className(), visible_box(t)) for t in touch_targets(kiosk)
    ]
    boxes = [(name, box) for name, box in boxes if not box.isEmpty()]
    found = []
    for i, (name, box) in enumerate(boxes):
        for other, other_box in boxes[i + 1 :]:
            nested = box.contains(other_box) or other_box.contains(box)
            if box.intersects(other_box) and not nested:
                found.append(f"{name} / {other}")
    return found


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_every_field_being_typed_in_stays_visible_above_the_keyboard(
    qtbot, size: tuple[int, int], large: bool
):
    kiosk = open_kiosk(qtbot, Driver().loaded(), size)
    try:
        send(kiosk, ev.SetDisplay(large_text=large))
        send(kiosk, ev.CardPresented(SITI_UID), ev.Identified(session_no(kiosk), session()))
        click(qtbot, kiosk, "service-SKU")
        names = [f["name"] for f in kiosk.bridge.view_model()["fields"] if f["kind"] != "choice"]
        assert len(names) >= 2
        for name in names:
            click(qtbot, kiosk, f"field-{name}")
            settle(qtbot, kiosk)
            field = find(kiosk, f"field-{name}")
            top = field.mapToScene(QPointF(0, 0)).y()
            bottom = field.mapToScene(QPointF(0, field.height())).y()
            header = find(kiosk, "header") if visible(kiosk, "header") else None
            header_bottom = header.mapToScene(QPointF(0, header.height())).y() if header else 0
            keyboard_top = find(kiosk, "keyboard").mapToScene(QPointF(0, 0)).y()
            assert header_bottom <= top and bottom <= keyboard_top, (name, top, bottom)
            assert field.property("activeFocus")
    finally:
        kiosk.close()


# --- the attract screen: the village's emblem, its services, and a kiosk closed for now ----


def loaded_with(**config: Any) -> Driver:
    from tests.flow.conftest import catalogue, kiosk_config

    driver = Driver()
    driver.send(ev.KioskLoaded(kiosk_config().model_copy(update=config), catalogue()))
    return driver


def drawn(image: QQuickItem) -> bool:
    """An Image item has loaded its picture and draws it."""
    return image.property("progress") == 1.0 and image.property("paintedWidth") > 0


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large"])
def test_attract_shows_the_village_emblem_and_its_services(
    qtbot, tmp_path: Path, size: tuple[int, int], large_text: bool
):
    from apm_server import demo_data

    kiosk = open_kiosk(qtbot, loaded_with(logo_png=demo_data.logo_png()), size)
    try:
        kiosk.bridge.setLargeText(large_text)
        qtbot.waitUntil(lambda: drawn(find(kiosk, "villageLogo")), timeout=5000)
        settle(qtbot, kiosk)
        kiosk.window.grabWindow().save(
            str(shots_dir(tmp_path) / f"attract-logo-{size[0]}x{size[1]}-{large_text}.png")
        )
        assert find(kiosk, "villageLogo").height() >= 80
        names = [s["name"] for s in kiosk.bridge.view_model()["services"]]
        assert names and all(name in find(kiosk, "serviceList").property("text") for name in names)
        # Everything fits: the welcome above the office's notices, nothing cut off.
        main, info = find(kiosk, "attractMain"), find(kiosk, "attractInfo")
        assert main.y() + main.height() <= info.y(), f"the welcome runs into the notices at {size}"
        assert not spilling_texts(kiosk), f"cut off at {size}"
        click(qtbot, kiosk, "startButton")
        qtbot.waitUntil(lambda: drawn(find(kiosk, "headerLogo")), timeout=5000)
    finally:
        kiosk.close()


CLOSED = Text(
    id="Kios sedang dirawat petugas sampai pukul 13.00.",
    en="The kiosk is being serviced until 1 pm.",
)


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large"])
def test_a_closed_kiosk_says_why_and_takes_no_taps(
    qtbot, tmp_path: Path, size: tuple[int, int], large_text: bool
):
    kiosk = open_kiosk(qtbot, loaded_with(out_of_service=CLOSED, support_phone="0356-000000"), size)
    try:
        kiosk.bridge.setLargeText(large_text)
        settle(qtbot, kiosk)
        kiosk.window.grabWindow().save(
            str(shots_dir(tmp_path) / f"attract-closed-{size[0]}x{size[1]}-{large_text}.png")
        )
        shown = texts(kiosk)
        for said in (CLOSED.id, "Kios sedang tidak melayani", "Informasi: 0356-000000"):
            assert said in shown
        assert not visible(kiosk, "startButton") and not visible(kiosk, "pickupButton")
        assert not spilling_texts(kiosk), f"cut off at {size}"
        qtbot.mouseClick(
            kiosk.window,
            Qt.MouseButton.LeftButton,
            pos=kiosk.window.contentItem().boundingRect().center().toPoint(),
        )
        settle(qtbot, kiosk)
        assert kiosk.bridge.view_model()["screen"] == "attract"
        assert not any(isinstance(i, ev.Start) for i in kiosk.runtime.intents)
    finally:
        kiosk.close()
