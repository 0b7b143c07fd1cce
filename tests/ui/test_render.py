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

from apm_api.models import RequestStatus
from kiosk.flow import FlowState, view_model
from kiosk.flow import events as ev
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
    settle,
    texts,
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

    def view(self, lang: str = "id") -> dict[str, Any]:
        return view_model(self.flow.state, lang=lang, idle_left=self.flow.idle_seconds_left())

    def shutdown(self) -> None:
        pass


@pytest.fixture
def driver() -> Driver:
    return Driver().loaded()


@pytest.fixture
def kiosk(qtbot, driver: Driver):
    made: list[StandInRuntime] = []

    def load(post: Any) -> StandInRuntime:
        made.append(StandInRuntime(post, driver))
        return made[0]

    window = KioskWindow(WindowSpec(1280, 800), load)
    qtbot.waitExposed(window.window)
    qtbot.waitUntil(lambda: window.runtime is not None, timeout=5000)
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
    send(kiosk, ev.DocumentFetched(session_no(kiosk), "req-1"))
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
        send(k, ev.DocumentFetched(session_no(k), "req-1")),
    ),
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
