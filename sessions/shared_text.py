"""A room's shared text: a CRDT document (Yjs, through pycrdt) that only takes valid updates.

Browsers edit the text with ProseMirror bound to a Yjs document (y-prosemirror keeps it
in one XML fragment named ``prosemirror``: an element per node, an ``XmlText`` per run of
text with its marks as formatting attributes). Each browser sends the updates its
document makes; concurrent updates converge in any order. The server's copy decides what
is accepted: an update is tried on a *trial* document first and refused unless

* it is at most :data:`MAX_UPDATE_BYTES` long and decodes;
* it applies in full: nothing of it waits for an update the server does not have (a
  client that lost an update of its own must take the text again);
* what it changes keeps to :data:`CHILDREN`, :data:`ATTRIBUTES` and :data:`MARKS` (the
  editor's schema; checked on what the update inserted or changed only, so that an
  update costs the same on a long text), adds no other shared type, and the text stays
  within :data:`MAX_TEXT_CHARS`;
* it changes no paragraph a mediator locked (the :data:`LOCK` attribute of a top-level
  block), nor locks or unlocks one, unless its author may (a mediator).

Only then is it applied to the room's document; a refused update leaves no trace (the
trial document is rebuilt from the accepted one). Pure: storing and sending is the
caller's business.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, XmlElement, XmlEvent, XmlFragment, XmlText, get_update, merge_updates

from errors import ErrorCode
from sessions.errors import Conflict, Forbidden, InvalidPayload, SessionError

FRAGMENT = "prosemirror"  # y-prosemirror's default
MAX_UPDATE_BYTES = 64 * 1024
MAX_TEXT_CHARS = 200_000  # of the text as XML (markup included)
MAX_HISTORY_BYTES = 32 * 1024 * 1024  # every update a room's text took, kept for its history
SNAPSHOT_EVERY = 500  # updates between two snapshots of a text (what opening replays at most)
TEXT = "#text"  # a run of text, in CHILDREN

#: node -> the nodes it may contain (None: the document itself)
CHILDREN: dict[str | None, frozenset[str]] = {
    None: frozenset({"paragraph", "heading", "bullet_list", "ordered_list"}),
    "paragraph": frozenset({TEXT, "hard_break"}),
    "heading": frozenset({TEXT, "hard_break"}),
    "bullet_list": frozenset({"list_item"}),
    "ordered_list": frozenset({"list_item"}),
    "list_item": frozenset({"paragraph", "bullet_list", "ordered_list"}),
    "hard_break": frozenset(),
}


def _level(value: object) -> bool:
    return isinstance(value, int | float) and value in (1, 2, 3)


def _order(value: object) -> bool:
    return isinstance(value, int | float) and value == int(value) and 0 <= value <= 100_000


#: node -> attribute -> whether a value is allowed
ATTRIBUTES: dict[str, dict[str, Callable[[object], bool]]] = {
    "heading": {"level": _level},
    "ordered_list": {"order": _order},
}
MARKS = frozenset({"strong", "em"})
#: the attribute of a top-level block a mediator locked: nobody else may change the block
LOCK = "locked"


class TextTooLarge(SessionError):
    """An update, or the text it would make, is over its limit."""

    code = ErrorCode.PAYLOAD_TOO_LARGE


def decode_update(value: str) -> bytes:
    """The bytes of a base64 update (as the wire carries them); refused if not base64."""
    if len(value) > (MAX_UPDATE_BYTES * 4) // 3 + 4:
        raise TextTooLarge(f"a text update is at most {MAX_UPDATE_BYTES} bytes")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidPayload("a text update must be base64") from None


def encode_update(update: bytes) -> str:
    return base64.b64encode(update).decode("ascii")


def _clients(update: bytes) -> int:
    """How many clients' items an update carries (its first variable-length integer)."""
    value, shift = 0, 0
    for byte in update[:10]:
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
        shift += 7
    raise InvalidPayload("not a text update")


# A node as plain data: (tag, attributes, children), or (TEXT, runs of (text, marks)).
Block = tuple[str, Any, tuple[Any, ...]]


