"""An in-memory relay that records what signaling asks of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from errors import CodedError, ErrorCode


class FakeRelayError(CodedError):
    """Like the real relay's errors: a client-visible code."""


class FakeRelay:
    def __init__(self) -> None:
        self.rooms: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.on_offer: Callable[[str, str], Awaitable[None]] | None = None
        self.closed = False
        self.paused: dict[tuple[str, str], bool] = {}

    async def join(self, participant_id: str, room_id: str) -> None:
        self.calls.append(("join", participant_id))
        self.rooms[participant_id] = room_id

    async def handle_offer(
        self, participant_id: str, sdp: str, labels: Mapping[str, str] | None = None
    ) -> str:
        self.calls.append(("offer", participant_id))
        if not sdp.startswith("v=0"):
            raise FakeRelayError("malformed SDP", ErrorCode.BAD_SDP)
        return "v=0\r\nanswer-for-" + participant_id

    async def handle_answer(self, participant_id: str, sdp: str) -> None:
        self.calls.append(("answer", participant_id))

    async def add_candidate(
        self, participant_id: str, candidate: Mapping[str, object] | None
    ) -> None:
        self.calls.append(("candidate", participant_id))

    async def set_room(self, participant_id: str, room_id: str) -> None:
        self.rooms[participant_id] = room_id

    async def set_paused(self, participant_id: str, kind: str, paused: bool) -> None:
        self.paused[(participant_id, kind)] = paused

    async def leave(self, participant_id: str) -> None:
        self.calls.append(("leave", participant_id))
        self.rooms.pop(participant_id, None)

    async def close(self) -> None:
        self.closed = True
