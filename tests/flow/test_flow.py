"""The citizen flow as a citizen lives it, without Qt, devices or network."""

from __future__ import annotations

from apm_api.models import ErrorCode, RequestStatus, Text
from kiosk.flow import Screen, view_model
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.machine import AFTER_RATING_S, DONE_TIMEOUT_S

from .conftest import SITI_UID, Driver, catalogue, kiosk_config, letter_request, session


def of_type(effects, kind):
    return [e for e in effects if isinstance(e, kind)]


def test_start_loads_the_kiosk_and_attract_waits_until_loaded(driver: Driver):
    assert of_type(driver.flow.start(), fx.LoadKiosk)
    driver.send(ev.Start())
    assert driver.state.screen is Screen.NOTICE  # not ready: says so instead of a dead end
    driver.send(ev.AnswerNotice(ev.NoticeChoice.HOME))
    assert driver.state.screen is Screen.ATTRACT
    driver.loaded()
    driver.send(ev.Start())
    assert driver.state.screen is Screen.IDENTIFY


def test_whole_path_from_card_tap_to_rating(driver: Driver):
    driver.loaded()
    effects = driver.send(ev.CardPresented(SITI_UID))
    assert driver.state.screen is Screen.IDENTIFYING
    [identify] = of_type(effects, fx.Identify)
    assert identify.request.card_uid == SITI_UID

    effects = driver.send(ev.Identified(driver.state.session_no, session()))
    assert driver.state.screen is Screen.SERVICES
    assert of_type(effects, fx.LoadMyRequests)
    assert [s.code for s in driver.state.services] == ["SKD", "SKU"]  # SKCK not enabled

    driver.send(ev.ChooseService("SKD"))
    assert driver.state.screen is Screen.FORM
    assert driver.state.values["alamat_domisili"] == "Dusun Krajan RT 002 RW 001"  # prefilled
    driver.send(ev.SetField("keperluan", "  Melamar pekerjaan "))
    driver.send(ev.Next())
    assert driver.state.screen is Screen.CONFIRM

    [submit] = of_type(driver.send(ev.Confirm()), fx.Submit)
    assert driver.state.screen is Screen.SUBMITTING
    assert submit.body.service_code == "SKD"
    assert submit.body.fields["keperluan"] == "Melamar pekerjaan"  # trimmed
    assert submit.idempotency_key == "key-1"
    assert submit.session_token == "secret-session-token"

    assert submit.body.applicant is not None and submit.body.applicant.method == "card"
    driver.send(ev.SubmitQueued(driver.state.session_no, "K-ABCD-EFGH", "123456789012"))
    assert driver.state.screen is Screen.SUBMITTING  # saved; waiting for the backend's answer
    effects = driver.send(ev.Submitted(driver.state.session_no, letter_request()))
    assert driver.state.screen is Screen.WAITING
    [receipt] = of_type(effects, fx.PrintReceipt)
    assert receipt.receipt.tracking_code == "231126-001"
    assert receipt.receipt.qr_payload == "APM1:AMBIL:123456789012"  # the way back
    assert receipt.receipt.pickup_code == "1234-5678-9012"
    [poll] = of_type(effects, fx.Schedule)
    assert poll.delay_s == 2

    effects = driver.send(poll.event)
    [check] = of_type(effects, fx.CheckStatus)
    assert check.request_id == "req-1"
    effects = driver.send(
        ev.StatusChecked(driver.state.session_no, letter_request(RequestStatus.READY))
    )
    assert driver.state.screen is Screen.PRINTING
    [job] = of_type(effects, fx.PrintLetter)
    assert (job.request_id, job.sha256, job.reprint) == ("req-1", "ab" * 32, False)
    driver.send(ev.PrintProgress(driver.state.session_no, "req-1", "verifying"))
    assert view_model(driver.state)["printStep"] == "verifying"

    effects = driver.send(ev.DocumentPrinted(driver.state.session_no, "req-1"))
    assert driver.state.screen is Screen.DONE
    assert effects == []  # the print service queued the report with the print itself

    [rating] = of_type(driver.send(ev.Rate(4)), fx.SendRating)
    assert (rating.score, rating.request_id) == (4, "req-1")
    driver.clock.advance(AFTER_RATING_S)
    effects = driver.send(ev.Tick())
    assert driver.state.screen is Screen.ATTRACT
    assert of_type(effects, fx.EndSession)