def _capture(node: object) -> Block:
    if isinstance(node, XmlText):
        runs = tuple((c, dict(a or {})) for c, a in node.diff() if isinstance(c, str))
        return (TEXT, {}, runs)
    assert isinstance(node, XmlElement)
    attributes = dict(node.attributes.__iter__())
    return (str(node.tag), attributes, tuple(_capture(c) for c in node.children))


def _build(parent: XmlFragment | XmlElement, block: Block) -> None:
    tag, attributes, children = block
    if tag == TEXT:
        text = XmlText()
        parent.children.append(text)
        at = 0  # pycrdt counts a text's positions in UTF-8 bytes (Yjs, in UTF-16 units)
        for chunk, marks in children:
            text.insert(at, chunk, marks or None)
            at += len(chunk.encode("utf-8"))
        return
    element = XmlElement(tag, attributes)
    parent.children.append(element)
    for child in children:
        _build(element, child)


@dataclass(frozen=True, slots=True)
class TextEntry:
    """One accepted update of a room's text: its number there, its bytes, its author and
    when it was accepted (seconds since the epoch)."""

    seq: int
    update: bytes
    by: str
    at: float = 0.0

    def to_record(self) -> dict[str, Any]:
        return {"by": self.by, "update": encode_update(self.update), "at": round(self.at, 3)}

    @classmethod
    def from_record(cls, seq: int, data: Any) -> TextEntry:
        if not isinstance(data, dict) or not isinstance(data.get("by"), str):
            raise InvalidPayload("not a stored text update")
        update, at = data.get("update"), data.get("at", 0.0)
        if not isinstance(update, str) or not isinstance(at, int | float):
            raise InvalidPayload("not a stored text update")
        return cls(seq, decode_update(update), data["by"], float(at))


