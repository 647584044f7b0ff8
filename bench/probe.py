"""One request sent with urllib before measuring: a benchmark of error answers is worthless."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from skill.devtools.dialog import ssml_to_text

APOLOGY_MARKERS = ("Sorry", "something went wrong")


class ProbeError(RuntimeError):
    """The app did not give the real answer."""


def check(url: str, body: bytes, headers: Mapping[str, str], expected_speech: str | None) -> str:
    """POST the body; the spoken words, or ProbeError unless 200 with `expected_speech`
    (None: a valid answer that says nothing, as to AudioPlayer requests)."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        raise ProbeError(f"{url} answered HTTP {error.code}: {error.read()[:500]!r}") from None
    except OSError as error:
        raise ProbeError(f"{url} did not answer: {error}") from error
    if status != 200:
        raise ProbeError(f"{url} answered HTTP {status}: {raw[:500]!r}")
    if expected_speech is None:
        try:
            silent = "outputSpeech" not in json.loads(raw)["response"]
        except (ValueError, KeyError, TypeError):
            silent = False
        if not silent:
            raise ProbeError(f"{url} did not answer silently: {raw[:500]!r}")
        return ""
    try:
        answer: Any = json.loads(raw)
        ssml = answer["response"]["outputSpeech"]["ssml"]
    except (ValueError, KeyError, TypeError):
        raise ProbeError(f"{url} answered without speech: {raw[:500]!r}") from None
    speech = ssml_to_text(str(ssml))
    if expected_speech not in speech or any(marker in speech for marker in APOLOGY_MARKERS):
        raise ProbeError(f"{url} said {speech!r}, expected {expected_speech!r}")
    return speech
