"""The technician audit log: one JSON line per action; never a PIN, a NIK or a card UID."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from kiosk.technician.audit import AuditLog, audit_path

NIK = "3523014708900001"
UID = "04A3B2C1D0E1F2"


def test_each_action_is_one_json_line_with_time_action_outcome_details(tmp_path: Path):
    audit = AuditLog(tmp_path, clock=lambda: 1_800_000_000.0)
    audit.record("enter", "ok")
    audit.record("test_print", "ok", role="receipt_printer", took_ms=812)
    lines = audit_path(tmp_path).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"time": "2027-01-15T08:00:00+00:00", "action": "enter", "outcome": "ok", "details": {}},
        {
            "time": "2027-01-15T08:00:00+00:00",
            "action": "test_print",
            "outcome": "ok",
            "details": {"role": "receipt_printer", "took_ms": 812},
        },
    ]
    assert audit_path(tmp_path) == tmp_path / "logs" / "technician-audit.log"
    assert stat.S_IMODE(audit_path(tmp_path).stat().st_mode) == 0o600


def test_no_pin_nik_or_uid_reaches_the_file(tmp_path: Path):
    audit = AuditLog(tmp_path)
    audit.record("pin", "wrong", pin="13579246", tries_left=4)
    audit.record("card_read", "ok", summary=f"card read: {UID}", uid=UID)
    audit.record("outbox_view", "error", error=f"request of NIK {NIK} refused")
    audit.record("devices", "fault", faults=[f"card_reader: saw {UID}"], nested={"nik": NIK})
    text = audit_path(tmp_path).read_text(encoding="utf-8")
    for secret in ("13579246", NIK, UID):
        assert secret not in text
    entries = audit.entries()
    assert entries[0]["details"] == {"pin": "[withheld]", "tries_left": 4}
    assert "3523••••••••0001" in entries[2]["details"]["error"]


def test_an_unwritable_log_is_said_in_the_kiosk_log_and_does_not_stop_the_technician(
    tmp_path: Path, caplog
):
    (tmp_path / "logs").write_text("a file where the folder should be")
    entry = AuditLog(tmp_path).record("enter", "ok")
    assert entry["action"] == "enter"
    assert "not written" in caplog.text


def test_a_full_log_moves_aside_and_a_new_one_starts(tmp_path: Path, monkeypatch):
    from kiosk.technician import audit as audit_module

    monkeypatch.setattr(audit_module, "MAX_BYTES", 400)
    audit = AuditLog(tmp_path)
    for n in range(10):
        audit.record("devices", "ok", n=n)
    older = audit_path(tmp_path).with_name("technician-audit.log.1")
    assert older.exists()
    assert audit.entries()[-1]["details"] == {"n": 9}
    assert audit_path(tmp_path).stat().st_size <= 400
