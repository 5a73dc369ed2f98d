"""Prometheus ``/metrics``: HTTP requests counted here, everything else read from the database.

Counts that live in the database (deliveries by state, retries, reminders fired) are computed at
scrape time from the data; the comms figures by severity (time to first public update, approval
latency, lateness against promises, time to recover; promises kept and broken, RCAs on time and
late) are computed from every incident in the database and kept until an update is published or
they are ``[postmortem] metrics_max_age_seconds`` old (:mod:`commsbot.engines.comms_figures`).
So every replica reports the same figures and a restart loses nothing. Sum the HTTP counters
across replicas; take any one replica's database figures (``max by`` works).

Each app has its own registry, so several apps in one process (tests) do not collide.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from commsbot.engines.comms_figures import CommsFigures, Computed
from commsbot.operations.ports import Operations, StoreFigures
from commsbot.postmortem.metrics import Histogram

log = logging.getLogger("commsbot.http")

#: name, help, which histogram of ``SeverityFigures``.
_HISTOGRAMS = (
    (
        "commsbot_time_to_first_update_seconds",
        "Time from declaring an incident to its first published update, by severity",
        "time_to_first_update",
    ),
    (
        "commsbot_approval_latency_seconds",
        "Time from drafting each update to its approval (publication), RCAs left out",
        "approval_latency",
    ),
    (
        "commsbot_update_lateness_seconds",
        "How late the next update came against each promised time: 0 when kept, so far when "
        "overdue",
        "update_lateness",
    ),
    (
        "commsbot_time_to_recover_seconds",
        "Time from declaring an incident to its last recovery, recovered incidents only",
        "time_to_recover",
    ),
)
_COUNTERS = (
    ("commsbot_promises_kept", "Promised next updates that came in time", "promises_kept"),
    (
        "commsbot_promises_broken",
        "Promised next updates that came late, or are overdue while the incident is open",
        "promises_broken",
    ),
    ("commsbot_rca_on_time", "Root-cause analyses published by their due date", "rca_on_time"),
    (
        "commsbot_rca_late",
        "Root-cause analyses published after their due date, or past it and not published",
        "rca_late",
    ),
)


class StoreCollector(Collector):
    """Reads the database's figures at each scrape (a few aggregate queries)."""

    def __init__(self, operations: Operations) -> None:
        self._operations = operations

    def collect(self) -> Iterator[Any]:
        try:
            figures = self._operations.figures()
        except Exception:  # a scrape must answer even when the database does not
            log.warning("metrics: the database could not be read", exc_info=True)
            return
        yield from _families(figures)


def _families(figures: StoreFigures) -> Iterator[Any]:
    open_incidents = GaugeMetricFamily(
        "commsbot_open_incidents", "Incidents not recovered, by status", labels=["status"]
    )
    for status, count in figures.open_incidents:
        open_incidents.add_metric([status], count)
    yield open_incidents

    if figures.deliveries is not None:
        deliveries = GaugeMetricFamily(
            "commsbot_deliveries", "Deliveries by target and state", labels=["target", "state"]
        )
        retries = GaugeMetricFamily(
            "commsbot_delivery_retries",
            "Attempts beyond the first, by target and state",
            labels=["target", "state"],
        )
        for target, state, count, extra in figures.deliveries:
            deliveries.add_metric([target, state], count)
            retries.add_metric([target, state], extra)
        yield deliveries
        yield retries

    if figures.reminders_fired is not None:
        fired = GaugeMetricFamily(
            "commsbot_reminders_fired", "Times reminders fired, by kind", labels=["kind"]
        )
        for kind, count in figures.reminders_fired:
            fired.add_metric([kind], count)
        yield fired


class CommsCollector(Collector):
    """The comms figures by severity (recomputed only when stale: see CommsFigures)."""

    def __init__(self, figures: CommsFigures) -> None:
        self._figures = figures

    def collect(self) -> Iterator[Any]:
        try:
            computed = self._figures.current()
        except Exception:  # a scrape must answer even when the database does not
            log.warning("metrics: the comms figures could not be computed", exc_info=True)
            return
        yield from _comms_families(computed)


def _buckets(histogram: Histogram) -> list[tuple[str, float]]:
    return [
        ("+Inf" if bound == float("inf") else str(bound), float(count))
        for bound, count in histogram.cumulative()
    ]


def _comms_families(computed: Computed) -> Iterator[Any]:
    by_severity = sorted(computed.figures.by_severity.items(), key=lambda item: item[0].value)
    for name, documentation, attribute in _HISTOGRAMS:
        family = HistogramMetricFamily(name, documentation, labels=["severity"])
        for severity, figures in by_severity:
            histogram: Histogram = getattr(figures, attribute)
            family.add_metric([severity.value], _buckets(histogram), sum_value=histogram.total)
        yield family
    for name, documentation, attribute in _COUNTERS:
        counter = CounterMetricFamily(name, documentation, labels=["severity"])
        for severity, figures in by_severity:
            count: int = getattr(figures, attribute)
            counter.add_metric([severity.value], float(count))
        yield counter
    stamp = GaugeMetricFamily(
        "commsbot_comms_figures_timestamp_seconds",
        "When the comms figures above were computed from the database (Unix time)",
    )
    stamp.add_metric([], computed.at)
    yield stamp


class Metrics:
    """The app's registry and its request counter."""

    def __init__(self, operations: Operations, comms: CommsFigures) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "commsbot_http_requests",
            "HTTP requests by method, route and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(StoreCollector(operations))
        self.registry.register(CommsCollector(comms))
