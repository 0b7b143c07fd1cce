"""The flow when the village link is down, when machines are slow, and at pickup."""

from __future__ import annotations

from apm_api.models import ErrorCode, RequestStatus, Text
from kiosk.flow import Screen, view_model
from kiosk.flow import effects as fx
from kiosk.flow import events as ev

from .conftest import SITI_UID, Driver, letter_request

UNREACHABLE = ev.Failure(ev.FailureKind.UNREACHABLE, detail="timed out")


def of_type(effects, kind):
    return [e for e in effects if isinstance(e, kind)]


def offline_at_confirm(driver: Driver, *, by_nik: bool = False) -> None:
    driver.loaded()
    if by_nik:
        driver.send(ev.Start())
        driver.send(ev.SubmitNikPin("3523014708900001", "123456"))
    else:
        driver.send(ev.CardPresented(SITI_UID))
    driver.send(ev.IdentifyFailed(driver.state.session_no, UNREACHABLE))
    driver.send(ev.ChooseService("SKD"))
    assert driver.state.values["alamat_domisili"] == ""  # no resident data offline: typed
    driver.send(ev.SetField("keperluan", "Melamar pekerjaan"))
    driver.send(ev.SetField("alamat_domisili", "Dusun Krajan"))
    driver.send(ev.Next())
    assert driver.state.screen is Screen.CONFIRM


def test_offline_request_by_card_is_queued_with_the_applicant_and_no_session(driver: Driver):
    offline_at_confirm(driver)
    [submit] = of_type(driver.send(ev.Confirm()), fx.Submit)
    assert submit.session_token is None
    assert submit.body.applicant is not None
    assert submit.body.applicant.model_dump() == {"method": "card", "card_uid": SITI_UID}
    # Known to be down: the citizen does not wait for a deadline once the request is safe.
    effects = driver.send(ev.SubmitQueued(driver.state.session_no, "K-ABCD-EFGH", "123456789012"))
    assert driver.state.screen is Screen.DONE
    [receipt] = of_type(effects, fx.PrintReceipt)
    assert receipt.receipt.tracking_code == "K-ABCD-EFGH"
    assert receipt.receipt.qr_payload == "APM1:AMBIL:123456789012"
    assert ("Status", "Tersimpan, menunggu jaringan") in [
        (r.label, r.value) for r in receipt.receipt.rows
    ]
    vm = view_model(driver.state)
    assert vm["queued"] and "dikirim otomatis" in vm["queuedMessage"]
    assert vm["reference"] == "K-ABCD-EFGH"


def test_offline_nik_says_the_pin_could_not_be_checked(driver: Driver):
    offline_at_confirm(driver, by_nik=True)
    assert "PIN tidak dapat diperiksa" in view_model(driver.state)["identityNote"]
    [submit] = of_type(driver.send(ev.Confirm()), fx.Submit)
    assert submit.body.applicant.model_dump() == {"method": "nik", "nik": "3523014708900001"}
    assert "123456" not in repr(driver.state)  # the PIN is never kept


def test_offline_without_a_catalogue_says_so(driver: Driver):
    driver.send(ev.CardPresented(SITI_UID))  # nothing loaded, nothing cached
    assert driver.state.screen is Screen.NOTICE  # not ready: said at once, no dead end


def test_submit_deadline_leaves_with_a_receipt_when_the_request_is_safe(driver: Driver):
    driver.at_confirm()
    effects = driver.send(ev.Confirm())
    [deadline] = [e for e in of_type(effects, fx.Schedule) if isinstance(e.event, ev.Deadline)]
    assert deadline.delay_s == 20.0
    driver.send(ev.SubmitQueued(driver.state.session_no, "K-ABCD-EFGH", "123456789012"))
    assert driver.state.screen is Screen.SUBMITTING  # the link was fine: wait for an answer
    effects = driver.send(deadline.event)
    assert driver.state.screen is Screen.DONE and driver.state.queued
    assert of_type(effects, fx.PrintReceipt)
    # The answer comes late: remembered quietly, no second receipt.
    assert driver.send(ev.Submitted(driver.state.session_no, letter_request())) == []


def test_submit_deadline_without_a_saved_request_offers_retry_with_the_same_key(driver: Driver):
    driver.at_confirm()
    [deadline] = [
        e.event
        for e in of_type(driver.send(ev.Confirm()), fx.Schedule)
        if isinstance(e.event, ev.Deadline)
    ]
    key = driver.state.submit_key
    driver.send(deadline)
    vm = view_model(driver.state)
    assert vm["screen"] == "notice" and vm["notice"]["canRetry"]
    [again] = of_type(driver.send(ev.AnswerNotice(ev.NoticeChoice.RETRY)), fx.Submit)
    assert again.idempotency_key == key


