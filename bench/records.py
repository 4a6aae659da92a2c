"""Records benchmark: envelope encryption vs raw AES-GCM, chain verification, storage.

Run: ``.venv/bin/python bench/records.py [--quick]``. Prints figures and writes
``bench/results/records.json``. Each case runs raw AES-GCM and the envelope
format on the same bytes in the same process; ratios are envelope / raw on the
median of several runs. Storage goes through an injected ``Store`` (here a
plain sqlite3 table in a temp dir; a repository can be plugged in instead).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

# this script is named records.py: keep its folder off the path so `records` is the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cryptography  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from bench.figures import timed  # noqa: E402
from bench.records_repository import ad_for, bench_repository  # noqa: E402
from records.crypto.envelope import (  # noqa: E402
    decrypt,
    decrypt_stream,
    encrypt,
    encrypt_stream,
    new_data_key,
)
from records.crypto.keys import FileKeyProvider  # noqa: E402
from records.logs.chain import Entry, next_entry, utc_iso, verify_chain  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "records.json"
MB = 1024 * 1024


class Store(Protocol):
    """Where ciphertexts go: a repository, or the sqlite3 table below."""

    def put(self, item_id: str, blob: bytes) -> None: ...

    def get(self, item_id: str) -> bytes: ...

    def put_many(self, rows: list[tuple[str, bytes]]) -> None: ...

    def get_many(self, item_ids: list[str]) -> list[bytes]: ...

    def close(self) -> None: ...


class SqliteStore:
    """A plain sqlite3 table (WAL, one transaction per batch)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, blob BLOB)")

    def put(self, item_id: str, blob: bytes) -> None:
        self.put_many([(item_id, blob)])

    def get(self, item_id: str) -> bytes:
        row = self._db.execute("SELECT blob FROM items WHERE id = ?", (item_id,)).fetchone()
        return bytes(row[0])

    def put_many(self, rows: list[tuple[str, bytes]]) -> None:
        with self._tx():
            self._db.executemany("INSERT OR REPLACE INTO items (id, blob) VALUES (?, ?)", rows)

    def get_many(self, item_ids: list[str]) -> list[bytes]:
        with self._tx():
            return [self.get(i) for i in item_ids]

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


def timed_together(
    fns: dict[str, Callable[[], object]], repeat: int
) -> dict[str, dict[str, float]]:
    """Time several variants round-robin, so drifting machine noise hits each alike."""
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - start)
    return {
        name: {"median_s": statistics.median(r), "best_s": min(r), "runs": repeat}
        for name, r in runs.items()
    }


def ratio(env: dict[str, float], raw: dict[str, float]) -> float:
    return round(env["median_s"] / raw["median_s"], 3)


# ---------------------------------------------------------------- encryption


def large_variants(
    provider: FileKeyProvider, doc: bytes, raw_key: bytes
) -> dict[str, Callable[[], object]]:
    """The large-document variants, each one encrypt-then-decrypt of ``doc``."""
    size = len(doc)
    ad = ad_for(0)

    def raw() -> None:
        aead = AESGCM(raw_key)
        nonce = os.urandom(12)
        ct = aead.encrypt(nonce, doc, ad.encoded)
        assert len(aead.decrypt(nonce, ct, ad.encoded)) == size

    def envelope() -> None:
        dk = new_data_key()
        assert len(decrypt(dk, encrypt(dk, doc, ad), ad)) == size

    def envelope_wrapped() -> None:
        dk = new_data_key()
        kek_id, wrapped = provider.wrap(dk)
        blob = encrypt(dk, doc, ad)
        assert len(decrypt(provider.unwrap(kek_id, wrapped), blob, ad)) == size

    def streamed() -> None:
        dk = new_data_key()
        pieces = encrypt_stream(dk, [doc], ad, chunk_size=MB)
        assert sum(len(p) for p in decrypt_stream(dk, pieces, ad)) == size

    return {
        "raw_aesgcm": raw,
        "envelope_v1": envelope,
        "envelope_v1_with_kek_wrap": envelope_wrapped,
        "envelope_v2_stream_1MiB": streamed,
    }


def seeded_document(size: int, seed: int) -> bytes:
    """The same bytes in every process of a run."""
    return random.Random(seed).randbytes(size)


