"""Opens the records services on a database: key store, key provider, logs, case file.

The key file must exist once the key database holds a wrapped key: a missing
file is then a ``KeyUnavailable`` error, never a silently generated new key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from records.agreements.signing import SigningStore
from records.agreements.templates import TextTemplates
from records.crypto.keys import FileKeyProvider, KeyProvider
from records.crypto.keystore import KeyStore, default_keys_url, holds_keys
from records.db import Database, is_sqlite
from records.errors import CryptoError, KeyUnavailable
from records.logs.audit import AuditLog
from records.logs.consent import ConsentLog
from records.models import utcnow
from records.stores.addresses import ParticipantAddresses
from records.stores.agenda import AgendaStore
from records.stores.casefile import CaseFile, Clock
from records.stores.cases import CaseStore
from records.stores.journal import BoardJournal
from records.stores.live import LiveStates
from records.stores.notices import NoticeTexts
from records.stores.outbox import Outbox
from records.stores.outcomes import OutcomeStore
from records.stores.requests import RequestStore
from records.stores.shares import DocumentShares
from records.stores.survey import SurveyStore
from records.stores.text_journal import TextJournal

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Records:
    db: Database
    keys_db: Database
    keystore: KeyStore
    keys: KeyProvider
    audit: AuditLog
    consent: ConsentLog
    notices: NoticeTexts
    casefile: CaseFile
    cases: CaseStore
    clock: Clock
    outcomes: OutcomeStore
    journal: BoardJournal
    shares: DocumentShares
    live: LiveStates
    outbox: Outbox
    survey: SurveyStore
    agenda: AgendaStore
    templates: TextTemplates  # the organisation's agreement texts
    requests: RequestStore
    texts: TextJournal
    signing: SigningStore  # texts frozen for signing, their signers and signatures

    async def close(self) -> None:
        self.journal.close()
        self.texts.close()
        if self.keys_db is not self.db:
            await self.keys_db.close()


async def open_key_provider(key_file: Path, keystore: KeyStore) -> FileKeyProvider:
    must_exist = await keystore.count_keys() > 0
    try:
        return FileKeyProvider(key_file, must_exist=must_exist)
    except CryptoError as exc:
        raise KeyUnavailable(str(exc)) from None


async def open_records(
    db: Database,
    key_file: Path,
    *,
    keys_url: str | None = None,
    keys: KeyProvider | None = None,
    organisation_id: str = "palabre",
    clock: Clock = utcnow,
    seed: bool = True,
) -> Records:
    """Build every records service on ``db`` (already migrated)."""
    url = keys_url or default_keys_url(db.url, key_file.parent)
    if url != db.url and is_sqlite(url):
        Path(url.partition(":///")[2]).parent.mkdir(parents=True, exist_ok=True)
    keys_db = db if url == db.url else Database(url)
    keystore = KeyStore(keys_db)
    try:
        await keystore.ensure_schema()
        if keys_db is not db and await keystore.count_keys() == 0 and await holds_keys(db):
            raise KeyUnavailable(
                "the wrapped data keys are in the main database, not in the key store "
                "configured: set PALABRE_KEYS_IN_MAIN_DATABASE=true to keep them there, "
                "or PALABRE_KEYS_DATABASE_URL to where they are"
            )
        provider = keys if keys is not None else await open_key_provider(key_file, keystore)
    except BaseException:
        if keys_db is not db:
            await keys_db.close()
        raise
    audit = AuditLog(db, provider, clock=clock)
    casefile = CaseFile(db, keystore, provider, audit, organisation_id=organisation_id, clock=clock)
    notices = NoticeTexts(db)
    consent = ConsentLog(db, provider, keystore, organisation_id=organisation_id, clock=clock)
    addresses = ParticipantAddresses(db, keystore, provider, organisation_id=organisation_id)
    cases = CaseStore(db, casefile, addresses)
    records = Records(
        db=db, keys_db=keys_db, keystore=keystore, keys=provider, audit=audit,
        consent=consent, notices=notices, casefile=casefile, cases=cases, clock=clock,
        outcomes=OutcomeStore(db, casefile),
        journal=BoardJournal(db, keystore, provider, organisation_id=organisation_id),
        shares=DocumentShares(db, keystore, provider, organisation_id=organisation_id),
        live=LiveStates(db, keystore, provider, organisation_id=organisation_id),
        outbox=Outbox(db, keystore, provider, audit, organisation_id=organisation_id),
        survey=SurveyStore(db),
        agenda=AgendaStore(db, audit),
        templates=TextTemplates(db),
        requests=RequestStore(
            db, keystore, provider, audit, consent, cases, organisation_id=organisation_id
        ),
        texts=TextJournal(db, keystore, provider, organisation_id=organisation_id),
        signing=SigningStore(db, keystore, provider, audit, organisation_id=organisation_id,
                             clock=clock),
    )  # fmt: skip
    if seed:
        await notices.seed_defaults()
        await casefile.encrypt_legacy_descriptions()
        await records.consent.seal_legacy(audit)
        await addresses.seal_legacy()  # addresses stored in clear before 0018
    return records
