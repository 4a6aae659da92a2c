"""nginx in front of several nodes: the configuration, written for a given set of nodes.

Routing (see the README, "Running several nodes"):

* ``/socket.io/`` with ``?node=<id>`` (the client learnt which node runs its session)
  goes to that node, or, if it is down, to any other (``backup``): that node answers
  "moving, retry shortly" until the dead node's lease expires, then takes the session.
* ``/socket.io/`` without a node hint goes by a consistent hash of ``?session=<id>``
  (``balance="hash"``, the default), so that a session's participants usually land on
  one node at once; a node that does not run the session answers with the one that does.
* everything else (the REST API, the pages) goes to any node (least connections).

``python -m server.cluster.nginx n1=10.0.0.1:8080 n2=10.0.0.2:8080`` prints the
``http``-level part (maps and upstreams) for those nodes; deploy/nginx/palabre.conf is a
whole example with TLS.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence

NODE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
ADDRESS = re.compile(r"[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}")

WEBSOCKET_LOCATION = """\
    location /socket.io/ {{
        proxy_pass http://$palabre_live;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $palabre_connection;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto {proto};
        proxy_connect_timeout 2s;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
        proxy_buffering off;
    }}
"""

API_LOCATION = """\
    location / {{
        proxy_pass http://palabre_any;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto {proto};
        proxy_connect_timeout 2s;
        proxy_read_timeout 120s;
        proxy_request_buffering off;
    }}
"""


def upstreams(nodes: Mapping[str, str], *, balance: str = "hash") -> str:
    """The maps and upstream groups for ``nodes`` (node id -> host:port), at ``http`` level.

    ``balance``: how a connection without a node hint picks a node: ``"hash"`` (on its
    session) or ``"round_robin"`` (the tests use it to spread arrivals over the nodes).
    """
    if not nodes:
        raise ValueError("at least one node")
    for node_id, address in nodes.items():
        if not NODE_ID.fullmatch(node_id):
            raise ValueError(f"bad node id {node_id!r}")
        if not ADDRESS.fullmatch(address):
            raise ValueError(f"bad address {address!r}: host:port")
    if balance not in {"hash", "round_robin"}:
        raise ValueError("balance is hash or round_robin")
    names = {node_id: "palabre_node_" + node_id.replace("-", "_") for node_id in nodes}
    lines = [
        "map $http_upgrade $palabre_connection {",
        "    default upgrade;",
        "    '' close;",
        "}",
        "map $arg_node $palabre_live {",
        *(f"    {node_id} {name};" for node_id, name in sorted(names.items())),
        "    default palabre_sessions;",
        "}",
    ]
    for node_id, name in sorted(names.items()):
        lines.append(f"upstream {name} {{")
        lines.append(f"    server {nodes[node_id]} max_fails=1 fail_timeout=3s;")
        lines += [f"    server {a} backup;" for n, a in sorted(nodes.items()) if n != node_id]
        lines.append("}")
    lines.append("upstream palabre_sessions {")
    if balance == "hash":
        lines.append("    hash $arg_session consistent;")
    lines += [f"    server {a} max_fails=1 fail_timeout=3s;" for _, a in sorted(nodes.items())]
    lines.append("}")
    lines.append("upstream palabre_any {")
    lines.append("    least_conn;")
    lines += [f"    server {a} max_fails=1 fail_timeout=3s;" for _, a in sorted(nodes.items())]
    lines.append("    keepalive 16;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def server_block(
    listen: str, *, max_body_mb: int = 26, proto: str = "$scheme", tls: Sequence[str] = ()
) -> str:
    """One ``server`` block listening on ``listen`` (``tls``: its ssl_* directives)."""
    out = ["server {", f"    listen {listen};", f"    client_max_body_size {max_body_mb}m;"]
    out += [f"    {line}" for line in tls]
    out.append(WEBSOCKET_LOCATION.format(proto=proto))
    out.append(API_LOCATION.format(proto=proto))
    out.append("}")
    return "\n".join(out) + "\n"


def standalone(nodes: Mapping[str, str], port: int, prefix: str, *, balance: str = "hash") -> str:
    """A whole configuration for an unprivileged nginx (``nginx -p <prefix> -c <file>``)
    listening on 127.0.0.1:``port``, its temporary files and logs under ``prefix``."""
    return "\n".join(
        [
            "worker_processes 1;",
            "events { worker_connections 512; }",
            "http {",
            f"    client_body_temp_path {prefix}/client_body;",
            f"    proxy_temp_path {prefix}/proxy;",
            f"    fastcgi_temp_path {prefix}/fastcgi;",
            f"    uwsgi_temp_path {prefix}/uwsgi;",
            f"    scgi_temp_path {prefix}/scgi;",
            "    log_format palabre '$request_method $uri node=$arg_node "
            "upstream=$upstream_addr status=$status';",
            f"    access_log {prefix}/access.log palabre;",
            upstreams(nodes, balance=balance),
            server_block(f"127.0.0.1:{port}", proto="http"),
            "}",
            "",
        ]
    )


def main(argv: Sequence[str]) -> int:
    nodes = dict(arg.split("=", 1) for arg in argv if "=" in arg)
    if not nodes or len(nodes) != len(argv):
        print("usage: python -m server.cluster.nginx NODE_ID=HOST:PORT ...", file=sys.stderr)
        return 2
    sys.stdout.write(upstreams(nodes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
