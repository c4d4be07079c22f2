"""Fixtures of the core tests.

``user_message(case, text)`` records the message a user saw for a bad input. With
``MOLGDL_RECORD_MESSAGES=<file.json>`` set, the recorded messages (temporary paths replaced by ``<tmp>``)
are written to that file at the end of the session: this is how the table of docs/bad_inputs.md is refreshed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

_MESSAGES: dict[str, str] = {}


@pytest.fixture
def user_message(tmp_path):
    def record(case: str, text: str) -> str:
        cleaned = text.replace(str(tmp_path), "<tmp>").strip()
        _MESSAGES[case] = cleaned
        return text

    return record


def pytest_sessionfinish(session, exitstatus):
    target = os.environ.get("MOLGDL_RECORD_MESSAGES")
    if target and _MESSAGES:
        Path(target).write_text(json.dumps(_MESSAGES, indent=2, sort_keys=True))