@dataclass(frozen=True, slots=True)
class Version:
    """A run of consecutive updates by one person: who, and from when to when."""

    first: int  # seq of its first update
    last: int  # ... and of its last: the text as it stood after it is version ``last``
    by: str
    started: float
    ended: float

    def to_wire(self) -> dict[str, Any]:
        return {
            "first": self.first, "last": self.last, "by": self.by,
            "started": self.started, "ended": self.ended,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class TextSnapshot:
    """A text as it stood after update ``seq``: the document as one update, who changed it
    run by run until then, and how many bytes of updates it took (its history's budget).
    Opening starts from the latest stored one and applies the updates after it."""

    seq: int
    state: bytes
    versions: tuple[Version, ...]
    history_bytes: int

    def to_record(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "state": encode_update(self.state),
            "versions": [[v.first, v.last, v.by, v.started, v.ended] for v in self.versions],
            "history_bytes": self.history_bytes,
        }

    @classmethod
    def from_record(cls, data: Any) -> TextSnapshot:
        try:
            state = base64.b64decode(data["state"], validate=True)
            versions = tuple(
                Version(int(f), int(la), str(by), float(st), float(en))
                for f, la, by, st, en in data["versions"]
            )
            return cls(int(data["seq"]), state, versions, int(data["history_bytes"]))
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise InvalidPayload("not a stored snapshot of a text") from None


def _top(node: Any) -> XmlElement | None:
    """The top-level block ``node`` is in (itself, if it is one); None for the document."""
    while isinstance(node, XmlElement | XmlText):
        parent = node.parent
        if isinstance(parent, XmlFragment) and not isinstance(parent, XmlElement):
            return node if isinstance(node, XmlElement) else None
        node = parent
    return None


def _locked(node: Any) -> bool:
    return isinstance(node, XmlElement) and node.attributes.get(LOCK) is True


class _Checker:
    """Checks what one update changed, from the trial document's events.

    ``may_lock``: the author may lock and unlock blocks and change locked ones (a
    mediator); ``before``: the blocks as they were, for what the update deletes.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.locked: list[str] = []
        self.may_lock = False
        self.before: list[Any] = []

    def events(self, events: Iterable[Any]) -> None:
        for event in events:
            if not isinstance(event, XmlEvent):
                self.problems.append("unexpected change")
                continue
            seen: Any = event  # pycrdt's events carry target, delta and keys untyped
            target = seen.target
            if not self.may_lock and _locked(_top(target)):
                self.locked.append("a locked paragraph")
            if isinstance(target, XmlText):
                self._text_delta(seen.delta)
                continue
            tag = target.tag if isinstance(target, XmlElement) else None
            top_level = not isinstance(target, XmlElement)
            position = 0  # in the blocks as they were (for what is deleted at the top)
            for op in seen.delta:
                if "retain" in op:
                    position += int(op["retain"])
                elif "delete" in op:
                    if top_level and not self.may_lock:
                        gone = self.before[position : position + int(op["delete"])]
                        if any(_locked(block) for block in gone):
                            self.locked.append("a locked paragraph")
                    position += int(op["delete"])
                inserted = op.get("insert")
                if inserted is None:
                    continue
                if not isinstance(inserted, list):
                    self.problems.append("text outside a paragraph")
                    continue
                for child in inserted:
                    self._node(child, tag, top_level)
            for name, change in (seen.keys or {}).items():
                if name == LOCK:
                    self._lock(target, change.get("newValue"), top_level=_top(target) is target)
                elif change.get("action") in ("add", "update"):
                    self._attribute(tag, name, change.get("newValue"))

    def _lock(self, node: Any, value: object, *, top_level: bool) -> None:
        if not self.may_lock:
            self.locked.append("locking")
        elif not top_level or value not in (True, None):
            self.problems.append("only a whole paragraph may be locked")

    def _text_delta(self, delta: Iterable[dict[str, Any]]) -> None:
        for op in delta:
            if "insert" in op and not isinstance(op["insert"], str):
                self.problems.append("embedded object in text")
            self._marks(op.get("attributes") or {}, removing_allowed=True)

    def _marks(self, attributes: dict[str, Any], removing_allowed: bool = False) -> None:
        for name, value in attributes.items():
            if name not in MARKS:
                self.problems.append(f"mark {name[:32]!r} not allowed")
            elif not (value == {} or (removing_allowed and value is None)):
                self.problems.append(f"mark {name} takes no attributes")

    def _attribute(self, tag: str | None, name: str, value: object) -> None:
        check = ATTRIBUTES.get(tag or "", {}).get(name)
        if check is None:
            self.problems.append(f"attribute {name[:32]!r} not allowed on {tag}")
        elif not check(value):
            self.problems.append(f"attribute {name} of {tag}: value not allowed")

    def _node(self, node: object, parent: str | None, top_level: bool = False) -> None:
        allowed = CHILDREN.get(parent, frozenset())
        if isinstance(node, XmlText):
            if TEXT not in allowed:
                self.problems.append(f"text not allowed in {parent}")
                return
            for chunk, attributes in node.diff():
                if not isinstance(chunk, str):
                    self.problems.append("embedded object in text")
                self._marks(attributes or {})
            return
        if not isinstance(node, XmlElement):
            self.problems.append("unexpected node")
            return
        tag = node.tag
        if tag not in allowed:
            self.problems.append(f"node {str(tag)[:32]!r} not allowed in {parent}")
            return
        for name, value in node.attributes.__iter__():
            if name == LOCK:
                self._lock(node, value, top_level=top_level)
            else:
                self._attribute(tag, name, value)
        for child in node.children:
            self._node(child, tag)


def merged(updates: list[bytes]) -> bytes:
    """``updates`` as one update (an empty text's if there are none)."""
    return merge_updates(*updates) if updates else Doc().get_update()


class SharedText:
    def __init__(self, room_id: str) -> None:
        self.room_id = room_id
        self.seq = 0  # accepted updates so far
        # the updates accepted since the text was opened (from a snapshot: after it)
        self._entries: list[TextEntry] = []
        self._base: TextSnapshot | None = None  # the snapshot the text was opened from
        self._pending: TextSnapshot | None = None  # taken, not yet handed out to be stored
        self._snapshot_seq = 0  # the update the last snapshot was taken after
        self.snapshot_every = SNAPSHOT_EVERY
        self._history_bytes = 0
        self._doc: Doc[Any] = Doc()
        self._doc.get(FRAGMENT, type=XmlFragment)
        self._trial: Doc[Any] = Doc()
        self._checker = _Checker()
        self._rebuild_trial()

    def _rebuild_trial(self) -> None:
        self._trial = Doc()
        self._trial.apply_update(self._doc.get_update())
        fragment = self._trial.get(FRAGMENT, type=XmlFragment)
        self._subscription = fragment.observe_deep(self._checker.events)

    @contextmanager
    def _trying(self) -> Iterator[_Checker]:
        self._checker.problems = []
        self._checker.locked = []
        try:
            yield self._checker
        except BaseException:
            self._rebuild_trial()  # nothing of a refused update stays
            raise

    def check(self, update: bytes, may_lock: bool = False) -> None:
        """Refuses ``update`` (InvalidPayload, Conflict, TextTooLarge; Forbidden if it
        changes a locked paragraph, or locks one, and ``may_lock`` is false) unless it may
        be applied; leaves the trial document with it applied otherwise."""
        if len(update) > MAX_UPDATE_BYTES:
            raise TextTooLarge(f"a text update is at most {MAX_UPDATE_BYTES} bytes")
        if self._history_bytes + len(update) > MAX_HISTORY_BYTES:
            raise TextTooLarge("this text has taken all the changes it may keep")
        self._checker.may_lock = may_lock
        self._checker.before = [] if may_lock else self._blocks()
        with self._trying() as checker:
            try:
                self._trial.apply_update(update)
                waiting = _clients(get_update(update, self._trial.get_state()))
            except ValueError:
                raise InvalidPayload("not a text update") from None
            if waiting:
                raise Conflict("this update follows one the server does not have: sync first")
            others = set(self._trial.keys()) - {FRAGMENT}
            if others:
                raise InvalidPayload("a text update may only change the text")
            if checker.problems:
                raise InvalidPayload("; ".join(sorted(set(checker.problems))[:3]))
            if checker.locked:
                raise Forbidden("a mediator locked this paragraph: it cannot be changed")
            if len(str(self._trial.get(FRAGMENT, type=XmlFragment))) > MAX_TEXT_CHARS:
                raise TextTooLarge(f"a text is at most {MAX_TEXT_CHARS} characters long")

    def _blocks(self) -> list[Any]:
        """The top-level blocks, if any is locked (else none: nothing to look up)."""
        blocks = list(self._doc.get(FRAGMENT, type=XmlFragment).children)
        return blocks if any(_locked(b) for b in blocks) else []

    def apply(
        self, update: bytes, by: str, at: float = 0.0, *, may_lock: bool = False
    ) -> TextEntry:
        """Checks ``update`` and applies it; the entry to store (``at``: now; ``may_lock``:
        the author may lock paragraphs and change locked ones)."""
        self.check(update, may_lock)
        self._doc.apply_update(update)
        self.seq += 1
        entry = TextEntry(self.seq, update, by, round(at, 3))  # as stored
        self._entries.append(entry)
        self._history_bytes += len(update)
        if self.seq - self._snapshot_seq >= self.snapshot_every:
            self._pending = self.snapshot()
            self._snapshot_seq = self.seq
        return entry

    # -- snapshots -------------------------------------------------------------------

    def snapshot(self) -> TextSnapshot:
        """The text as it stands now."""
        return TextSnapshot(
            self.seq, self._doc.get_update(), tuple(self.versions()), self._history_bytes
        )

    def take_snapshot(self, through: int) -> TextSnapshot | None:
        """The snapshot :meth:`apply` took every :attr:`snapshot_every` updates, once, if it
        was taken at or before update ``through`` (what the caller knows is stored)."""
        pending = self._pending
        if pending is None or pending.seq > through:
            return None
        self._pending = None
        return pending

    def restore(self, entries: Iterable[TextEntry], snapshot: TextSnapshot | None = None) -> int:
        """Puts back the text from its stored updates (replacing what it was), from
        ``snapshot`` if given (then ``entries`` are the updates after it); the number of the
        last update taken (up to the first that does not follow on or does not apply)."""
        self._doc = Doc()
        self._doc.get(FRAGMENT, type=XmlFragment)
        self.seq = 0
        self._entries = []
        self._history_bytes = 0
        self._base = self._pending = None
        if snapshot is not None:
            try:
                self._doc.apply_update(snapshot.state)
            except ValueError:
                raise InvalidPayload("not a stored snapshot of a text") from None
            self.seq = snapshot.seq
            self._history_bytes = snapshot.history_bytes
            self._base = snapshot
        for entry in entries:
            if entry.seq != self.seq + 1:
                break
            try:
                self._doc.apply_update(entry.update)
            except ValueError:
                break
            self.seq = entry.seq
            self._entries.append(entry)
            self._history_bytes += len(entry.update)
        self._snapshot_seq = self.seq
        self._rebuild_trial()
        return self.seq

    @property
    def base_seq(self) -> int:
        """The update the text was opened from a snapshot at (0: from the first)."""
        return 0 if self._base is None else self._base.seq

    # -- copying -------------------------------------------------------------------

    def block(self, index: int) -> Block:
        """The text's ``index``-th top-level block (a paragraph, a heading, a list) as plain
        data; InvalidPayload if there is none."""
        blocks = list(self._doc.get(FRAGMENT, type=XmlFragment).children)
        if not 0 <= index < len(blocks):
            raise InvalidPayload("no such paragraph in the text")
        return _capture(blocks[index])

    def appending(self, blocks: Iterable[Block]) -> bytes:
        """The update that adds ``blocks`` at the end of the text (made on a copy, under a
        client id of its own: :meth:`apply` checks and applies it like any other)."""
        scratch: Doc[Any] = Doc()
        scratch.apply_update(self._doc.get_update())
        fragment = scratch.get(FRAGMENT, type=XmlFragment)
        before = scratch.get_state()
        for block in blocks:
            _build(fragment, block)
        return scratch.get_update(before)

    # -- history ---------------------------------------------------------------------

    def versions(self) -> list[Version]:
        """Who changed the text, run by run, oldest first."""
        out: list[Version] = [] if self._base is None else list(self._base.versions)
        for e in self._entries:
            last = out[-1] if out else None
            if last is not None and last.by == e.by:
                out[-1] = Version(last.first, e.seq, e.by, last.started, e.at)
            else:
                out.append(Version(e.seq, e.seq, e.by, e.at, e.at))
        return out

    def updates_until(self, seq: int) -> list[bytes] | None:
        """The updates that made the text as it stood after update ``seq`` (merge them with
        :func:`merged`, away from the event loop for a long history); None for a version
        before the snapshot the text was opened from (the caller reads the stored updates
        up to ``seq``)."""
        if not 0 <= seq <= self.seq:
            raise InvalidPayload("no such version of the text")
        if self._base is None:
            return [e.update for e in self._entries[:seq]]
        if seq < self._base.seq:
            return None
        return [self._base.state, *(e.update for e in self._entries[: seq - self._base.seq])]

    def state_at(self, seq: int) -> bytes | None:
        """The text as it stood after update ``seq``, as one update (None: see
        :meth:`updates_until`)."""
        updates = self.updates_until(seq)
        return None if updates is None else merged(updates)

    # -- reading -------------------------------------------------------------------

    @staticmethod
    def _of(update: bytes | None) -> str:
        """The text an update (a whole state) makes, as XML (for comparing states)."""
        doc: Doc[Any] = Doc()
        fragment = doc.get(FRAGMENT, type=XmlFragment)
        if update is not None:
            doc.apply_update(update)
        return str(fragment)

    def state(self) -> bytes:
        """The whole text as one update (what a new editor starts from)."""
        return self._doc.get_update()

    def state_vector(self) -> bytes:
        return self._doc.get_state()

    def missing(self, state_vector: bytes) -> bytes:
        """What a copy at ``state_vector`` lacks, as one update."""
        try:
            return self._doc.get_update(state_vector)
        except ValueError:
            raise InvalidPayload("not a state vector") from None

    def xml(self) -> str:
        return str(self._doc.get(FRAGMENT, type=XmlFragment))

    def plain(self) -> str:
        """The text's words, a line per paragraph or heading (no formatting)."""
        lines: list[str] = []

        def walk(node: XmlFragment | XmlElement) -> None:
            for child in node.children:
                if isinstance(child, XmlElement):
                    if child.tag in ("paragraph", "heading"):
                        lines.append(
                            "".join(
                                "".join(c for c, _a in t.diff() if isinstance(c, str))
                                if isinstance(t, XmlText)
                                else "\n"
                                for t in child.children
                            )
                        )
                    else:
                        walk(child)

        walk(self._doc.get(FRAGMENT, type=XmlFragment))
        return "\n".join(lines)