def run_large_variant(name: str, size: int, repeat: int, seed: int) -> None:
    """Child process: time one variant, print its figures as JSON."""
    with tempfile.TemporaryDirectory(prefix="palabre-bench-") as tmp:
        logging.getLogger("records.crypto.keys").setLevel(logging.ERROR)
        provider = FileKeyProvider(Path(tmp) / "keys.json")
        fn = large_variants(provider, seeded_document(size, seed), bytes(32))[name]
        fn()  # warm-up
        fn()
        print(json.dumps(timed(fn, repeat)))


def summarise_large(size: int, t: dict[str, dict[str, float]]) -> dict[str, Any]:
    r = t["raw_aesgcm"]
    return {
        **t,
        "ratio_v1": ratio(t["envelope_v1"], r),
        "ratio_v1_with_kek_wrap": ratio(t["envelope_v1_with_kek_wrap"], r),
        "ratio_v2_stream": ratio(t["envelope_v2_stream_1MiB"], r),
        "raw_MBps": round(2 * size / MB / r["median_s"], 1),
        "envelope_MBps": round(2 * size / MB / t["envelope_v1"]["median_s"], 1),
    }


def bench_large(provider: FileKeyProvider, size: int, repeat: int) -> dict[str, Any]:
    """Each variant in its own fresh process, on the same bytes (seeded).

    At 20 MiB the cost is dominated by the allocator (page faults on fresh
    buffers), not by AES (~1 ms); glibc's adaptive mmap threshold makes
    in-process figures depend on which variant ran before. A fresh process per
    variant gives every variant the same allocator history. The in-process
    round-robin figures are kept too, under ``same_process``.
    """
    seed = secrets.randbits(32)
    isolated: dict[str, dict[str, float]] = {}
    for name in large_variants(provider, b"", bytes(32)):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--large-variant",
                name,
                "--size",
                str(size),
                "--repeat",
                str(repeat),
                "--seed",
                str(seed),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        isolated[name] = json.loads(out.stdout.strip().splitlines()[-1])
    doc = seeded_document(size, seed)
    variants = large_variants(provider, doc, bytes(32))
    for fn in variants.values():
        fn()
    together = timed_together(variants, repeat)
    return {
        "bytes": size,
        "seed": seed,
        "isolated_processes": summarise_large(size, isolated),
        "same_process": summarise_large(size, together),
    }


def bench_small(provider: FileKeyProvider, count: int, size: int, repeat: int) -> dict[str, Any]:
    items = [os.urandom(size) for _ in range(count)]
    ads = [ad_for(i) for i in range(count)]
    raw_keys = [AESGCM.generate_key(256) for _ in range(count)]

    def raw() -> None:
        for key, data, ad in zip(raw_keys, items, ads, strict=True):
            aead = AESGCM(key)
            nonce = os.urandom(12)
            aead.decrypt(nonce, aead.encrypt(nonce, data, ad.encoded), ad.encoded)

    def envelope() -> None:
        for i, data in enumerate(items):
            dk = new_data_key()
            ad = ad_for(i)  # includes building and encoding the AD per item
            decrypt(dk, encrypt(dk, data, ad), ad)

    def envelope_prebuilt_ad() -> None:
        for data, ad in zip(items, ads, strict=True):
            dk = new_data_key()
            decrypt(dk, encrypt(dk, data, ad), ad)

    def envelope_wrapped() -> None:
        for i, data in enumerate(items):
            dk = new_data_key()
            ad = ad_for(i)
            kek_id, wrapped = provider.wrap(dk)
            blob = encrypt(dk, data, ad)
            decrypt(provider.unwrap(kek_id, wrapped), blob, ad)

    t = timed_together(
        {"raw": raw, "env": envelope, "ad": envelope_prebuilt_ad, "wrapped": envelope_wrapped},
        repeat,
    )
    r, e, a, w = t["raw"], t["env"], t["ad"], t["wrapped"]
    return {
        "items": count,
        "envelope_v1_prebuilt_ad": a,
        "ratio_v1_prebuilt_ad": ratio(a, r),
        "envelope_prebuilt_ad_us_per_item": round(a["median_s"] / count * 1e6, 2),
        "bytes_each": size,
        "raw_aesgcm": r,
        "envelope_v1": e,
        "envelope_v1_with_kek_wrap": w,
        "ratio_v1": ratio(e, r),
        "ratio_v1_with_kek_wrap": ratio(w, r),
        "raw_us_per_item": round(r["median_s"] / count * 1e6, 2),
        "envelope_us_per_item": round(e["median_s"] / count * 1e6, 2),
        "envelope_with_kek_wrap_us_per_item": round(w["median_s"] / count * 1e6, 2),
    }


