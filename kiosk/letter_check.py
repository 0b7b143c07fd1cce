"""The letter check before printing, run in a short-lived child process.

pyHanko, with aiohttp, lxml and the rest it imports, costs about 27 MiB that would stay in
the kiosk's process for good, against a 130 MiB budget; and the check parses bytes that
came over the network. So the kiosk checks the SHA-256 itself (cheap) and hands the
signature check to `python -m apm_api.signature` with a time and a memory limit: a hostile
PDF can at worst kill the child, and the letter is then refused like any other that fails.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Sequence

from apm_api.signature import LetterProblem, SignatureCheck, check_from_json, sha256_hex

log = logging.getLogger(__name__)

TIMEOUT_S = 60.0
MEMORY_LIMIT_BYTES = 1 << 30  # address space; pyHanko checking a letter needs about 200 MiB


def check_letter(
    pdf: bytes,
    expected_sha256: str,
    trust_roots_pem: Sequence[bytes],
    *,
    timeout_s: float = TIMEOUT_S,
) -> SignatureCheck:
    """As apm_api.signature.check_letter, the signature part in a child process."""
    if sha256_hex(pdf) != expected_sha256.lower():
        return _failed(LetterProblem.HASH_MISMATCH, "SHA-256 differs from the backend's value")
    header = json.dumps({"anchors": [a.decode("ascii", "replace") for a in trust_roots_pem]})
    try:
        done = subprocess.run(
            # The child limits its own memory (a preexec_fn is unsafe in a threaded parent).
            [sys.executable, "-m", "apm_api.signature", "--max-memory", str(MEMORY_LIMIT_BYTES)],
            input=header.encode() + b"\n" + pdf,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _failed(LetterProblem.CHECK_FAILED, f"the check took longer than {timeout_s:.0f} s")
    except OSError as exc:
        return _failed(LetterProblem.CHECK_FAILED, f"the check could not start: {exc.strerror}")
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return _failed(
            LetterProblem.CHECK_FAILED, f"the check ended with {done.returncode}: {last[0][:200]}"
        )
    try:
        return check_from_json(done.stdout.decode("utf-8"))
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        return _failed(LetterProblem.CHECK_FAILED, f"the check answered garbage: {exc}")


def _failed(problem: LetterProblem, summary: str) -> SignatureCheck:
    return SignatureCheck(False, False, False, "", summary, problem)
