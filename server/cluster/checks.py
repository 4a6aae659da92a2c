"""What several nodes must share, checked before a node serves.

With ``PALABRE_REDIS_URL`` set, this node is one of several: they must share the
database (PostgreSQL, not a SQLite file of each node's own) and the wrapped data keys
(``PALABRE_KEYS_DATABASE_URL`` on a shared PostgreSQL, or
``PALABRE_KEYS_IN_MAIN_DATABASE``). Otherwise each node would be a service of its own
behind one address: a case created on one node missing on the next, a document
encrypted with a key the other nodes do not have. The node refuses to start rather
than warn: such a mistake loses data silently, and a warning in one node's log among
several is easily missed. The master key file (``PALABRE_KEY_FILE``) and the link-
signing key (``signing.key`` in ``PALABRE_VAR_DIR``) must be the same files on every
node; the database cannot tell, so the README says so.
"""

from __future__ import annotations

from records.db import is_sqlite
from server.config import Config, ConfigError


def check_cluster(config: Config) -> None:
    """Raises ConfigError if ``config`` is a node among several that shares too little."""
    if config.redis_url is None:
        return
    if is_sqlite(config.database_url):
        raise ConfigError(
            "PALABRE_REDIS_URL makes this node one of several: they need one shared "
            "PostgreSQL database (PALABRE_DATABASE_URL), not a SQLite file each"
        )
    if is_sqlite(config.records.keys_database_url):
        raise ConfigError(
            "PALABRE_REDIS_URL makes this node one of several: the wrapped data keys must "
            "be shared too (PALABRE_KEYS_DATABASE_URL on PostgreSQL, or "
            "PALABRE_KEYS_IN_MAIN_DATABASE=true)"
        )