def test_ending_a_session_forgets_the_citizen(driver: Driver):
    driver.waiting()
    old_session = driver.state.session_no
    driver.send(ev.FinishLater())
    driver.send(ev.Finish())
    s = driver.state
    assert s.screen is Screen.ATTRACT
    assert s.session_no == old_session + 1
    assert (s.resident, s.session_token, s.request, s.service, s.values) == (
        None,
        None,
        None,
        None,
        {},
    )
    assert s.ready  # catalogue kept: the next citizen does not wait for it again


def test_late_answers_from_a_previous_session_are_dropped(driver: Driver):
    driver.loaded()
    driver.send(ev.CardPresented(SITI_UID))
    old = driver.state.session_no
    driver.clock.advance(10)
    driver.send(ev.Home())  # ignored: identifying is machine-busy
    assert driver.state.screen is Screen.IDENTIFYING
    # The identification times out at the backend: the kiosk goes on offline; the citizen
    # walks away meanwhile.
    driver.send(ev.IdentifyFailed(old, ev.Failure(ev.FailureKind.UNREACHABLE)))
    assert driver.state.screen is Screen.SERVICES
    driver.send(ev.Home())
    assert driver.state.screen is Screen.ATTRACT
    assert driver.send(ev.Identified(old, session())) == []
    assert driver.state.resident is None
    assert driver.state.screen is Screen.ATTRACT


def test_nik_and_pin_are_checked_before_sending(driver: Driver):
    driver.loaded()
    driver.send(ev.Start())
    assert driver.send(ev.SubmitNikPin("35230147089000", "123456")) == []
    assert driver.state.identify_error is not None
    assert "16" in driver.state.identify_error.id
    assert driver.send(ev.SubmitNikPin("3523014708900001", "12a456")) == []
    assert "PIN" in driver.state.identify_error.id
    [identify] = of_type(driver.send(ev.SubmitNikPin(" 3523014708900001", "123456 ")), fx.Identify)
    assert identify.request.nik == "3523014708900001"
    assert driver.state.identify_error is None


def test_pin_is_never_kept_in_the_state(driver: Driver):
    driver.loaded()
    driver.send(ev.Start())
    driver.send(ev.SubmitNikPin("3523014708900001", "987654"))
    assert "987654" not in repr(driver.state)
    assert "987654" not in repr(view_model(driver.state))


def test_identification_failures_tell_the_citizen_what_to_do(driver: Driver):
    driver.loaded()
    cases = [
        (ErrorCode.UNKNOWN_CARD, "belum terdaftar"),
        (ErrorCode.WRONG_PIN, "salah"),
        (ErrorCode.LOCKED, "2 menit"),
    ]
    for code, words in cases:
        driver.send(ev.CardPresented(SITI_UID))
        failure = ev.Failure(ev.FailureKind.REJECTED, code=code, retry_after_s=120)
        driver.send(ev.IdentifyFailed(driver.state.session_no, failure))
        assert driver.state.screen is Screen.IDENTIFY
        assert words in driver.state.identify_error.id


def test_backend_unreachable_while_identifying_goes_on_offline(driver: Driver):
    driver.loaded()
    driver.send(ev.CardPresented(SITI_UID))
    failure = ev.Failure(ev.FailureKind.UNREACHABLE, detail="connection refused")
    driver.send(ev.IdentifyFailed(driver.state.session_no, failure))
    assert driver.state.screen is Screen.SERVICES
    vm = view_model(driver.state)
    assert vm["offline"] is True
    assert "petugas desa akan memeriksa identitas" in vm["identityNote"]
    assert vm["resident"] is None  # nobody verified: no name, no prefill
    assert "connection refused" not in repr(vm)  # technical detail stays in the logs


def test_random_uid_and_lifted_card_explain_themselves(driver: Driver):
    driver.loaded()
    assert driver.send(ev.CardPresented("08A1B2C3", uid_is_random=True)) == []
    assert driver.state.screen is Screen.IDENTIFY
    assert "NIK dan PIN" in driver.state.identify_error.id
    driver.send(ev.CardReadFailed(ev.CardProblem.REMOVED_MID_READ))
    assert "terlalu cepat" in driver.state.identify_error.id
    assert driver.send(ev.CardPresented("not-hex!")) == []
    assert "tidak terbaca" in driver.state.identify_error.id


