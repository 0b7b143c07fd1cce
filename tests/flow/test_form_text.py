"""Text the letter cannot print is stopped at the form, at its field, before anything is sent."""

from __future__ import annotations

from kiosk.flow import Screen, view_model
from kiosk.flow import effects as fx
from kiosk.flow import events as ev

from .conftest import Driver


def submits(driver: Driver) -> list[fx.Submit]:
    return [effect for effect in driver.effects if isinstance(effect, fx.Submit)]


def test_an_emoji_in_a_field_is_named_at_that_field_and_nothing_is_submitted(driver: Driver):
    driver.identified()
    driver.send(ev.ChooseService("SKD"))
    driver.send(ev.SetField("keperluan", "Melamar kerja 😀"))
    driver.send(ev.Next())
    assert driver.state.screen is Screen.FORM
    assert set(driver.state.field_errors) == {"keperluan"}
    error = driver.state.field_errors["keperluan"]
    assert '"😀" (U+1F600)' in error.id and "Gunakan huruf Latin biasa" in error.id
    assert error.en is not None and "Use plain Latin letters" in error.en
    fields = {f["name"]: f for f in view_model(driver.state, lang="en")["fields"]}
    assert "U+1F600" in fields["keperluan"]["error"]
    assert "cannot be printed on the letter" in fields["keperluan"]["error"]
    driver.send(ev.Confirm())  # not on the confirm screen: nothing to confirm
    assert submits(driver) == []

    # Fixed, with curly quotes and a dash: accepted, and sent as the letter prints it.
    driver.send(ev.SetField("keperluan", "Melamar kerja di “PT Maju” – Tuban"))
    assert driver.state.field_errors == {}
    driver.send(ev.Next())
    assert driver.state.screen is Screen.CONFIRM
    driver.send(ev.Confirm())
    [submit] = submits(driver)
    assert submit.body.fields["keperluan"] == 'Melamar kerja di "PT Maju" - Tuban'


def test_the_confirm_screen_shows_the_text_as_it_will_be_signed(driver: Driver):
    driver.identified()
    driver.send(ev.ChooseService("SKD"))
    driver.send(ev.SetField("keperluan", "  Melamar   kerja “PT Gula”  "))
    driver.send(ev.Next())
    assert driver.state.screen is Screen.CONFIRM
    shown = {row["value"] for row in view_model(driver.state)["summary"]}
    assert 'Melamar kerja "PT Gula"' in shown
