"""The virtual e-KTP's console (`python -m drivers.sim.virtual_card`, for the demo) drives
a real reader, and a card with no vpcd to go to says so."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from cardreader.base import CardPresented, CardRemoved
from drivers.sim.virtual_card import VirtualCard, VirtualCardError, parse_uid
from tests.harness import REPO, free_port
from tests.pcsc.conftest import SITI_UID, WAIT_S


def test_the_console_inserts_and_removes_the_card(make_reader, running_pcscd):
    _, recorder = make_reader()
    console = subprocess.Popen(
        [sys.executable, "-m", "drivers.sim.virtual_card", "--port", str(running_pcscd.port)],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        assert console.stdin is not None
        console.stdin.write("insert 5a:3c:9e:01\n")
        console.stdin.flush()
        assert recorder.next_card(0) == CardPresented("5A3C9E01", uid_is_random=False)
        console.stdin.write("remove\n")
        console.stdin.flush()
        assert recorder.next_card(1) == CardRemoved()
        console.stdin.write("insert random\n")
        console.stdin.flush()
        random = recorder.next_card(2)
        assert random.uid_is_random and random.uid.startswith("08")
        output, _ = console.communicate("status\nquit\n", timeout=WAIT_S)
    finally:
        if console.poll() is None:
            console.kill()
            console.wait()
    assert console.returncode == 0
    assert "inserted (normal)" in output and "removed" in output
    assert "inserted (random_uid)" in output and "on the reader, mode random_uid" in output


def test_a_card_without_vpcd_says_where_it_looked():
    port = free_port()
    with VirtualCard(port=port) as card, pytest.raises(VirtualCardError, match=f"{port}"):
        card.insert()
    assert not card.inserted


def test_card_uids_are_checked():
    assert parse_uid("04 a3 b2 c1 d0 e1 f2") == SITI_UID
    with pytest.raises(VirtualCardError, match="4, 7 or 10 bytes"):
        parse_uid("04A3B2")
    with pytest.raises(VirtualCardError, match="not a hex card UID"):
        VirtualCard(uid="not-a-uid")


def test_lifting_a_slow_card_ends_its_thread_at_once(running_pcscd):
    with VirtualCard(port=running_pcscd.port, mode="slow", delay_s=30) as card:
        card.insert()
        time.sleep(0.2)
        started = time.monotonic()
        card.remove()
        assert not card.inserted
        assert time.monotonic() - started < 1.0
