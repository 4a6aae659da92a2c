"""Where the wrapped data keys live: apart from the main database unless chosen otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from records.crypto.keystore import holds_keys
from records.db import Database, is_sqlite
from records.errors import KeyUnavailable
from records.service import open_records
from server.config import ConfigError, load_config
from tests.factories import make_case, make_mediator


def _env(tmp_path: Path, db_url: str, **more: str) -> dict[str, str]:
    return {"PALABRE_VAR_DIR": str(tmp_path / "var"), "PALABRE_DATABASE_URL": db_url, **more}


async def test_keys_default_to_a_store_of_their_own(db: Database, tmp_path: Path) -> None:
    config = load_config(_env(tmp_path, db.url))
    url = config.records.keys_database_url
    assert url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'keys.db'}"  # on PostgreSQL too
    records = await open_records(db, config.records.key_file, keys_url=url)
    try:
        assert records.keys_db is not db
        anne = await make_mediator(db)
        await make_case(db, anne, store=records.cases)  # its description needs a data key
        assert await records.keystore.count_keys() > 0
        assert (tmp_path / "var" / "keys.db").is_file()
        assert not await holds_keys(db)  # no key in the main database, live or deleted
    finally:
        await records.close()


async def test_keeping_keys_in_the_main_database_is_a_choice(db: Database, tmp_path: Path) -> None:
    if is_sqlite(db.url):
        with pytest.raises(ConfigError, match="PostgreSQL only"):
            load_config(_env(tmp_path, db.url, PALABRE_KEYS_IN_MAIN_DATABASE="true"))
        return
    config = load_config(_env(tmp_path, db.url, PALABRE_KEYS_IN_MAIN_DATABASE="true"))
    assert config.records.keys_database_url == db.url
    records = await open_records(
        db, config.records.key_file, keys_url=config.records.keys_database_url
    )
    try:
        assert records.keys_db is db
        anne = await make_mediator(db)
        await make_case(db, anne, store=records.cases)
        assert await holds_keys(db)
    finally:
        await records.close()
    # keys left in the main database are never silently replaced by an empty store
    default = load_config(_env(tmp_path, db.url)).records.keys_database_url
    with pytest.raises(KeyUnavailable, match="PALABRE_KEYS_IN_MAIN_DATABASE"):
        await open_records(db, config.records.key_file, keys_url=default)
    assert await holds_keys(db)