def test_card_tap_after_identification_is_ignored(driver: Driver):
    driver.identified()
    assert driver.send(ev.CardPresented("5A3C9E01")) == []
    assert driver.state.screen is Screen.SERVICES
    assert driver.state.resident.display_name == "Siti Rahayu"


def test_form_errors_block_next_and_clear_when_edited(driver: Driver):
    driver.identified()
    driver.send(ev.ChooseService("SKU"))
    driver.send(ev.SetField("mulai_usaha", "31-12-2020"))
    driver.send(ev.Next())
    assert driver.state.screen is Screen.FORM
    assert set(driver.state.field_errors) == {"nama_usaha", "mulai_usaha"}
    driver.send(ev.SetField("nama_usaha", "Warung Makan Bu Siti"))
    assert set(driver.state.field_errors) == {"mulai_usaha"}
    driver.send(ev.SetField("mulai_usaha", "2020-12-31"))
    driver.send(ev.Next())
    assert driver.state.screen is Screen.CONFIRM
    summary = view_model(driver.state)["summary"]
    assert {"label": "Nama usaha", "value": "Warung Makan Bu Siti"} in summary


def test_unknown_field_names_from_the_ui_are_ignored(driver: Driver):
    driver.identified()
    driver.send(ev.ChooseService("SKD"))
    driver.send(ev.SetField("is_admin", "yes"))
    assert "is_admin" not in driver.state.values


def test_retry_after_lost_answer_reuses_the_idempotency_key(driver: Driver):
    driver.at_confirm()
    [first] = of_type(driver.send(ev.Confirm()), fx.Submit)
    lost = ev.Failure(ev.FailureKind.UNREACHABLE, detail="read timeout")
    driver.send(ev.SubmitFailed(driver.state.session_no, lost))
    assert driver.state.screen is Screen.NOTICE
    assert view_model(driver.state)["notice"]["canRetry"] is True
    [second] = of_type(driver.send(ev.AnswerNotice(ev.NoticeChoice.RETRY)), fx.Submit)
    assert second.idempotency_key == first.idempotency_key
    assert second.body == first.body


def test_editing_after_confirm_makes_a_new_draft_key_only_after_submission(driver: Driver):
    driver.at_confirm()
    key = driver.state.submit_key
    driver.send(ev.Back())
    driver.send(ev.Next())
    assert driver.state.submit_key == key  # never sent: no reason for a new key


def test_server_side_form_errors_go_back_to_the_form(driver: Driver):
    driver.at_confirm()
    driver.send(ev.Confirm())
    failure = ev.Failure(
        ev.FailureKind.REJECTED,
        code=ErrorCode.INVALID_FORM,
        field_errors={"keperluan": Text(id="Terlalu pendek")},
    )
    driver.send(ev.SubmitFailed(driver.state.session_no, failure))
    assert driver.state.screen is Screen.FORM
    assert view_model(driver.state)["fields"][0]["error"] == "Terlalu pendek"


def test_status_polling_survives_network_loss_and_stops_when_rejected(driver: Driver):
    driver.waiting()
    lost = ev.Failure(ev.FailureKind.UNREACHABLE)
    effects = driver.send(ev.StatusCheckFailed(driver.state.session_no, "req-1", lost))
    assert driver.state.screen is Screen.WAITING
    assert of_type(effects, fx.Schedule)  # keeps trying
    assert view_model(driver.state)["offline"] is True
    rejected = letter_request(
        RequestStatus.REJECTED, reject_reason=Text(id="Data alamat tidak sesuai")
    )
    effects = driver.send(ev.StatusChecked(driver.state.session_no, rejected))
    assert driver.state.screen is Screen.NOTICE
    assert not of_type(effects, fx.Schedule)
    notice = view_model(driver.state)["notice"]
    assert notice["message"] == "Data alamat tidak sesuai"
    assert notice["trackingCode"] == "231126-001"


def test_poll_for_another_request_or_screen_is_ignored(driver: Driver):
    driver.waiting()
    assert driver.send(ev.PollDue(driver.state.session_no, "req-other")) == []
    driver.send(ev.FinishLater())
    assert driver.send(ev.PollDue(driver.state.session_no, "req-1")) == []