# ---------------------------------------------------------------- chain


def bench_chain(count: int, repeat: int) -> dict[str, Any]:
    key = os.urandom(32)
    t0 = datetime(2026, 11, 22, tzinfo=UTC)
    entries: list[Entry] = []
    start = time.perf_counter()
    head: Entry | None = None
    for i in range(count):
        head = next_entry(
            key,
            head,
            {
                "kind": "consent.given",
                "actor": f"participant:{i % 97}",
                "subject": "case:42",
                "purpose": "mediation-session",
                "text_version": "confidentiality/fr/3",
                "text_sha256": "ab" * 32,
                "language": "fr",
                "mechanism": "checkbox",
                "at": utc_iso(t0 + timedelta(seconds=i)),
            },
        )
        entries.append(head)
    build_s = time.perf_counter() - start

    def verify() -> None:
        report = verify_chain(key, entries)
        assert report.ok and report.count == count

    v = timed(verify, repeat)
    return {
        "entries": count,
        "build_s": round(build_s, 3),
        "verify": v,
        "verify_us_per_entry": round(v["median_s"] / count * 1e6, 2),
        "target_s": 5.0,
        "within_target": v["median_s"] < 5.0,
    }


# ---------------------------------------------------------------- storage


def bench_storage(
    provider: FileKeyProvider,
    make_store: Callable[[], Store],
    size: int,
    count: int,
    small: int,
    repeat: int,
) -> dict[str, Any]:
    doc = os.urandom(size)
    items = [os.urandom(small) for _ in range(count)]
    ids = [f"item-{i}" for i in range(count)]
    out: dict[str, Any] = {"store": "sqlite3 table, WAL, synchronous=NORMAL, temp dir"}
    store = make_store()
    try:
        ad = ad_for(0)
        dk = new_data_key()
        kek_id, wrapped = provider.wrap(dk)

        def plain_large() -> None:
            store.put("plain", doc)
            assert len(store.get("plain")) == size

        def enc_store_large() -> None:
            store.put("doc", encrypt(dk, doc, ad))

        def load_dec_large() -> None:
            assert len(decrypt(provider.unwrap(kek_id, wrapped), store.get("doc"), ad)) == size

        p = timed(plain_large, repeat)
        es = timed(enc_store_large, repeat)
        ld = timed(load_dec_large, repeat)
        out["large"] = {
            "bytes": size,
            "plain_store_and_load": p,
            "encrypt_and_store": es,
            "load_and_decrypt": ld,
            "ratio_vs_plain": round((es["median_s"] + ld["median_s"]) / p["median_s"], 3),
        }

        def plain_small() -> None:
            store.put_many([(f"p-{i}", data) for i, data in zip(ids, items, strict=True)])
            store.get_many([f"p-{i}" for i in ids])

        def enc_store_small() -> None:
            rows = []
            for i, (item_id, data) in enumerate(zip(ids, items, strict=True)):
                key = new_data_key()
                provider.wrap(key)  # a repository stores (kek_id, wrapped) beside the blob
                rows.append((item_id, encrypt(key, data, ad_for(i))))
                keys_by_id[item_id] = key
            store.put_many(rows)

        keys_by_id: dict[str, bytes] = {}

        def load_dec_small() -> None:
            blobs = store.get_many(ids)
            for i, (item_id, blob) in enumerate(zip(ids, blobs, strict=True)):
                decrypt(keys_by_id[item_id], blob, ad_for(i))

        p = timed(plain_small, repeat)
        es = timed(enc_store_small, repeat)
        ld = timed(load_dec_small, repeat)
        out["small"] = {
            "items": count,
            "bytes_each": small,
            "plain_store_and_load": p,
            "encrypt_and_store": es,
            "load_and_decrypt": ld,
            "ratio_vs_plain": round((es["median_s"] + ld["median_s"]) / p["median_s"], 3),
        }
    finally:
        store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs, smaller sizes")
    parser.add_argument("--large-variant", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large_variant:
        run_large_variant(args.large_variant, args.size, args.repeat, args.seed)
        return
    repeat = 3 if args.quick else 11
    large = (4 if args.quick else 20) * MB
    small_count = 2_000 if args.quick else 10_000
    chain_count = 20_000 if args.quick else 100_000

    with tempfile.TemporaryDirectory(prefix="palabre-bench-") as tmp:
        provider = FileKeyProvider(Path(tmp) / "keys.json")
        results: dict[str, Any] = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "cryptography": cryptography.__version__,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "large_document": bench_large(provider, large, repeat),
            "small_items": bench_small(provider, small_count, 200, repeat),
            "chain": bench_chain(chain_count, 3),
            "storage": bench_storage(
                provider,
                lambda: SqliteStore(Path(tmp) / "bench.sqlite3"),
                large,
                small_count,
                200,
                max(3, repeat // 2),
            ),
            "repository": bench_repository(
                Path(tmp), large, small_count, 200, max(3, repeat // 2), chain_count
            ),
        }

    lg, sm, ch, st = (results[k] for k in ("large_document", "small_items", "chain", "storage"))
    ms = 1000.0
    for label, key in (
        ("fresh process per variant", "isolated_processes"),
        ("one process, round-robin", "same_process"),
    ):
        figures = lg[key]
        print(
            f"large document, {lg['bytes'] // MB} MiB, encrypt+decrypt, {label} "
            f"(median of {repeat}):"
        )
        for name, ratio_key in (
            ("raw_aesgcm", None),
            ("envelope_v1", "ratio_v1"),
            ("envelope_v1_with_kek_wrap", "ratio_v1_with_kek_wrap"),
            ("envelope_v2_stream_1MiB", "ratio_v2_stream"),
        ):
            line = f"  {name:26} {figures[name]['median_s'] * ms:8.2f} ms"
            if ratio_key:
                line += f"  ratio {figures[ratio_key]:.2f}"
            print(line + ("  (target <= 2)" if ratio_key == "ratio_v1" else ""))
    print(f"small items, {sm['items']} x {sm['bytes_each']} B, encrypt+decrypt:")
    print(f"  raw AES-GCM            {sm['raw_us_per_item']:8.2f} us/item")
    print(
        f"  envelope v1            {sm['envelope_us_per_item']:8.2f} us/item"
        f"  ratio {sm['ratio_v1']:.2f}"
    )
    print(
        f"  envelope, AD prebuilt  {sm['envelope_prebuilt_ad_us_per_item']:8.2f} us/item"
        f"  ratio {sm['ratio_v1_prebuilt_ad']:.2f}"
    )
    print(
        f"  envelope v1 + KEK wrap {sm['envelope_with_kek_wrap_us_per_item']:8.2f} us/item"
        f"  ratio {sm['ratio_v1_with_kek_wrap']:.2f}"
    )
    print(
        f"chain of {ch['entries']} entries: build {ch['build_s']:.2f} s, verify "
        f"{ch['verify']['median_s']:.2f} s ({ch['verify_us_per_entry']:.1f} us/entry, "
        f"target < 5 s)"
    )
    for name in ("large", "small"):
        s = st[name]
        print(
            f"sqlite3 {name}: plain store+load {s['plain_store_and_load']['median_s'] * ms:.1f} ms,"
            f" encrypt+store {s['encrypt_and_store']['median_s'] * ms:.1f} ms,"
            f" load+decrypt {s['load_and_decrypt']['median_s'] * ms:.1f} ms"
            f"  ratio {s['ratio_vs_plain']:.2f}"
        )
    rp = results["repository"]
    rl, rs, rc = rp["large"], rp["small"], rp["chain_verify"]
    print(
        f"repository large ({rl['bytes'] // MB} MiB): encrypt+store "
        f"{rl['encrypt_and_store']['median_s'] * ms:.1f} ms, load+decrypt "
        f"{rl['load_and_decrypt']['median_s'] * ms:.1f} ms, raw AES-GCM "
        f"{rl['raw_aesgcm_encrypt_decrypt']['median_s'] * ms:.1f} ms"
        f"  ratio {rl['ratio_vs_raw_aesgcm']:.2f}; unencrypted store+load in the same db "
        f"{rl['plain_store_and_load_same_db']['median_s'] * ms:.1f} ms"
        f"  ratio {rl['ratio_vs_plain_store_and_load']:.2f} (target <= 2)"
    )
    print(
        f"repository small ({rs['items']} x {rs['bytes_each']} B): store "
        f"{rs['store_us_per_item']:.0f} us/item (batches of 500; "
        f"{rs['store_one_transaction_each_us_per_item']:.0f} us in its own transaction), "
        f"load {rs['load_us_per_item']:.0f} us/item,"
        f" ratio vs raw AES-GCM {rs['ratio_vs_raw_aesgcm']:.0f}"
    )
    print(
        f"repository audit chain of {rc['entries']} entries: verify {rc['verify_s']:.2f} s"
        " (target < 5 s)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