def test_link_going_down_while_submitting_finishes_with_the_queued_receipt(driver: Driver):
    driver.at_confirm()
    driver.send(ev.Confirm())
    driver.send(ev.SubmitQueued(driver.state.session_no, "K-ABCD-EFGH", "123456789012"))
    effects = driver.send(ev.LinkChanged(up=False))
    assert driver.state.screen is Screen.DONE and of_type(effects, fx.PrintReceipt)
    assert view_model(driver.state)["offline"] is True
    driver.send(ev.LinkChanged(up=True))
    assert view_model(driver.state)["offline"] is False


def test_a_dead_lettered_submit_gets_a_new_key_for_the_corrected_draft(driver: Driver):
    driver.at_confirm()
    first = driver.state.submit_key
    driver.send(ev.Confirm())
    failure = ev.Failure(
        ev.FailureKind.REJECTED,
        code=ErrorCode.INVALID_FORM,
        field_errors={"keperluan": Text(id="Terlalu pendek")},
    )
    driver.send(ev.SubmitFailed(driver.state.session_no, failure))
    assert driver.state.screen is Screen.FORM
    driver.send(ev.SetField("keperluan", "Melamar pekerjaan di pabrik"))
    driver.send(ev.Next())
    assert driver.state.submit_key not in (None, first)


def test_identify_deadline_goes_on_offline_and_an_old_deadline_is_ignored(driver: Driver):
    driver.loaded()
    effects = driver.send(ev.CardPresented(SITI_UID))
    [deadline] = [e.event for e in of_type(effects, fx.Schedule)]
    stale = ev.Deadline(deadline.session_no, deadline.screen, deadline.attempt - 1)
    assert driver.send(stale) == [] and driver.state.screen is Screen.IDENTIFYING
    driver.send(deadline)
    assert driver.state.screen is Screen.SERVICES
    assert view_model(driver.state)["identityNote"]


def test_print_deadline_ends_in_a_notice_with_the_tracking_code(driver: Driver):
    driver.waiting()
    effects = driver.send(
        ev.StatusChecked(driver.state.session_no, letter_request(RequestStatus.READY))
    )
    [deadline] = [
        e.event for e in of_type(effects, fx.Schedule) if isinstance(e.event, ev.Deadline)
    ]
    driver.send(deadline)
    vm = view_model(driver.state)
    assert vm["screen"] == "notice"
    assert vm["notice"]["title"] == "Printer tidak menjawab"
    assert vm["notice"]["trackingCode"] == "231126-001"
    assert vm["canGoHome"]
    # The printer answers after all: too late, the screen does not jump.
    assert driver.send(ev.DocumentPrinted(driver.state.session_no, "req-1")) == []


def test_a_letter_failing_verification_is_a_notice_without_retry(driver: Driver):
    driver.waiting()
    driver.send(ev.StatusChecked(driver.state.session_no, letter_request(RequestStatus.READY)))
    failure = ev.Failure(ev.FailureKind.VERIFY, detail="untrusted")
    driver.send(ev.PrintFailed(driver.state.session_no, ev.PrinterRole.DOCUMENT, failure))
    vm = view_model(driver.state)
    assert vm["notice"]["title"] == "Surat tidak dapat diverifikasi"
    assert not vm["notice"]["canRetry"]
    assert "untrusted" not in repr(vm)


def mine(**extra) -> ev.MyRequest:
    fields = dict(
        request_id="req-1",
        reference="231126-001",
        service_name=Text(id="Surat Keterangan Domisili"),
        status="ready",
        sha256="ab" * 32,
        printable=True,
        local_id="K-ABCD-EFGH",
    )
    fields.update(extra)
    return ev.MyRequest(**fields)


def test_pickup_by_code_lists_this_kiosks_requests_and_prints_a_ready_one(driver: Driver):
    driver.send(ev.OpenPickup())  # works before the catalogue is loaded, and offline
    assert driver.state.screen is Screen.PICKUP
    [find] = of_type(
        driver.send(ev.SubmitPickupCode("APM1:AMBIL:123456789012\n")), fx.FindMyRequests
    )
    assert find.pickup_code == "123456789012"
    found = (
        mine(),
        mine(
            request_id=None, reference="K-WXYZ-2345", status="queued", sha256=None, printable=False
        ),
    )
    driver.send(ev.MyRequestsFound(driver.state.session_no, found, by_code=True))
    assert driver.state.screen is Screen.REQUESTS
    rows = view_model(driver.state)["myRequests"]
    assert [(r["reference"], r["printable"]) for r in rows] == [
        ("231126-001", True),
        ("K-WXYZ-2345", False),
    ]
    assert rows[1]["statusLabel"] == "Tersimpan, menunggu jaringan"
    [job] = of_type(driver.send(ev.PrintReady("req-1")), fx.PrintLetter)
    assert (job.local_id, job.sha256, job.tracking_code) == ("K-ABCD-EFGH", "ab" * 32, "231126-001")
    assert driver.state.screen is Screen.PRINTING
    assert view_model(driver.state)["request"]["trackingCode"] == "231126-001"


