"""Several villages on one server: each kiosk reaches only its own village's residents,
services, requests and letters, and numbering runs per village. Over real HTTP."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from apm_api.models import Village
from apm_server.app import RunningServer
from tests.harness import serving

from .conftest import SITI_CARD, SITI_NIK, SITI_PIN, SKD_ADDRESS, Kiosk
from .test_api import error_of

SIDOMULYO = Village(
    name="Sidomulyo",
    district="Jenu",
    regency="Kabupaten Tuban",
    province="Jawa Timur",
    address="Jl. Raya Sidomulyo No. 3, Jenu, Tuban 62352",
    head_name="Hartono",
    code="35.23.13.2005",
)
ANI_NIK, ANI_CARD, ANI_PIN = "3523134107950004", "04FFEEDDCCBBAA", "246810"
SIDO_TOKEN = "sidomulyo-kiosk-token"


@pytest.fixture
def sido(server: RunningServer, kiosk: Kiosk) -> Iterator[Kiosk]:
    """The kiosk of a second village, Sidomulyo (SKD and SKTM only), with its resident Ani."""
    added = kiosk.admin(
        "POST",
        "/admin/villages",
        json={"village": SIDOMULYO.model_dump(), "services": ["SKTM", "SKD"]},
    )
    assert added.status_code == 201, added.text
    store = server.office.store
    store.add_kiosk("KIOSK-SIDO-01", SIDO_TOKEN, "Balai desa Sidomulyo", village=SIDOMULYO.code)
    data = {"birth_place": "Tuban", "birth_date": "1995-07-01", "address": "Dusun Krajan"}
    store.add_resident(ANI_NIK, "Ani Lestari", ANI_CARD, ANI_PIN, data, village=SIDOMULYO.code)
    other = Kiosk(server)
    other.http.headers["Authorization"] = f"Bearer {SIDO_TOKEN}"
    yield other
    other.close()


def test_a_kiosk_is_configured_for_its_own_village(kiosk: Kiosk, sido: Kiosk):
    config = sido.call("GET", "/kiosk/config").json()
    assert config["village"]["name"] == "Sidomulyo"
    assert config["services_enabled"] == ["SKTM", "SKD"]
    catalogue = sido.call("GET", "/catalogue")
    assert [s["code"] for s in catalogue.json()["services"]] == ["SKTM", "SKD"]
    assert catalogue.headers["ETag"] != kiosk.call("GET", "/catalogue").headers["ETag"]
    assert kiosk.call("GET", "/kiosk/config").json()["village"]["name"] == "Sumberejo"


def test_another_villages_residents_are_unknown(kiosk: Kiosk, sido: Kiosk):
    assert error_of(sido.identify({"method": "card", "card_uid": SITI_CARD})) == (
        404,
        "unknown_card",
    )
    by_pin = sido.identify({"method": "nik_pin", "nik": SITI_NIK, "pin": SITI_PIN})
    assert error_of(by_pin) == (401, "wrong_pin")
    by_sam = sido.identify(
        {"method": "sam", "nik": SITI_NIK, "fingerprint": "matched", "reader": "sim"}
    )
    assert error_of(by_sam) == (404, "unknown_resident")
    assert error_of(kiosk.identify({"method": "card", "card_uid": ANI_CARD})) == (
        404,
        "unknown_card",
    )
    assert sido.session(ANI_CARD)  # her own village's kiosk knows her


def test_another_villages_requests_and_letters_cannot_be_reached(kiosk: Kiosk, sido: Kiosk):
    siti = kiosk.session()
    request = kiosk.new_request("key-village-0001")
    assert kiosk.sign(request["id"]).status_code == 200
    sha = kiosk.status(request["id"])["document"]["sha256"]
    for answer in (
        sido.call("GET", f"/requests/{request['id']}"),
        sido.call("GET", f"/requests/{request['id']}/document"),
        sido.printed(request["id"], sha, "key-village-0002"),
    ):
        assert error_of(answer) == (404, "not_found")
    assert kiosk.status(request["id"])["status"] == "ready"  # not collected by the other
    assert error_of(sido.my_requests(siti)) == (401, "session_expired")
    stolen = sido.submit(siti, "key-village-0003")
    assert error_of(stolen) == (401, "session_expired")
    offline = sido.call(
        "POST",
        "/requests",
        json={
            "service_code": "SKD",
            "fields": {"keperluan": "Melamar pekerjaan", "alamat_domisili": SKD_ADDRESS},
            "applicant": {"method": "nik", "nik": SITI_NIK},
        },
        headers={"Idempotency-Key": "key-village-0004"},
    )
    assert error_of(offline) == (422, "unknown_resident")
    assert kiosk.my_requests(siti).json()["requests"][0]["id"] == request["id"]


def test_services_a_village_does_not_offer_are_refused(sido: Kiosk):
    ani = sido.session(ANI_CARD)
    answer = sido.submit(ani, "key-village-0005", fields={"keperluan": "Melamar"}, service="SKCK")
    assert error_of(answer) == (403, "service_unavailable")


def test_queue_and_letter_numbers_run_per_village(kiosk: Kiosk, sido: Kiosk):
    ani = sido.session(ANI_CARD)
    theirs = sido.submit(ani, "key-village-0006")
    assert theirs.status_code == 201, theirs.text
    ours = kiosk.new_request("key-village-0007")
    both = (theirs.json(), ours)
    assert [r["tracking_code"][-3:] for r in both] == ["001", "001"]
    for request in both:
        assert kiosk.sign(request["id"]).status_code == 200
    theirs_number = sido.status(theirs.json()["id"])["document"]["letter_number"]
    ours_number = kiosk.status(ours["id"])["document"]["letter_number"]
    assert re.fullmatch(r"[\d.]+/001/35\.23\.13\.2005/[IVX]+/\d{4}", theirs_number)
    assert re.fullmatch(r"[\d.]+/001/35\.23\.01\.2001/[IVX]+/\d{4}", ours_number)


def test_the_letter_is_signed_by_its_own_village_head(
    server: RunningServer, kiosk: Kiosk, sido: Kiosk
):
    ani = sido.session(ANI_CARD)
    request = sido.submit(ani, "key-village-0008").json()
    assert kiosk.sign(request["id"]).status_code == 200
    pdf = sido.call("GET", f"/requests/{request['id']}/document").content
    _, _, der = pem.unarmor(server.ca_cert_path.read_bytes())
    context = ValidationContext(trust_roots=[x509.Certificate.load(der)])
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(signature, context)
    assert status.bottom_line, status.pretty_print_details()
    assert status.signing_cert.subject.native["common_name"] == "Hartono"
    page = sido.http.get(request["verify_url"], timeout=30).text
    assert "Desa Sidomulyo" in page and "Hartono" in page


def test_enrolment_fleet_and_figures_know_the_village(kiosk: Kiosk, sido: Kiosk):
    made = kiosk.admin(
        "POST",
        "/admin/enrolments",
        json={"label": "Balai desa Sidomulyo 2", "village_code": SIDOMULYO.code},
    )
    assert made.status_code == 201, made.text
    enrolled = sido.http.post(
        sido.server.url + "/api/v1/enrol", json={"enrolment_token": made.json()["token"]}
    ).json()
    config = sido.http.get(
        sido.server.url + "/api/v1/kiosk/config",
        headers={"Authorization": f"Bearer {enrolled['device_token']}"},
    ).json()
    assert config["village"]["code"] == SIDOMULYO.code
    unknown = kiosk.admin(
        "POST", "/admin/enrolments", json={"label": "Nowhere", "village_code": "99.99"}
    )
    assert error_of(unknown) == (422, "bad_request")
    fleet = {
        k["kiosk_id"]: k["village_code"]
        for k in kiosk.admin("GET", "/admin/fleet").json()["kiosks"]
    }
    assert fleet["KIOSK-SIDO-01"] == fleet[enrolled["kiosk_id"]] == SIDOMULYO.code
    assert fleet["KIOSK-DEMO-01"] == "35.23.01.2001"
    rows = kiosk.admin("GET", "/admin/figures").json()["rows"]
    villages = {(r["village_code"], r["label"]) for r in rows if r["kiosk_id"] is None}
    assert villages == {("35.23.01.2001", "Desa Sumberejo"), (SIDOMULYO.code, "Desa Sidomulyo")}


def test_one_village_closes_its_kiosks_alone(kiosk: Kiosk, sido: Kiosk):
    reason = {"id": "Libur desa", "en": "Village holiday"}
    closed = kiosk.admin(
        "PUT", f"/admin/out-of-service?village={SIDOMULYO.code}", json={"reason": reason}
    )
    assert closed.status_code == 200, closed.text
    assert sido.call("GET", "/kiosk/config").json()["out_of_service"] == reason
    assert kiosk.call("GET", "/kiosk/config").json()["out_of_service"] is None
    assert (
        kiosk.admin("DELETE", f"/admin/out-of-service?village={SIDOMULYO.code}").status_code == 204
    )
    assert sido.call("GET", "/kiosk/config").json()["out_of_service"] is None
    missing = kiosk.admin("PUT", "/admin/out-of-service?village=00.00", json={"reason": reason})
    assert error_of(missing) == (404, "not_found")


def test_a_village_is_added_once_with_known_services(kiosk: Kiosk, sido: Kiosk):
    again = kiosk.admin(
        "POST", "/admin/villages", json={"village": SIDOMULYO.model_dump(), "services": ["SKD"]}
    )
    assert error_of(again) == (409, "invalid_state")
    other = SIDOMULYO.model_copy(update={"code": "35.23.13.2006", "name": "Lain"})
    bad = kiosk.admin(
        "POST", "/admin/villages", json={"village": other.model_dump(), "services": ["KTP"]}
    )
    assert error_of(bad) == (422, "bad_request")
    listed = kiosk.admin("GET", "/admin/villages").json()["villages"]
    assert [v["village"]["code"] for v in listed] == ["35.23.01.2001", SIDOMULYO.code]


def test_closed_kiosks_stay_closed_across_a_restart_and_for_every_worker(tmp_path: Path):
    """The closure is in the database: a restarted server (or another worker process of
    the same server) still tells the kiosks, until the office opens them."""
    reason = {"id": "Perbaikan listrik", "en": "Electrical repairs"}
    state = tmp_path / "state"
    with serving(state) as first:
        office = Kiosk(first)
        assert office.admin("PUT", "/admin/out-of-service", json={"reason": reason}).ok
        office.close()
    with serving(state) as second, serving(state) as beside:
        for running in (second, beside):
            kiosk = Kiosk(running)
            assert kiosk.call("GET", "/kiosk/config").json()["out_of_service"] == reason
            kiosk.close()
        opener = Kiosk(beside)
        assert opener.admin("DELETE", "/admin/out-of-service").status_code == 204
        assert Kiosk(second).call("GET", "/kiosk/config").json()["out_of_service"] is None
        opener.close()
