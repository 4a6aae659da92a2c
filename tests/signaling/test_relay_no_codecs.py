"""The relay forwards media without decoding or encoding anything.

The relay runs in a child process where every aiortc encoder and decoder
raises and leaves a trace; the clients here (which do decode) still receive
every publisher's video and audio frames.
"""

from __future__ import annotations

import sys
from pathlib import Path

from signaling.relay.standalone import RelayProcess

from .clients import Client, Harness, wait_for

SCRIPT = Path(__file__).with_name("relay_without_codecs.py")
ROOT = Path(__file__).resolve().parents[2]


async def test_media_flows_through_a_relay_that_cannot_decode_or_encode(
    tmp_path: Path, harness: Harness
) -> None:
    report = tmp_path / "codec-report.txt"
    process = RelayProcess(
        [sys.executable, "-c", _launcher(), str(report)], on_offer=harness.on_offer
    )
    await process.start()
    try:
        clients = [harness.add(Client(pid)) for pid in ("alice", "bob", "carol")]
        for client in clients:
            await client.connect(process, "plenary")

        def all_flowing() -> bool:
            return all(
                c.count(o.pid, "camera") >= 15 and c.count(o.pid, "microphone") >= 25
                for c in clients
                for o in clients
                if o is not c
            )

        assert await wait_for(all_flowing, within=20), {
            c.pid: {k: len(v) for k, v in c.frames.items()} for c in clients
        }
        # the barrier: every frame counted above went through the child, and this answer
        # comes from it afterwards; a codec used for any of them has written its line
        stats = await process.stats()
        assert len(stats["forwarded"]) == 12
        assert all(s["active"] and s["packets_sent"] > 0 for s in stats["forwarded"])
        assert report.read_text() == "armed\n"
        assert not harness.errors
    finally:
        await harness.close()
        await process.close()
    assert report.read_text() == "armed\n"


def _launcher() -> str:
    # run the script as __main__ with the project root importable
    return (
        f"import sys, runpy; sys.path.insert(0, {str(ROOT)!r}); "
        f"sys.argv = [{str(SCRIPT)!r}] + sys.argv[1:]; "
        f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"
    )
