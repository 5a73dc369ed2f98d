"""The over-time report on 1,000 generated incidents: aggregation and rendering, against reading
the same facts out as JSON; then end to end, through the store on SQLite.

Goal (issue 14): the report on 1,000 incidents within 2 s. Each figure is the median of
``--runs`` runs in this process; the baseline, measured in the same run, turns every incident's
facts into plain dicts and ``json.dumps`` them: the least any report has to do with the data.
Also one incident's whole postmortem (Markdown, HTML with its chart, SVG, JSON).

End to end: the same incidents written into a SQLite database through the real use cases
(declare, propose, approve; ``bench/_postmortem_store.py``, not timed), then what ``commsbot
report --html`` does: the use case reading every incident in batches through the read port,
the figures, the charts, the HTML. Its baseline, in the same run: ``SELECT *`` of the four
tables it reads (incidents, updates, drafts, deliveries) and ``json.dumps`` of the rows.

Prints a Markdown table; ``--write`` also replaces the section in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from _postmortem_store import seed  # noqa: E402
from _report import write_section  # noqa: E402

from commsbot.postmortem import (  # noqa: E402
    build_report,
    compute,
    incident_chart,
    render_html,
    render_markdown,
    render_report_html,
    render_report_markdown,
    report_charts,
    report_to_json,
    to_json,
)
from commsbot.postmortem.model import PostmortemFacts  # noqa: E402
from commsbot.postmortem.text import iso  # noqa: E402
from commsbot.services.postmortems import team_report  # noqa: E402
from tests.postmortem.generate import incidents  # noqa: E402

ZONE = ZoneInfo("America/Los_Angeles")


def plain(facts: PostmortemFacts) -> dict[str, Any]:
    """The facts as plain data, every field touched once (the baseline's work)."""
    inc = facts.incident
    return {
        "incident": {
            "id": inc.id, "ref": inc.ref, "title": inc.title, "severity": inc.severity.value,
            "status": inc.status.value, "declared_at": iso(inc.declared_at),
            "resolved_at": iso(inc.resolved_at), "components": list(inc.components),
        },
        "updates": [
            {
                "seq": u.seq, "status": u.status.value, "body": u.body, "authors": list(u.authors),
                "approver": u.approver, "drafted_at": iso(u.drafted_at),
                "published_at": iso(u.published_at), "next_update_by": iso(u.next_update_by),
                "changes": [[c.name, c.old.value, c.new.value] for c in u.changes],
            }
            for u in facts.updates
        ],
        "deliveries": [
            {
                "seq": d.update_seq, "to": d.destination, "result": d.result.value,
                "attempts": d.attempts, "created_at": iso(d.created_at), "sent_at": iso(d.sent_at),
            }
            for d in facts.deliveries
        ],
        "rca_due": [iso(r.due_at) for r in facts.rca_due],
    }  # fmt: skip


def median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--db",
        type=Path,
        help="keep the seeded SQLite database here, and reuse it when it exists (writing "
        "1,000 incidents through the use cases takes minutes)",
    )
    args = parser.parse_args()

    facts = incidents(args.incidents)
    count = len(facts)

    def baseline() -> str:
        return json.dumps([plain(f) for f in facts])

    def aggregate() -> object:
        return build_report(facts, zone=ZONE)

    report = build_report(facts, zone=ZONE)

    def render() -> object:
        charts = report_charts(report)
        return (
            render_report_html(report, zone=ZONE, charts=charts),
            render_report_markdown(report, zone=ZONE),
            json.dumps(report_to_json(report)),
        )

    def whole() -> object:
        built = build_report(facts, zone=ZONE)
        charts = report_charts(built)
        return render_report_html(built, zone=ZONE, charts=charts)

    one = max(facts, key=lambda f: (len(f.updates), len(f.deliveries)))

    def postmortem() -> object:
        figs = compute(one)
        return (
            render_markdown(one, zone=ZONE, figures=figs, chart_path="chart.svg"),
            render_html(one, zone=ZONE, figures=figs),
            incident_chart(one, zone=ZONE, figures=figs),
            json.dumps(to_json(one, figures=figs)),
        )

    # In memory where Linux offers it: writing the incidents is setup, not what is measured.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="commsbot-bench-", dir=shm) as folder:
        seeded = time.perf_counter()
        app = seed(args.db or Path(folder) / "report.db", facts, reuse=args.db is not None)
        seeded = time.perf_counter() - seeded
        engine = app.engine
        with engine.connect() as conn:
            stored = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                      for t in ("incident", "incident_update", "delivery")}  # fmt: skip

        def store_baseline() -> str:
            with engine.connect() as conn:
                return json.dumps(
                    [
                        [list(row) for row in conn.execute(sa.text(f"SELECT * FROM {t}"))]
                        for t in ("incident", "incident_update", "draft", "delivery")
                    ],
                    default=str,
                )

        def end_to_end() -> object:
            found = team_report(app.deps, since="all")
            charts = report_charts(found.report)
            return render_report_html(found.report, zone=ZONE, charts=charts)

        store_base = median_seconds(store_baseline, args.runs)
        store_total = median_seconds(end_to_end, args.runs)
        engine.dispose()

    base = median_seconds(baseline, args.runs)
    rows = [
        (f"plain dicts + `json.dumps` of the {count} incidents' facts (baseline)", base),
        (f"aggregation (`build_report`: figures of {count} incidents, groups)",
         median_seconds(aggregate, args.runs)),
        ("rendering (3 SVG charts, HTML, Markdown, JSON)", median_seconds(render, args.runs)),
        ("**whole report: aggregation + charts + HTML**", median_seconds(whole, args.runs)),
    ]  # fmt: skip
    single = median_seconds(postmortem, args.runs * 5)
    total = max(rows[-1][1], store_total)
    updates = sum(len(f.updates) for f in facts)
    deliveries = sum(len(f.deliveries) for f in facts)
    lines = [
        f"{count} generated incidents (`tests/postmortem/generate.py`: {updates} updates, "
        f"{deliveries} deliveries), median of {args.runs} runs "
        "each in one process (`python bench/postmortem_report.py`). The baseline reads every "
        "fact out once, each timestamp as ISO 8601 text, and serialises it: what the report's "
        "data must at least cost. Aggregation computes every figure of every incident and "
        "groups them by severity, month (team's zone) and both.",
        "",
        "| what | median | ratio to baseline |",
        "|---|---|---|",
        *(f"| {what} | {secs * 1000:.0f} ms | {secs / base:.2f}× |" for what, secs in rows),
        "",
        f"**Through the store on SQLite**: the same {count} incidents written through the "
        f"use cases ({stored['incident']} incidents, {stored['incident_update']} updates, "
        f"{stored['delivery']} deliveries; reopens left out; "
        f"{seeded:.0f} s to write or open, not timed).",
        "",
        "| what | median | ratio to baseline |",
        "|---|---|---|",
        f"| `SELECT *` of incidents, updates, drafts, deliveries + `json.dumps` (baseline) | "
        f"{store_base * 1000:.0f} ms | 1.00× |",
        f"| **whole report from the database** (`team_report` in batches of 500 through the "
        f"read port, figures, 3 charts, HTML) | {store_total * 1000:.0f} ms | "
        f"{store_total / store_base:.2f}× |",
        "",
        f"Goal: the report on {count} incidents within 2 s — "
        f"{'met' if total < 2 else 'NOT met'} ({total:.2f} s). "
        f"One incident's whole postmortem (figures, Markdown, HTML with its chart, SVG, JSON; "
        f"{len(one.updates)} updates, {len(one.deliveries)} deliveries): {single * 1000:.1f} ms. "
        f"Load average at the end of the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
    ]  # fmt: skip
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section("Postmortem report", body)
    return 0 if total < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
