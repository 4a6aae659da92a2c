"""The satisfaction survey: a party's ballot and answer, and its k-anonymous results.

A party (not counsel, not an observer) whose session has ended asks for a ballot with
their personal link, or with the questionnaire's own link sent by e-mail
(:mod:`server.invites.survey_links`): once per personal link either way
(:mod:`records.stores.survey` keeps the ballot apart from the link), then answers with
the ballot alone. The results are the organisation's (an answer names no case, so it
cannot be counted as one mediator's), counted only through the practice statistics' k-anonymity rule
(:func:`records.anonymise.stats.values_table`); the free-text comments are listed only
when the selection holds at least ``k`` answers, in alphabetical order.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StringConstraints, model_validator

from errors import ErrorCode
from records.anonymise.stats import DEFAULT_K, values_table
from records.stores.cases import MediationType, ParticipantRole
from records.stores.survey import MAX_COMMENT, StoredAnswer, SurveyAnswer
from server.context import require_mediator, services
from server.errors import ApiError
from server.rest.api import Api, Out, Query, Strict, reply
from server.rest.fields import STRIP, TEXT, Token

MIN_K = 2
MAX_K = 100
Scale = Annotated[int, Field(ge=1, le=5)]
BallotToken = Annotated[str, StringConstraints(min_length=20, max_length=100,
                                               pattern=r"^[A-Za-z0-9_-]+$")]  # fmt: skip
Comment = Annotated[str, StringConstraints(max_length=MAX_COMMENT, pattern=TEXT), STRIP]
QUESTIONS = ("heard", "understood", "tool_worked", "recommend")


class BallotIn(Strict):
    """Exactly one of the two: the personal link (the end page) or the questionnaire's own
    link (the e-mail); either way once per personal link."""

    token: Token | None = Field(default=None, description="The party's personal link")
    survey: Token | None = Field(
        default=None, description="The questionnaire's link, from the e-mail after the session"
    )

    @model_validator(mode="after")
    def _one_credential(self) -> BallotIn:
        if (self.token is None) == (self.survey is None):
            raise ValueError("token or survey: give exactly one")
        return self


class BallotOut(Out):
    ballot: str = Field(description="A one-time ballot; it alone answers the questionnaire")


class AnswerIn(Strict):
    ballot: BallotToken
    heard: Scale = Field(description="I felt heard: 1 (not at all) to 5 (entirely)")
    understood: Scale = Field(description="I understood how the mediation went on: 1 to 5")
    tool_worked: Scale = Field(description="The tool worked well: 1 to 5")
    recommend: Literal["yes", "partly", "no"]
    comment: Comment = ""


class SurveyQuery(Query):
    year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    type: MediationType | None = None
    k: Annotated[int, Field(ge=MIN_K, le=MAX_K)] = DEFAULT_K


class SurveyStatsOut(Out):
    k: int
    answers: int | None = Field(description="How many answers; null when fewer than k")
    tables: list[dict[str, Any]]
    comments: list[str] = Field(description="Only with at least k answers; sorted")


async def draw_ballot(request: web.Request, body: BallotIn) -> web.Response:
    svc = services(request)
    if body.survey is not None:
        assert svc.surveys is not None
        info = await svc.surveys.ended(body.survey, svc.records.clock())
    else:
        assert body.token is not None
        info = await svc.links.ended(body.token)
    if info.link.role is not ParticipantRole.PARTY:
        raise ApiError(ErrorCode.FORBIDDEN, "the questionnaire is for the parties")
    ballot = await svc.records.survey.issue(
        info.link.jti, svc.config.records.region, svc.records.clock()
    )
    return reply(BallotOut(ballot=ballot), status=201)


async def answer(request: web.Request, body: AnswerIn) -> web.Response:
    given = SurveyAnswer(body.heard, body.understood, body.tool_worked, body.recommend,
                         body.comment or None)  # fmt: skip
    await services(request).records.survey.answer(body.ballot, given)
    return web.Response(status=204)


def _value(item: StoredAnswer, dimension: str) -> str:
    if dimension in QUESTIONS:
        return str(getattr(item.answer, dimension))
    return str(getattr(item, dimension))


def survey_report(items: list[StoredAnswer], k: int) -> SurveyStatsOut:
    dimensions = (*QUESTIONS, "mediation_type", "region")
    tables = [values_table(d, [_value(i, d) for i in items], k).to_dict() for d in dimensions]
    enough = len(items) >= k
    comments = sorted(i.answer.comment for i in items if i.answer.comment) if enough else []
    return SurveyStatsOut(
        k=k, answers=len(items) if enough or not items else None, tables=tables,
        comments=comments,
    )  # fmt: skip


async def survey_stats(request: web.Request, query: SurveyQuery) -> web.Response:
    await require_mediator(request)
    kind = query.type.value if query.type else None
    items = await services(request).records.survey.answers(year=query.year, mediation_type=kind)
    return reply(survey_report(items, query.k))


def register_routes(api: Api) -> None:
    tag = "survey"
    api.add("POST", "/api/survey/ballot", draw_ballot, tag=tag, body=BallotIn,
            response=BallotOut, status=201, auth=False,
            summary="A party's one ballot for the questionnaire, once their session has "
            "ended (with their personal link or the questionnaire's link sent by e-mail; "
            "once per personal link)")  # fmt: skip
    api.add("POST", "/api/survey/answers", answer, tag=tag, body=AnswerIn, status=204,
            auth=False,
            summary="Answer the questionnaire with a ballot; the ballot is spent")  # fmt: skip
    api.add("GET", "/api/practice/survey", survey_stats, tag=tag, query=SurveyQuery,
            response=SurveyStatsOut,
            summary="The organisation's satisfaction survey, k-anonymous "
            "(?year=&type=&k=)")  # fmt: skip
