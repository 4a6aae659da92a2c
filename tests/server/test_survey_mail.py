"""The questionnaire by e-mail, on a real app, real sockets and a real SMTP server
(aiosmtpd), on SQLite and PostgreSQL: when the mediator ends the session, each party who
took part and has an address gets one message in the language of their invitation (not
counsel, not observers, not mediators), its link draws the party's one ballot (the same
one as their personal link's), and ending again, from another handler or after a restart,
queues nothing more. The end is stored before anyone is told: a party told
"session:ended" gets their ballot at the first try, even with a slow database."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import ClientSession, CookieJar
from sqlalchemy import select

from records.models import MailRow, SurveyAnswerRow, SurveyBallotRow, SurveyIssuedRow
from records.rights.subjects import erase_subject
from records.stores.cases import NewParticipant, ParticipantRole
from records.stores.outbox import MailContents, NewMail
from server.invites.survey_links import AUDIENCE, SurveyLinks
from server.realtime import NAMESPACE_KEY
from server.security import CSRF_COOKIE, CSRF_HEADER
from server.survey_mail import SurveyMail
from tests.dbfaults import inserts_refused
from tests.signaling.world import Client, World, consent, key, mediator, restarted, until, world_on
from tests.smtp import MailServer, env

URL = re.compile(r"(https?://\S+/survey\?lang=(\w\w)#([A-Za-z0-9_.-]+))")
ANSWER = {"heard": 5, "understood": 4, "tool_worked": 4, "recommend": "yes", "comment": ""}


@pytest.fixture
async def smtp() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def world(tmp_path: Path, db_url: str, smtp: MailServer) -> AsyncIterator[World]:
    async with world_on(tmp_path, db_url, **env(smtp)) as made:
        yield made


@pytest.fixture
async def make() -> AsyncIterator[Callable[[], Client]]:
    made: list[Client] = []

    def new() -> Client:
        c = Client()
        made.append(c)
        return c

    yield new
    for c in made:
        if c.sio.connected:
            await c.close()


async def _person(world: World, name: str, role: ParticipantRole, email: str) -> World:
    """Another participant with an address, their link for the session; the world again."""
    svc, anne_id = world.svc, world.case.mediators[0].id
    person = await svc.cases.add_participant(
        world.case.id, anne_id, NewParticipant(name, role, email)
    )
    link = await svc.links.issue(world.session.id, person.id, anne_id)
    world.tokens[name] = svc.links.url_for(link).split("#", 1)[1]
    world.case = await svc.cases.get_case(world.case.id, anne_id)
    return world


async def _invited_in_english(world: World, name: str) -> None:
    """What the invitation route stores for an English invitation (its language is what
    the questionnaire's e-mail follows)."""
    person = next(p for p in world.case.participants if p.display_name == name)
    assert person.email is not None
    await world.svc.records.outbox.create_mail(
        NewMail(
            case_id=world.case.id, session_id=world.session.id, participant_id=person.id,
            kind="invitation", language="en", message_id="<inv@palabre.test>",
            contents=MailContents(person.email, "Invitation", "text", "<p>html</p>"),
        ),
        datetime.now(UTC), actor="mediator:x", via="test",
    )  # fmt: skip
    assert world.svc.mail is not None
    world.svc.mail.wake()


async def _in_room(world: World, make: Callable[[], Client], anne: Client, name: str) -> Client:
    await consent(world, name)
    c = make()
    await c.connect(world, {"token": world.tokens[name]})
    await until(lambda: bool(c.seen("session:hello")))
    assert (await c.call("lobby:knock", {}))["ok"]
    assert (await anne.call("lobby:admit", {"key": key(world, name)}))["ok"], name
    await until(lambda: any(v.get("room_id") == "plenary" for v in c.seen("room:view")))
    return c


async def _post(world: World, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """A POST as a page of the site makes it (the CSRF cookie echoed in its header)."""
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        await http.get(f"{world.url}/healthz")
        csrf = {c.key: c.value for c in http.cookie_jar}.get(CSRF_COOKIE, "")
        async with http.post(f"{world.url}{path}", json=body, headers={CSRF_HEADER: csrf}) as r:
            return r.status, None if r.status == 204 else await r.json()


async def _ballot(world: World, body: dict[str, Any]) -> tuple[int, Any]:
    return await _post(world, "/api/survey/ballot", body)


async def _answer(world: World, ballot: str) -> int:
    return (await _post(world, "/api/survey/answers", {"ballot": ballot, **ANSWER}))[0]


async def _survey_rows(world: World) -> list[MailRow]:
    async with world.svc.db.transaction() as s:
        return list(await s.scalars(select(MailRow).where(MailRow.kind == "survey")))


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def test_the_end_mails_each_party_their_questionnaire_once_and_it_draws_their_ballot(
    world: World, make: Callable[[], Client], smtp: MailServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    world = await _person(world, "Lena Weber", ParticipantRole.PARTY, "lena@example.org")
    world = await _person(world, "Oscar Obs", ParticipantRole.OBSERVER, "oscar@example.org")
    await _invited_in_english(world, "Lena Weber")
    await smtp.wait_for(1)  # the invitation went
    anne = await mediator(world, make)
    names = ["Jeanne Dupont", "Marc Durand", "Me Paul Girard", "Lena Weber", "Oscar Obs"]
    people = {name: await _in_room(world, make, anne, name) for name in names}

    # a slow database: storing the end takes a while; nobody may hear of it before
    hub = world.server.app[NAMESPACE_KEY].hub
    roster = hub.ports.roster
    store_end = roster.end_session

    async def slow_end(session_id: str, took_part: Collection[str]) -> None:
        await asyncio.sleep(0.3)
        await store_end(session_id, took_part)

    monkeypatch.setattr(roster, "end_session", slow_end)
    first: list[tuple[int, dict[str, Any]]] = []
    drawn = asyncio.get_running_loop().create_future()

    async def on_ended(_data: Any = None) -> None:  # the end page asks at once
        first.append(await _ballot(world, {"token": world.tokens["Jeanne Dupont"]}))
        drawn.set_result(None)

    people["Jeanne Dupont"].sio.on("session:ended", on_ended, namespace="/session")
    ending = asyncio.create_task(anne.call("session:end", {}))
    await asyncio.wait_for(drawn, 5)
    assert first[0][0] == 201, first  # granted at the first try
    assert (await ending)["ok"]
    for name in names[1:]:  # Jeanne's own handler took hers
        await until(lambda name=name: bool(people[name].seen("session:ended")))

    received = await smtp.wait_for(3)
    rows = await _survey_rows(world)
    by_person = {p.id: p.display_name for p in world.case.participants}
    assert sorted(by_person[r.participant_id] for r in rows) == ["Jeanne Dupont", "Lena Weber"]
    await until(lambda: len(smtp.received) >= 3)
    surveys = [m for m in received if "/survey?" in _text(m)]
    assert sorted(str(m["To"]) for m in surveys) == ["jeanne@example.org", "lena@example.org"]
    mails = {str(m["To"]): m for m in surveys}
    fr, en = mails["jeanne@example.org"], mails["lena@example.org"]
    assert str(fr["Subject"]) == "Votre avis sur le déroulement de la médiation"
    assert str(en["Subject"]) == "Your view of the mediation process"
    for m in surveys:  # nothing confidential, and no personal link, in the message
        for secret in (world.case.title, world.case.public_title, "Marc", "Girard"):
            assert secret not in str(m["Subject"]) and secret not in _text(m)
        assert "/join" not in _text(m) and "/room" not in _text(m)
    (url_fr, lang_fr, token_fr), (_, lang_en, token_en) = (
        URL.findall(_text(fr))[0], URL.findall(_text(en))[0],
    )  # fmt: skip
    assert (lang_fr, lang_en) == ("fr", "en")
    assert url_fr.startswith(world.svc.config.http.public_url)
    assert "Bonjour Jeanne Dupont" in _text(fr) and "Hello Lena Weber" in _text(en)

    # Jeanne drew her ballot on the end page: the e-mail's link does not give a second one
    status, body = await _ballot(world, {"survey": token_fr})
    assert status == 409 and "already" in body["error"]["message"]
    # Lena answers from the e-mail, then her end page has nothing more for her
    status, body = await _ballot(world, {"survey": token_en})
    assert status == 201, body
    assert await _answer(world, body["ballot"]) == 204
    status, body = await _ballot(world, {"token": world.tokens["Lena Weber"]})
    assert status == 409 and "already" in body["error"]["message"]

    # the same end told again (another node's handler, twice at once), then after a restart
    took_part = [key(world, n) for n in names]
    follow_up = hub.ports.follow_up
    assert follow_up is not None
    await asyncio.gather(*(follow_up.session_ended(world.session.id, took_part) for _ in "ab"))
    async with restarted(world, tmp_path) as again:
        other = again.server.app[NAMESPACE_KEY].hub.ports.follow_up
        await other.session_ended(world.session.id, took_part)
    assert len(await _survey_rows(world)) == 2
    assert len(smtp.received) == 3

    # nothing in the survey's tables names the mail, the link or the person
    async with world.svc.db.transaction() as s:
        answers = list(await s.scalars(select(SurveyAnswerRow)))
        ballots = list(await s.scalars(select(SurveyBallotRow)))
        issued = set(await s.scalars(select(SurveyIssuedRow.link_id)))
    assert len(answers) == 1 and len(ballots) == 1 and len(issued) == 2
    stored = repr([vars(a) for a in answers]) + repr([vars(b) for b in ballots])
    for row in rows:
        for value in (row.id, row.participant_id, row.message_id):
            assert value not in stored


async def test_questionnaires_not_queued_at_the_end_are_caught_up_after_a_restart(
    world: World, make: Callable[[], Client], smtp: MailServer, tmp_path: Path
) -> None:
    anne = await mediator(world, make)
    for name in ("Jeanne Dupont", "Marc Durand"):
        await _in_room(world, make, anne, name)
    schedule = world.svc.schedule
    # the database refuses the messages as the session ends: the end is stored, who took
    # part with it, and what follows fails (as if the node had stopped there)
    async with inserts_refused(world.svc.db, "mail_outbox"):
        assert (await anne.call("session:end", {}))["ok"]
        following = [t for t in asyncio.all_tasks() if t.get_name() == "live-hub-follow-up"]
        await asyncio.gather(*following)
    assert await _survey_rows(world) == []
    [(session_id, took_part)] = await schedule.follow_ups_due()
    assert session_id == world.session.id
    parties = sorted(k for k in took_part if k.startswith("p-"))  # the mediator took part too
    assert parties == sorted(key(world, n) for n in ("Jeanne Dupont", "Marc Durand"))

    async with restarted(world, tmp_path) as again:
        follow_up = again.server.app[NAMESPACE_KEY].hub.ports.follow_up
        assert isinstance(follow_up, SurveyMail)
        assert await follow_up.catch_up() == 1
        assert await follow_up.catch_up() == 0  # done: said so with the end
    rows = await _survey_rows(world)
    by_person = {p.id: p.display_name for p in world.case.participants}
    assert [by_person[r.participant_id] for r in rows] == ["Jeanne Dupont"]  # Marc: no address
    assert await schedule.follow_ups_due() == []


async def test_a_party_removed_from_the_session_is_not_sent_the_questionnaire(
    world: World, make: Callable[[], Client]
) -> None:
    world = await _person(world, "Lena Weber", ParticipantRole.PARTY, "lena@example.org")
    anne = await mediator(world, make)
    lena = await _in_room(world, make, anne, "Lena Weber")
    await _in_room(world, make, anne, "Jeanne Dupont")
    assert (await anne.call("participant:remove", {"key": key(world, "Lena Weber")}))["ok"]
    await until(lambda: not lena.sio.connected)
    lena_id = next(p.id for p in world.case.participants if p.display_name == "Lena Weber")
    link = await world.svc.schedule.current_link(world.session.id, lena_id)
    assert link is not None and link.revoked_at is not None
    assert (await anne.call("session:end", {}))["ok"]
    following = [t for t in asyncio.all_tasks() if t.get_name() == "live-hub-follow-up"]
    await asyncio.gather(*following)
    by_person = {p.id: p.display_name for p in world.case.participants}
    assert [by_person[r.participant_id] for r in await _survey_rows(world)] == ["Jeanne Dupont"]
    # nor does her withdrawn personal link open a ballot (her end page offers none either)
    status, body = await _ballot(world, {"token": world.tokens["Lena Weber"]})
    assert (status, body["error"]["code"]) == (410, "link_revoked")


async def test_a_forged_expired_or_misdirected_questionnaire_link_is_refused(
    world: World,
) -> None:
    svc = world.svc
    assert svc.surveys is not None
    jeanne = next(p for p in world.case.participants if p.display_name == "Jeanne Dupont")
    girard = next(p for p in world.case.participants if p.display_name == "Me Paul Girard")
    links = {
        p.id: await svc.schedule.current_link(world.session.id, p.id) for p in (jeanne, girard)
    }
    jeanne_link, girard_link = links[jeanne.id], links[girard.id]
    assert jeanne_link is not None and girard_link is not None
    now = datetime.now(UTC)
    good = svc.surveys.mint(jeanne_link.jti, now)

    status, body = await _ballot(world, {"survey": good})
    assert status == 409 and body["error"]["code"] == "conflict"  # not ended yet
    await svc.schedule.set_status(world.session.id, "ended")

    forged = SurveyLinks(b"k" * 32, svc.schedule, "http://x").mint(jeanne_link.jti, now)
    expired = svc.surveys.mint(jeanne_link.jti, now - timedelta(days=31))
    join_token = world.tokens["Jeanne Dupont"]  # a personal link is not a questionnaire link
    claims = jwt.decode(good, options={"verify_signature": False})
    other_purpose = jwt.encode(
        {**claims, "purpose": "join"}, b"k" * 32, algorithm="HS256"
    )  # signed elsewhere anyway
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"survey": forged}, 401, "link_invalid"),
        ({"survey": "not.a.token"}, 401, "link_invalid"),
        ({"survey": join_token}, 401, "link_invalid"),
        ({"survey": other_purpose}, 401, "link_invalid"),
        ({"survey": expired}, 410, "link_expired"),
        ({"survey": svc.surveys.mint(girard_link.jti, now)}, 403, "forbidden"),
        ({"survey": good, "token": join_token}, 400, "validation_error"),
        ({}, 400, "validation_error"),
    ]
    for body_in, code, error in cases:
        status, body = await _ballot(world, body_in)
        assert (status, body["error"]["code"]) == (code, error), (body_in, body)
    assert claims["aud"] == AUDIENCE and claims["lnk"] == jeanne_link.jti
    status, body = await _ballot(world, {"survey": good})
    assert status == 201, body  # nothing above spent it

    # erased: her links went with her data, and so did the questionnaire's
    await erase_subject(svc.records, jeanne.id, actor="mediator:x", via="test")
    status, body = await _ballot(world, {"survey": good})
    assert (status, body["error"]["code"]) == (410, "link_expired")
    async with svc.db.transaction() as s:
        assert list(await s.scalars(select(SurveyIssuedRow.link_id))) == []
