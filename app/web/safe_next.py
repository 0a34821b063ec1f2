"""Where a login may send a person afterwards: same-site paths only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A path of printable ASCII that starts with exactly one slash: no scheme, no host, no
# backslash, no whitespace or control characters a browser might strip or reinterpret.
_SAFE_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]*")


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a same-site path, else ``default``."""
    if not target or not _SAFE_PATH.fullmatch(target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
