"""Pure per-packet logic of the forwarder: VP8 key frame detection and the
rewriting of RTP sequence numbers and timestamps for one outgoing stream.

No I/O and no aiortc here; the relay calls these for every forwarded packet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SEQ_MOD = 1 << 16
TS_MOD = 1 << 32

#: How far the sequence number jumps when a stream restarts after its m-line was
#: negotiated inactive. The receiver silently discarded whatever was still in flight
#: when it applied that negotiation, after SRTP had accepted it, so those packets can
#: never reach it again (a retransmission fails SRTP's replay check): a numbering that
#: resumed right after them would leave a hole the receiver waits on (aiortc's video
#: jitter buffer stalls until 512 packets have passed it). The jump is past the
#: receivers' reorder and NACK windows (aiortc 512 packets, libwebrtc gives up NACKing
#: and asks for a key frame above 1000), which then start afresh at the key frame the
#: relay gates the stream on, and below RFC 3550's MAX_DROPOUT (3000), above which a
#: receiver would put the stream on probation.
RESTART_GAP = 2000


def seq_newer(a: int, b: int) -> bool:
    """True when sequence number ``a`` comes after ``b`` (RFC 3550 wrap-around)."""
    return a != b and ((a - b) % SEQ_MOD) < SEQ_MOD // 2


def vp8_keyframe_start(payload: bytes) -> bool:
    """True when an RTP VP8 payload (RFC 7741) starts a key frame.

    Looks at the payload descriptor (X, S, PID and the optional I/L/T/K
    extensions) and then at the P bit of the VP8 payload header. Only the
    first bytes of the frame are read, so this keeps working when the rest of
    the frame is end-to-end encrypted (browsers leave those bytes in clear).
    """
    size = len(payload)
    if size < 1:
        return False
    first = payload[0]
    start = first & 0x10
    partition = first & 0x07
    if not start or partition != 0:
        return False
    pos = 1
    if first & 0x80:  # X: extended control bits present
        if size <= pos:
            return False
        ext = payload[pos]
        pos += 1
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if size <= pos:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX
            pos += 1
    if size <= pos:
        return False
    return (payload[pos] & 0x01) == 0


@dataclass(slots=True)
class StreamRewriter:
    """Maps one source's (sequence number, timestamp) onto an outgoing stream.

    The outgoing stream keeps its own continuous numbering across pauses and
    source changes: after :meth:`rebase`, the next packet is placed right after
    the last one sent, its timestamp advanced by the wall-clock time elapsed,
    so a receiver sees neither a sequence gap (no NACK storm) nor a timestamp
    jump backwards. Packets older than the rebase point are dropped. After
    ``rebase(restart=True)`` (the receiver stopped listening meanwhile) the
    next packet comes :data:`RESTART_GAP` numbers later instead.
    """

    clock_rate: int
    last_seq: int
    last_ts: int
    last_time: float | None = None
    seq_offset: int = 0
    ts_offset: int = 0
    base_seq: int | None = None
    needs_rebase: bool = True
    gap: int = 0  # added to the next segment's first sequence number

    @classmethod
    def create(cls, clock_rate: int) -> StreamRewriter:
        # Lower half of the sequence space, as aiortc does, to avoid an early wrap.
        return cls(
            clock_rate=clock_rate,
            last_seq=random.randrange(SEQ_MOD // 2),  # noqa: S311 - not security
            last_ts=random.randrange(TS_MOD),  # noqa: S311 - not security
        )

    def rebase(self, restart: bool = False) -> None:
        """Start a new segment: the next packet continues the outgoing numbering, or,
        with ``restart`` (kept until that packet is sent), jumps it by RESTART_GAP."""
        self.needs_rebase = True
        if restart:
            self.gap = RESTART_GAP

    def skip(self, seq: int) -> None:
        """Drop a packet without leaving a hole: later packets move down by one.

        Used for padding-only packets (bandwidth probes), so that subscribers
        see a contiguous sequence and do not NACK what will never come.
        """
        if self.needs_rebase or self.last_time is None:
            return
        if seq_newer((seq + self.seq_offset) % SEQ_MOD, self.last_seq):
            self.seq_offset = (self.seq_offset - 1) % SEQ_MOD

    def rewrite(self, seq: int, ts: int, now: float) -> tuple[int, int] | None:
        """Return the outgoing (sequence number, timestamp), or None to drop."""
        if self.needs_rebase:
            elapsed = 0 if self.last_time is None else now - self.last_time
            ticks = max(1, int(elapsed * self.clock_rate))
            self.seq_offset = (self.last_seq + 1 + self.gap - seq) % SEQ_MOD
            self.ts_offset = (self.last_ts + ticks - ts) % TS_MOD
            self.base_seq = seq
            self.needs_rebase = False
            self.gap = 0
        elif self.base_seq is not None and seq_newer(self.base_seq, seq):
            return None  # older than the segment start: belongs to a previous source
        out_seq = (seq + self.seq_offset) % SEQ_MOD
        out_ts = (ts + self.ts_offset) % TS_MOD
        if seq_newer(out_seq, self.last_seq) or self.last_time is None:
            self.last_seq = out_seq
            self.last_ts = out_ts
            self.last_time = now
        return out_seq, out_ts
