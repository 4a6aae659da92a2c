"""Prometheus metrics, served on their own address (PALABRE_METRICS_ADDRESS), never on the
public port.

Every metric is named ``palabre_*`` and carries the ``node`` label
(PALABRE_NODE_ID). No label ever holds a session, case, participant or link id,
nor a raw path: HTTP requests are counted by route pattern
(``/api/cases/{case_id}``).

Read from the live objects at scrape time (gauges and counters that cannot drift):

* ``palabre_live_sessions``: live sessions held on this node
* ``palabre_participants{state}``: connected participants by lobby state
  (``waiting``, ``admitted``, ...)
* ``palabre_socketio_connections``: open Socket.IO connections
* ``palabre_forwarded_streams{kind}``: media streams the relay forwards
  (one publisher track to one subscriber), ``palabre_relay_peer_connections``
* ``palabre_relay_packets_received_total``, ``palabre_relay_packets_forwarded_total``,
  ``palabre_relay_packets_lost_total`` (lost between publishers and the relay, as
  the relay's RTCP receiver counts them)
* ``palabre_draining``: 1 while the node drains

Counted as things happen:

* ``palabre_board_operations_total{result}`` (``stored``, ``refused``) and
  ``palabre_board_operation_seconds`` (from submission to delivery: what the
  author waits for)
* ``palabre_http_requests_total{method, route, status}`` (status class: ``2xx``...)
  and ``palabre_http_request_duration_seconds{route}``
* ``palabre_purge_runs_total{result}`` (``ok``, ``failed``),
  ``palabre_purge_items_total{category}``, ``palabre_purge_last_run_timestamp_seconds``,
  ``palabre_purge_last_success_timestamp_seconds``, ``palabre_purge_interval_seconds``
* ``palabre_build_info{version}``

Each app has its own registry (tests build several apps in one process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from server.accesslog import route_of
from server.errors import Handler
from server.health import NodeState
from signaling.namespace import SessionNamespace
from signaling.relay import Relay

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNTIMED_ROUTES = frozenset({"/socket.io/"})  # a websocket lasts as long as the session


class LiveCollector(Collector):
    """What the live objects hold, read when Prometheus scrapes (on the event loop)."""

    def __init__(self, node: NodeState, namespace: SessionNamespace) -> None:
        self._node = node
        self._namespace = namespace

    def collect(self) -> Iterable[Metric]:
        node = self._node.node_id
        hub = self._namespace.hub
        sessions = hub.live_sessions()
        yield _gauge(
            "palabre_live_sessions", "Live sessions held on this node.", node, len(sessions)
        )
        by_state: dict[str, int] = {"waiting": 0, "admitted": 0}
        for session in sessions:
            for view in session.lobby.participants():
                if view.connected:
                    by_state[view.state.value] = by_state.get(view.state.value, 0) + 1
        participants = GaugeMetricFamily(
            "palabre_participants",
            "Participants connected to a live session on this node, by lobby state.",
            labels=["node", "state"],
        )
        for state, count in sorted(by_state.items()):
            participants.add_metric([node, state], count)
        yield participants
        server = getattr(self._namespace, "server", None)
        sockets = getattr(getattr(server, "eio", None), "sockets", {})
        yield _gauge(
            "palabre_socketio_connections", "Open Socket.IO connections.", node, len(sockets)
        )
        yield _gauge("palabre_draining", "1 while this node drains.", node, self._node.draining)
        relay = self._namespace.relay
        if isinstance(relay, Relay):
            yield from _relay_metrics(relay, node)


def _gauge(name: str, doc: str, node: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=["node"])
    family.add_metric([node], value)
    return family


def _counter(name: str, doc: str, node: str, value: float) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=["node"])
    family.add_metric([node], value)
    return family


def _relay_metrics(relay: Relay, node: str) -> Iterable[Metric]:
    streams = GaugeMetricFamily(
        "palabre_forwarded_streams",
        "Media streams forwarded by the relay (one publisher track to one subscriber).",
        labels=["node", "kind"],
    )
    by_kind = {"audio": 0, "video": 0}
    for stream in relay.forwarded_streams():
        if stream.active:
            by_kind[stream.kind] = by_kind.get(stream.kind, 0) + 1
    for kind, count in sorted(by_kind.items()):
        streams.add_metric([node, kind], count)
    yield streams
    yield _gauge(
        "palabre_relay_peer_connections",
        "WebRTC peer connections open on the relay.",
        node,
        relay.peer_connection_count,
    )
    counts = relay.packet_counts()
    yield _counter(
        "palabre_relay_packets_received",
        "RTP packets received from publishers.",
        node,
        counts.received,
    )
    yield _counter(
        "palabre_relay_packets_forwarded",
        "RTP packets forwarded to subscribers.",
        node,
        counts.forwarded,
    )
    yield _counter(
        "palabre_relay_packets_lost",
        "RTP packets lost between publishers and the relay.",
        node,
        counts.lost,
    )


class Metrics:
    """The registry of one app and what feeds it (see the module's docstring)."""

    def __init__(self, node: NodeState, version: str, purge_interval_hours: int) -> None:
        self.node = node
        self.address: tuple[str, int] | None = None  # where /metrics is served, once it is
        self.registry = CollectorRegistry()
        r, n = self.registry, ["node"]
        self._board_ops = Counter(
            "palabre_board_operations", "Whiteboard operations applied, by result.",
            [*n, "result"], registry=r,
        )  # fmt: skip
        self._board_seconds = Histogram(
            "palabre_board_operation_seconds",
            "From a whiteboard operation's submission to its delivery (or refusal).",
            n, registry=r, buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self._http = Counter(
            "palabre_http_requests", "HTTP requests, by route pattern and status class.",
            [*n, "method", "route", "status"], registry=r,
        )  # fmt: skip
        self._http_seconds = Histogram(
            "palabre_http_request_duration_seconds", "HTTP request duration, by route pattern.",
            [*n, "route"], registry=r, buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self._purge_runs = Counter(
            "palabre_purge_runs", "Retention purge runs, by result.", [*n, "result"], registry=r
        )
        self._purge_items = Counter(
            "palabre_purge_items", "Items removed by the retention purge, by category.",
            [*n, "category"], registry=r,
        )  # fmt: skip
        self._purge_last = Gauge(
            "palabre_purge_last_run_timestamp_seconds", "When the last purge run ended.", n,
            registry=r,
        )  # fmt: skip
        self._purge_last_ok = Gauge(
            "palabre_purge_last_success_timestamp_seconds",
            "When the last successful purge run ended.", n, registry=r,
        )  # fmt: skip
        Gauge(
            "palabre_purge_interval_seconds", "Time between two purge runs.", n, registry=r
        ).labels(node.node_id).set(purge_interval_hours * 3600)
        Gauge("palabre_build_info", "Palabre's version.", [*n, "version"], registry=r).labels(
            node.node_id, version
        ).set(1)
        for result in ("stored", "refused"):
            self._board_ops.labels(node.node_id, result)
        for result in ("ok", "failed"):
            self._purge_runs.labels(node.node_id, result)

    # -- signaling's observer (signaling.observe.BoardObserver) ---------------------------

    def board_ops(self, count: int, seconds: float, stored: bool) -> None:
        node = self.node.node_id
        self._board_ops.labels(node, "stored" if stored else "refused").inc(count)
        self._board_seconds.labels(node).observe(seconds)

    # -- the retention purge ----------------------------------------------------------------

    def purged(self, counts: Mapping[str, int] | None) -> None:
        """A purge run ended: ``counts`` per category, or None if it failed."""
        node, now = self.node.node_id, time.time()
        self._purge_last.labels(node).set(now)
        if counts is None:
            self._purge_runs.labels(node, "failed").inc()
            return
        self._purge_runs.labels(node, "ok").inc()
        self._purge_last_ok.labels(node).set(now)
        for category, count in counts.items():
            self._purge_items.labels(node, category).inc(count)

    # -- HTTP -------------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = route_of(request)
            method = request.method if request.method in METHODS else "other"
            node = self.node.node_id
            self._http.labels(node, method, route, f"{status // 100}xx").inc()
            if route not in UNTIMED_ROUTES:
                elapsed = time.perf_counter() - started
                self._http_seconds.labels(node, route).observe(elapsed)

    # -- wiring -----------------------------------------------------------------------------

    def watch(self, namespace: SessionNamespace) -> None:
        self.registry.register(LiveCollector(self.node, namespace))

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", Metrics)


def metrics_server(
    metrics: Metrics, host: str, port: int
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Serves ``GET /metrics`` on ``host:port`` for as long as the app runs."""

    async def scrape(_request: web.Request) -> web.Response:
        return web.Response(
            body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4}
        )

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        own = web.Application()
        own.router.add_get("/metrics", scrape)
        runner = web.AppRunner(own, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound: Any = runner.addresses[0]
            metrics.address = (str(bound[0]), int(bound[1]))
            logger.info("metrics served on %s port %d (/metrics)", *metrics.address)
            yield
        finally:
            metrics.address = None
            await runner.cleanup()

    return ctx
