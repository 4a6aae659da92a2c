"""Every audit action and every "via" the server can write has a readable label in fr and en.

The actions are found where the code writes them (records/, sessions/, signaling/, server/);
the case page turns each into a catalogue key with views/audit_labels.js.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from sessions.permissions import Action
from tests.frontend.test_catalogue import JS, catalogue

ROOT = JS.parents[2]
PACKAGES = ["records", "sessions", "signaling", "server"]
NAME = r'"([a-z_]+(?:\.[a-z_]+)+)"'
WRITES = [
    re.compile(r"\baction\s*=\s*" + NAME),  # append(action="case.close")
    re.compile(r"\bkind\s*=\s*" + NAME),  # AuditEvent(kind="room.move")
    re.compile(r"\bwhy\s*(?::\s*str\s*)?=\s*" + NAME),  # store_board(why="board.keep")
    re.compile(r"\.audit\(\s*" + NAME),  # eff.audit("doc.share", ...)
    re.compile(r"\.audit\(\s*" + NAME + r"\s+if\s+[^\n]*?\s+else\s+" + NAME),
    re.compile(r"AuditEvent\(\s*" + NAME),  # AuditEvent("consent.declined", ...)
    re.compile(r"AuditRecord\(\s*\w+,\s*" + NAME),  # AuditRecord(actor, "item.write", ...)
]
DYNAMIC = re.compile(r'\.audit\(\s*f"')
VIA = re.compile(r'\bvia\s*=\s*f?"([^"{]+)')


def sources() -> list[Path]:
    return [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]


def written_actions() -> set[str]:
    found: set[str] = set()
    for path in sources():
        text = path.read_text()
        for pattern in WRITES:
            for match in pattern.finditer(text):
                found |= {g for g in match.groups() if g}
        for match in DYNAMIC.finditer(text):
            line = text[match.start() : text.index("\n", match.start())]
            # the only computed action: a mediator muting or stopping a camera
            assert 'f"media.{action.value}"' in line, f"{path}: a new computed audit action"
    moderated = re.findall(
        r"_moderate\(\s*Action\.(\w+)", (ROOT / "sessions" / "service.py").read_text()
    )
    assert moderated, "the scan found no moderation action"
    found |= {f"media.{Action[name].value}" for name in moderated}
    return found


def written_vias() -> set[str]:
    found = {m.group(1) for path in sources() for m in VIA.finditer(path.read_text())}
    found |= {"api:GET /api/cases/{case_id}/closing", "migration:0099"}  # computed ones
    return found


def keys_for(function: str, values: set[str]) -> dict[str, str]:
    script = (
        f"import('{JS / 'dashboard' / 'audit_labels.js'}').then(m => console.log(JSON.stringify("
        f"Object.fromEntries({json.dumps(sorted(values))}.map(v => [v, m.{function}(v)])))))"
    )
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    result: dict[str, str] = json.loads(out.stdout)
    return result


def test_the_scan_finds_the_actions_written_in_each_layer() -> None:
    actions = written_actions()
    for known in ["board.keep", "doc.share", "doc.withdraw", "doc.download", "chat.keep",
                  "wb.clear", "wb.copy", "item.write", "case.close", "room.move",
                  "consent.declined", "retention.purge", "notice.publish", "media.mute_other"]:  # fmt: skip
        assert known in actions, known


def test_every_audit_action_has_a_label_in_both_languages() -> None:
    keys = keys_for("actionKey", written_actions())
    for lang in ("fr", "en"):
        labels = catalogue(lang)
        missing = sorted(action for action, key in keys.items() if key not in labels)
        assert missing == [], f"{lang}: no label for {missing}"


def test_every_via_has_a_label_in_both_languages() -> None:
    vias = written_vias()
    assert {"socket", "http", "purge", "cli"} <= vias, vias
    keys = keys_for("viaKey", vias)
    assert keys["api:GET /api/cases/{case_id}/closing"] == keys["api:POST /api/notices"], keys
    for lang in ("fr", "en"):
        labels = catalogue(lang)
        missing = sorted(via for via, key in keys.items() if key not in labels)
        assert missing == [], f"{lang}: no label for {missing}"
        assert all(not labels[key].startswith(("api:", "socket", "http")) for key in keys.values())