def test_already_signed_on_submit_goes_straight_to_printing(driver: Driver):
    driver.at_confirm()
    driver.send(ev.Confirm())
    effects = driver.send(
        ev.Submitted(driver.state.session_no, letter_request(RequestStatus.READY))
    )
    assert driver.state.screen is Screen.PRINTING
    assert of_type(effects, fx.PrintReceipt) and of_type(effects, fx.PrintLetter)


def test_printer_failure_offers_retry_and_keeps_tracking_code(driver: Driver):
    driver.waiting()
    driver.send(ev.StatusChecked(driver.state.session_no, letter_request(RequestStatus.READY)))
    driver.send(ev.PrintProgress(driver.state.session_no, "req-1", "printing"))
    paper_out = ev.Failure(ev.FailureKind.DEVICE, detail="paper out")
    driver.send(ev.PrintFailed(driver.state.session_no, ev.PrinterRole.DOCUMENT, paper_out))
    vm = view_model(driver.state)
    assert vm["screen"] == "notice"
    assert "kertas habis" in vm["notice"]["message"]  # in the citizen's words
    assert "paper out" not in vm["notice"]["message"]  # not the driver's
    assert "out of paper" in view_model(driver.state, lang="en")["notice"]["message"]
    assert vm["notice"]["trackingCode"] == "231126-001"
    [again] = of_type(driver.send(ev.AnswerNotice(ev.NoticeChoice.RETRY)), fx.PrintLetter)
    assert again.request_id == "req-1" and not again.reprint
    assert driver.state.screen is Screen.PRINTING


def test_receipt_failure_warns_without_stopping(driver: Driver):
    driver.waiting()
    failure = ev.Failure(ev.FailureKind.DEVICE, detail="cover open")
    driver.send(ev.PrintFailed(driver.state.session_no, ev.PrinterRole.RECEIPT, failure))
    assert driver.state.screen is Screen.WAITING
    assert "Catat nomor" in view_model(driver.state)["receiptProblem"]


def test_download_failure_offers_retry(driver: Driver):
    driver.waiting()
    driver.send(ev.StatusChecked(driver.state.session_no, letter_request(RequestStatus.READY)))
    bad = ev.Failure(ev.FailureKind.PROTOCOL, detail="sha256 mismatch")
    driver.send(ev.DocumentFetchFailed(driver.state.session_no, "req-1", bad))
    assert driver.state.screen is Screen.NOTICE
    [job] = of_type(driver.send(ev.AnswerNotice(ev.NoticeChoice.RETRY)), fx.PrintLetter)
    assert job.request_id == "req-1"


def test_come_back_later_and_print_a_ready_letter(driver: Driver):
    driver.identified()
    ready = letter_request(RequestStatus.READY)
    pending = letter_request(RequestStatus.AWAITING_SIGNATURE, id="req-2")
    driver.send(ev.MyRequestsLoaded(driver.state.session_no, (ready, pending)))
    assert [r["id"] for r in view_model(driver.state)["readyRequests"]] == ["req-1"]
    [job] = of_type(driver.send(ev.PrintReady("req-1")), fx.PrintLetter)
    assert job.request_id == "req-1"
    assert driver.state.screen is Screen.PRINTING
    assert driver.send(ev.PrintReady("req-2")) == []  # not ready: nothing to print


def test_idle_timeout_returns_to_attract_with_warning_first(driver: Driver):
    driver.identified()
    driver.send(ev.ChooseService("SKD"))
    driver.clock.advance(50)
    driver.send(ev.Tick())
    assert driver.state.screen is Screen.FORM
    vm = view_model(driver.state, idle_left=driver.flow.idle_warning_left())
    assert vm["idleLeft"] == 10
    driver.send(ev.StillHere())  # a touch resets the timer
    driver.clock.advance(59)
    driver.send(ev.Tick())
    assert driver.state.screen is Screen.FORM
    driver.clock.advance(1)
    effects = driver.send(ev.Tick())
    assert driver.state.screen is Screen.ATTRACT
    assert of_type(effects, fx.EndSession)


