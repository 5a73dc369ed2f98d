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

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import col

from commsbot.store.db import read_only_engine
from commsbot.store.tables import IncidentRow, UpdateRow

log = logging.getLogger("commsbot.http")

#: Seconds from declaration to the first published update: 1 min … 2 h.
FIRST_UPDATE_BUCKETS = (60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0)
# Through the mapped columns, so that both databases return UTC-aware datetimes.
_FIRST_UPDATES = sa.select(col(IncidentRow.declared_at), col(UpdateRow.published_at)).join_from(
    IncidentRow,
    UpdateRow,
    sa.and_(col(UpdateRow.incident_id) == col(IncidentRow.id), col(UpdateRow.seq) == 1),
)
_DELIVERIES = sa.text(
    "SELECT target, state, count(*), coalesce(sum(CASE WHEN attempts > 1 THEN attempts - 1 "
    "ELSE 0 END), 0) FROM delivery GROUP BY target, state"
)
_REMINDERS = sa.text("SELECT kind, coalesce(sum(fire_count), 0) FROM reminder GROUP BY kind")
_OPEN = sa.text("SELECT status, count(*) FROM incident WHERE status <> 'recovered' GROUP BY status")


class StoreCollector(Collector):
    """Reads the database at each scrape (a few aggregate queries)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = read_only_engine(engine)

    def _tables(self, connection: sa.Connection) -> set[str]:
        return set(sa.inspect(connection).get_table_names())

    def collect(self) -> Iterator[Any]:
        try:
            with self._engine.connect() as connection:
                yield from self._collect(connection)
        except Exception:  # a scrape must answer even when the database does not
            log.warning("metrics: the database could not be read", exc_info=True)

    def _collect(self, connection: sa.Connection) -> Iterator[Any]:
        tables = self._tables(connection)
        open_incidents = GaugeMetricFamily(
            "commsbot_open_incidents", "Incidents not recovered, by status", labels=["status"]
        )
        for status, count in connection.execute(_OPEN):
            open_incidents.add_metric([status], count)
        yield open_incidents

        seconds = []
        for declared, published in connection.execute(_FIRST_UPDATES):
            seconds.append(max((published - declared).total_seconds(), 0.0))
        buckets = [(str(b), float(sum(1 for s in seconds if s <= b))) for b in FIRST_UPDATE_BUCKETS]
        buckets.append(("+Inf", float(len(seconds))))
        histogram = HistogramMetricFamily(
            "commsbot_time_to_first_update_seconds",
            "Time from declaring an incident to its first published update",
        )
        histogram.add_metric([], buckets, sum_value=sum(seconds))
        yield histogram

        if "delivery" in tables:
            deliveries = GaugeMetricFamily(
                "commsbot_deliveries", "Deliveries by target and state", labels=["target", "state"]
            )
            retries = GaugeMetricFamily(
                "commsbot_delivery_retries",
                "Attempts beyond the first, by target and state",
                labels=["target", "state"],
            )
            for target, state, count, extra in connection.execute(_DELIVERIES):
                deliveries.add_metric([target, state], count)
                retries.add_metric([target, state], extra)
            yield deliveries
            yield retries

        if "reminder" in tables:
            fired = GaugeMetricFamily(
                "commsbot_reminders_fired", "Times reminders fired, by kind", labels=["kind"]
            )
            for kind, count in connection.execute(_REMINDERS):
                fired.add_metric([kind], count)
            yield fired


class Metrics:
    """The app's registry and its request counter."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "commsbot_http_requests",
            "HTTP requests by method, route and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(StoreCollector(engine))
