"""Letters on disk: private, written whole or not at all, swept."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.storage import LetterFiles

PDF = b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n"


def test_a_letter_is_stored_privately_and_read_back(tmp_path: Path) -> None:
    letters = LetterFiles(tmp_path / "letters")
    path = letters.put("req-1", PDF)
    assert letters.get("req-1") == PDF and letters.has("req-1")
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "letters").stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in (tmp_path / "letters").iterdir()) == ["req-1.pdf"]  # no temp
    assert letters.get("req-2") is None


def test_a_letter_is_replaced_whole(tmp_path: Path) -> None:
    letters = LetterFiles(tmp_path)
    letters.put("req-1", PDF)
    letters.put("req-1", PDF.replace(b"x", b"y"))
    assert letters.get("req-1") == PDF.replace(b"x", b"y")
    assert letters.request_ids() == {"req-1"}


def test_a_failed_write_leaves_the_old_letter_and_no_temporary_file(tmp_path: Path) -> None:
    letters = LetterFiles(tmp_path)
    letters.put("req-1", PDF)
    with pytest.raises(TypeError):
        letters.put("req-1", "not bytes")  # type: ignore[arg-type]
    assert letters.get("req-1") == PDF
    assert [p.name for p in tmp_path.iterdir()] == ["req-1.pdf"]


@pytest.mark.parametrize("bad", ["", "../escape", "a/b", ".hidden", "x" * 200, "req 1"])
def test_request_ids_that_are_not_plain_names_are_refused(tmp_path: Path, bad: str) -> None:
    letters = LetterFiles(tmp_path / "letters")
    with pytest.raises(ValueError, match="file name"):
        letters.put(bad, PDF)
    assert not (tmp_path / "escape.pdf").exists()


def test_remove_and_sweep(tmp_path: Path) -> None:
    letters = LetterFiles(tmp_path)
    for request_id in ("req-1", "req-2", "req-3"):
        letters.put(request_id, PDF)
    (tmp_path / ".req-4.pdf.0123.tmp").write_bytes(b"%PDF-half")  # a crash mid-write
    (tmp_path / "notes.txt").write_text("a technician's file")
    assert letters.remove("req-1") is True
    assert letters.remove("req-1") is False
    assert letters.sweep(keep={"req-2"}) == 2  # req-3 and the leftover temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "req-2.pdf"]
    assert letters.get("req-4") is None