def test_a_short_idle_timeout_warns_only_in_its_second_half(driver: Driver):
    """With idle_timeout_s = 12 the "still there?" overlay must not cover the form from
    the first second (it would swallow every tap): it shows for the last 6 seconds."""
    driver.send(
        ev.KioskLoaded(kiosk_config().model_copy(update={"idle_timeout_s": 12}), catalogue())
    )
    driver.send(ev.CardPresented(SITI_UID))
    driver.send(ev.Identified(driver.state.session_no, session()))
    driver.send(ev.ChooseService("SKD"))

    def shown() -> int:
        return view_model(driver.state, idle_left=driver.flow.idle_warning_left())["idleLeft"]

    driver.clock.advance(1)
    assert shown() == -1
    driver.clock.advance(5.5)
    assert shown() == 6
    driver.clock.advance(5.5)
    driver.send(ev.Tick())
    assert driver.state.screen is Screen.ATTRACT


def test_idle_timeout_never_interrupts_submitting_or_printing(driver: Driver):
    driver.at_confirm()
    driver.send(ev.Confirm())
    driver.clock.advance(3600)
    driver.send(ev.Tick())
    assert driver.state.screen is Screen.SUBMITTING


def test_done_screen_returns_by_itself(driver: Driver):
    driver.waiting()
    driver.send(ev.FinishLater())
    driver.clock.advance(DONE_TIMEOUT_S - 1)
    driver.send(ev.Tick())
    assert driver.state.screen is Screen.DONE
    driver.clock.advance(1)
    driver.send(ev.Tick())
    assert driver.state.screen is Screen.ATTRACT


def test_rating_only_once_and_only_on_the_scale(driver: Driver):
    driver.waiting()
    driver.send(ev.FinishLater())
    assert driver.send(ev.Rate(5)) == []
    assert of_type(driver.send(ev.Rate(1)), fx.SendRating)
    assert driver.send(ev.Rate(3)) == []
    assert driver.state.rating == 1


def test_catalogue_load_failure_retries_and_says_offline(driver: Driver):
    failure = ev.Failure(ev.FailureKind.UNREACHABLE, detail="refused")
    [retry] = of_type(driver.send(ev.KioskLoadFailed(failure)), fx.Schedule)
    assert isinstance(retry.event, ev.RetryLoad)
    assert view_model(driver.state)["offline"] is True
    assert of_type(driver.send(retry.event), fx.LoadKiosk)


def test_broken_printer_shows_a_banner(driver: Driver):
    driver.loaded()
    driver.send(ev.DeviceStatusChanged("document_printer", False, "offline", "paper out"))
    assert "printer surat" in view_model(driver.state)["banner"]
    assert "letter printer" in view_model(driver.state, lang="en")["banner"]
    driver.send(ev.DeviceStatusChanged("document_printer", True, "online"))
    assert view_model(driver.state)["banner"] == ""


def test_view_model_never_carries_secrets(driver: Driver):
    driver.waiting()
    text = repr(view_model(driver.state))
    assert "secret-session-token" not in text
    assert "3523014708900001" not in text
    assert SITI_UID not in text


def test_idle_timeouts_by_screen_from_config():
    """`[timeouts] idle_s = { form = 180 }`: the form waits 180 s, other screens the
    backend's 60 s; the warning shows in the last 15 s of each."""
    from kiosk.flow import Flow
    from kiosk.flow.state import Deadlines

    driver = Driver()
    driver.flow = Flow(clock=driver.clock, deadlines=Deadlines(idle_s=(("form", 180.0),)))
    driver.identified()
    driver.clock.advance(50)
    assert driver.flow.idle_warning_left() == 10  # services: the backend's 60 s
    driver.send(ev.ChooseService("SKD"))
    driver.clock.advance(100)
    driver.send(ev.Tick())
    assert driver.state.screen is Screen.FORM and driver.flow.idle_warning_left() is None
    driver.clock.advance(70)
    assert driver.flow.idle_warning_left() == 10
    driver.clock.advance(10)
    driver.send(ev.Tick())
    assert driver.state.screen is Screen.ATTRACT


def test_display_choices_last_the_session_and_the_next_citizen_starts_plain(driver: Driver):
    driver.loaded()
    driver.send(ev.SetDisplay(large_text=True))
    driver.send(ev.SetDisplay(high_contrast=True))
    driver.send(ev.Start())
    vm = view_model(driver.state)
    assert vm["largeText"] and vm["highContrast"] and vm["screen"] == "identify"
    driver.send(ev.SetDisplay(large_text=False))
    assert not driver.state.large_text and driver.state.high_contrast
    driver.send(ev.Home())
    assert driver.state.screen is Screen.ATTRACT
    assert not driver.state.large_text and not driver.state.high_contrast
