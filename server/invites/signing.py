"""The server's token-signing secret: a generated file (var/signing.key by default), mode 0600.

Every node of one deployment must read the same key (``PALABRE_SIGNING_KEY_FILE``): a
link issued on one node is checked on whichever node the party reaches.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

logger = logging.getLogger(__name__)


def load_or_create_signing_key(path: Path) -> bytes:
    """Reads the key file, creating it (0600, never wider) on first run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise PermissionError(
                f"{path} is readable by others (mode {mode:o}); run chmod 600 on it"
            ) from None
        key = bytes.fromhex(path.read_text().strip())
        if len(key) < 32:
            raise ValueError(f"{path} holds a key shorter than 32 bytes") from None
        return key
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    logger.warning(
        "generated a new token-signing key at %s (mode 0600); keep it out of backups "
        "shared with the database, and keep it stable: replacing it invalidates every link",
        path,
    )
    return key
