"""Prometheus ``/metrics``: HTTP requests counted here, everything else read from the database.

Counts that live in the database (deliveries by state, retries, reminders fired, the time from
declaration to the first published update) are computed at scrape time from the data, so every
replica reports the same figures and a restart loses nothing. Sum the HTTP counters across
replicas; take any one replica's database figures (``max by`` works).

Each app has its own registry, so several apps in one process (tests) do not collide.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from commsbot.operations.ports import Operations, StoreFigures

log = logging.getLogger("commsbot.http")

#: Seconds from declaration to the first published update: 1 min … 2 h.
FIRST_UPDATE_BUCKETS = (60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0)


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

    seconds = figures.first_update_seconds
    buckets = [(str(b), float(sum(1 for s in seconds if s <= b))) for b in FIRST_UPDATE_BUCKETS]
    buckets.append(("+Inf", float(len(seconds))))
    histogram = HistogramMetricFamily(
        "commsbot_time_to_first_update_seconds",
        "Time from declaring an incident to its first published update",
    )
    histogram.add_metric([], buckets, sum_value=sum(seconds))
    yield histogram

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


class Metrics:
    """The app's registry and its request counter."""

    def __init__(self, operations: Operations) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "commsbot_http_requests",
            "HTTP requests by method, route and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(StoreCollector(operations))
