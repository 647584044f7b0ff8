"""gunicorn settings for both benchmarked apps: the worker hook production uses.

Production's settings module (skill.production) would import the whole skill into the
bare skill's workers as well; this one has only what the comparison needs, the same for both:
each worker moves the app it built out of the garbage collector's scans, as
`skill.production.post_worker_init` does in production.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """The worker has built its app: keep the collector off what lives as long as it."""
    gc.freeze()
