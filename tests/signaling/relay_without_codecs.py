"""Run the standalone relay with every aiortc codec made unusable.

Started as a child process by test_relay_no_codecs.py: the clients in the
test process keep their real codecs. Any codec construction or use in this
process appends a line to the report file (and raises); after arming, the
file holds exactly "armed".
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import aiortc.codecs
import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
from aiortc.codecs import g711, g722, h264, opus, vpx

from signaling.relay.config import RelayConfig
from signaling.relay.standalone import serve_relay

REPORT = Path(sys.argv[1])


def forbidden(*args: Any, **kwargs: Any) -> NoReturn:
    with REPORT.open("a") as report:
        report.write("codec used\n")
    raise RuntimeError("a codec was used inside the relay")


def arm() -> None:
    for module in (aiortc.codecs, aiortc.rtcrtpreceiver, aiortc.rtcrtpsender):
        for name in ("get_decoder", "get_encoder"):
            if hasattr(module, name):
                setattr(module, name, forbidden)
    classes = [
        vpx.Vp8Decoder,
        vpx.Vp8Encoder,
        opus.OpusDecoder,
        opus.OpusEncoder,
        h264.H264Decoder,
        h264.H264Encoder,
        g711.PcmaDecoder,
        g711.PcmaEncoder,
        g711.PcmuDecoder,
        g711.PcmuEncoder,
        g722.G722Decoder,
        g722.G722Encoder,
    ]
    for cls in classes:
        for method in ("__init__", "decode", "encode", "pack"):
            if method in vars(cls):
                setattr(cls, method, forbidden)
    # the receiver's decoder thread and the sender's encoder path now fail loudly
    try:
        aiortc.rtcrtpreceiver.get_decoder(None)
    except RuntimeError:
        pass
    REPORT.write_text("armed\n")


if __name__ == "__main__":
    import asyncio

    REPORT.write_text("")
    arm()
    # the self-check above wrote a "codec used" line before "armed" overwrote it
    asyncio.run(serve_relay(RelayConfig(host_addresses=("127.0.0.1",))))