def test_pickup_reprint_is_marked_as_such(driver: Driver):
    driver.send(ev.OpenPickup())
    driver.send(ev.SubmitPickupCode("1234 5678 9012"))
    driver.send(ev.MyRequestsFound(driver.state.session_no, (mine(reprint=True),), by_code=True))
    assert view_model(driver.state)["myRequests"][0]["reprint"]
    [job] = of_type(driver.send(ev.PrintReady("req-1")), fx.PrintLetter)
    assert job.reprint


def test_wrong_pickup_codes_are_explained_then_the_keypad_closes(driver: Driver):
    driver.send(ev.OpenPickup())
    assert driver.send(ev.SubmitPickupCode("12345")) == []
    assert "12 angka" in view_model(driver.state)["pickupError"]
    for _ in range(3):
        driver.send(ev.SubmitPickupCode("999999999999"))
        driver.send(ev.MyRequestsFound(driver.state.session_no, (), by_code=True))
        assert driver.state.screen is Screen.PICKUP
    assert "tidak ditemukan" in view_model(driver.state)["pickupError"]
    driver.send(ev.SubmitPickupCode("999999999999"))
    driver.send(ev.MyRequestsFound(driver.state.session_no, (), by_code=True))
    assert driver.state.screen is Screen.NOTICE  # five wrong tries: ask an officer


def test_a_returning_card_holder_sees_this_kiosks_letters_while_offline(driver: Driver):
    driver.loaded()
    effects = driver.send(ev.CardPresented(SITI_UID))
    [find] = of_type(effects, fx.FindMyRequests)
    assert find.applicant is not None and find.applicant.card_uid == SITI_UID
    driver.send(ev.MyRequestsFound(driver.state.session_no, (mine(),)))
    driver.send(ev.IdentifyFailed(driver.state.session_no, UNREACHABLE))
    assert driver.state.screen is Screen.SERVICES
    assert [r["id"] for r in view_model(driver.state)["readyRequests"]] == ["req-1"]
    assert of_type(driver.send(ev.PrintReady("req-1")), fx.PrintLetter)


def test_the_citizen_is_forgotten_at_the_end_including_applicant_and_codes(driver: Driver):
    offline_at_confirm(driver)
    driver.send(ev.Confirm())
    driver.send(ev.SubmitQueued(driver.state.session_no, "K-ABCD-EFGH", "123456789012"))
    driver.send(ev.Finish())
    s = driver.state
    assert (s.applicant, s.pickup_code, s.kiosk_reference, s.my_requests) == (None, None, None, ())


def test_a_letter_printed_here_but_not_yet_reported_is_offered_as_a_reprint(driver: Driver):
    """The backend still lists it as ready (the report is queued): this kiosk's record
    knows better, so the tile says reprint and pressing it asks for a counted reprint."""
    driver.identified()
    ready = letter_request(RequestStatus.READY)
    driver.send(ev.MyRequestsLoaded(driver.state.session_no, (ready,)))
    driver.send(ev.MyRequestsFound(driver.state.session_no, (mine(reprint=True),)))
    [tile] = view_model(driver.state)["readyRequests"]
    assert (tile["id"], tile["reprint"]) == ("req-1", True)
    [job] = of_type(driver.send(ev.PrintReady("req-1")), fx.PrintLetter)
    assert job.reprint


def test_a_scanned_receipt_qr_opens_pickup_from_the_attract_and_identify_screens(
    driver: Driver,
):
    driver.loaded()
    for opening in ([], [ev.Start()]):
        driver.send(ev.Home())
        for event in opening:
            driver.send(event)
        [find] = of_type(
            driver.send(ev.PickupCodeScanned("APM1:AMBIL:123456789012")), fx.FindMyRequests
        )
        assert driver.state.screen is Screen.PICKUP and find.pickup_code == "123456789012"
        driver.send(ev.MyRequestsFound(driver.state.session_no, (mine(),), by_code=True))
        assert driver.state.screen is Screen.REQUESTS


def test_a_scan_mid_session_is_ignored_and_a_bad_scan_is_explained(driver: Driver):
    driver.identified()
    busy = driver.state.screen
    assert driver.send(ev.PickupCodeScanned("APM1:AMBIL:123456789012")) == []
    assert driver.state.screen is busy  # someone else's receipt cannot hijack a session
    driver.send(ev.Home())
    assert driver.send(ev.PickupCodeScanned("APM1:AMBIL:12")) == []
    assert driver.state.screen is Screen.PICKUP
    assert "12 angka" in view_model(driver.state)["pickupError"]
    assert "123456789012" not in repr(ev.PickupCodeScanned("123456789012"))
