"""The village office closes its kiosks for a while: the attract screen says why and where
to go, nobody can start, and a citizen already at the kiosk finishes."""

from __future__ import annotations

import logging

import pytest

from apm_api.models import Text
from kiosk.flow import Screen, view_model
from kiosk.flow import events as ev

from .conftest import SITI_UID, Driver, catalogue, kiosk_config

HOLIDAY = Text(id="Kantor desa libur Idulfitri.", en="The village office is closed for Eid.")


def closed(driver: Driver, reason: Text = HOLIDAY) -> Driver:
    config = kiosk_config().model_copy(update={"out_of_service": reason, "support_phone": "0356-1"})
    driver.send(ev.KioskLoaded(config, catalogue()))
    return driver


@pytest.mark.parametrize(
    "event",
    [
        ev.Start(),
        ev.CardPresented(SITI_UID),
        ev.OpenPickup(),
        ev.PickupCodeScanned("123456789012"),
        ev.IdentityRead(nik="3523014708900001", fingerprint="matched", reader="sim"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_closed_kiosk_takes_nobody(driver: Driver, event):
    closed(driver)
    assert driver.send(event) == []
    assert driver.state.screen is Screen.ATTRACT


def test_the_attract_screen_says_why_and_where_to_go(driver: Driver):
    closed(driver)
    shown = view_model(driver.state)["outOfService"]
    assert shown == {
        "title": "Kios sedang tidak melayani",
        "reason": "Kantor desa libur Idulfitri.",
        "advice": "Silakan datang ke kantor desa pada jam pelayanan.",
        "phone": "Informasi: 0356-1",
    }
    assert view_model(driver.state, lang="en")["outOfService"]["reason"] == (
        "The village office is closed for Eid."
    )


def test_opened_again_the_kiosk_serves(driver: Driver):
    closed(driver)
    driver.loaded()  # the next configuration has no reason any more
    assert view_model(driver.state)["outOfService"] is None
    driver.send(ev.CardPresented(SITI_UID))
    assert driver.state.screen is Screen.IDENTIFYING


def test_a_citizen_already_in_a_session_finishes(driver: Driver):
    driver.identified()
    assert driver.state.screen is Screen.SERVICES
    closed(driver)  # the configuration reloads while Siti chooses
    driver.send(ev.ChooseService("SKD"))
    assert driver.state.screen is Screen.FORM


def test_the_logo_is_shown_only_when_it_is_a_small_png(driver: Driver, caplog):
    from apm_server import demo_data

    good = kiosk_config().model_copy(update={"logo_png": demo_data.logo_png()})
    driver.send(ev.KioskLoaded(good, catalogue()))
    assert view_model(driver.state)["logo"].startswith("data:image/png;base64,iVBOR")
    bad = kiosk_config().model_copy(update={"logo_png": "bm90IGEgcG5n"})  # "not a png"
    with caplog.at_level(logging.WARNING):
        driver.send(ev.KioskLoaded(bad, catalogue()))
        assert view_model(driver.state)["logo"] == ""
    assert "village logo not shown: the logo is not a PNG image" in caplog.text
    assert driver.state.ready  # a bad logo is no reason to refuse the configuration
