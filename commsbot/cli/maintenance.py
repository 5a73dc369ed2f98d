"""``commsbot maintenance schedule|list|show|edit|start|verify|complete|extend|cancel|note``.

Every public word is a draft a second person approves with ``commsbot update approve`` (the one
approval command for every draft); ``start`` and ``complete`` without ``--body`` publish the
texts approved with the announcement at once. Times are read in the page's ``timezone`` unless
they carry an offset or a zone name (``--timezone`` changes the default for one command).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli.support import ActorOpt, JsonOpt, actor_option, run_command

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from commsbot.bootstrap import App
    from commsbot.maintenance.model import Maintenance, MaintenanceDraft, MaintenanceNotice

maintenance_app = typer.Typer(
    help="Scheduled maintenance: announced ahead with approval, started and completed on time.",
    no_args_is_help=True,
)

RefArg = Annotated[str, typer.Argument(metavar="MAINTENANCE", help="MNT-3, 3 or its id.")]
BodyOpt = Annotated[
    str | None,
    typer.Option(help="The public text ({start} and {end} are filled in with the window)."),
]
ZoneOpt = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        metavar="ZONE",
        help="Read times without an offset in this IANA zone (default: the page's timezone).",
    ),
]
StartOpt = Annotated[
    str | None,
    typer.Option(
        "--start",
        metavar="WHEN",
        help="2024-12-11 22:00 (page's zone), …T22:00-08:00, tomorrow 22:00, or 2h (from now).",
    ),
]
EndOpt = Annotated[
    str | None,
    typer.Option("--end", metavar="WHEN", help="As --start, or a length from the start: 2h."),
]


def _zone(wired: App) -> ZoneInfo:
    return wired.settings.zone


def maintenance_line(m: Maintenance, zone: ZoneInfo) -> str:
    from commsbot.maintenance.render import format_window

    state = m.status.value + ("" if m.announced or m.status.finished else " (not announced)")
    comps = ", ".join(m.components) or "no component"
    return (
        f"{m.ref:<7} {state:<28} {format_window(m.scheduled_for, m.scheduled_until, zone)}  "
        f"{m.title}  [{comps}]"
    )


def draft_lines(d: MaintenanceDraft, zone: ZoneInfo) -> list[str]:
    from commsbot.maintenance.render import format_window

    lines = [
        f"draft {d.id} v{d.version} ({d.kind.value}) by {', '.join(d.authors)}, {d.state.value}"
    ]
    if d.scheduled_for and d.scheduled_until:
        lines.append(f"  window: {format_window(d.scheduled_for, d.scheduled_until, zone)}")
    if d.components is not None:
        lines.append(f"  components: {', '.join(d.components) or 'none'}")
    lines += [f"  | {line}" for line in d.body.splitlines()]
    if d.start_text:
        lines.append(f"  at the start: {d.start_text}")
    if d.end_text:
        lines.append(f"  at the end: {d.end_text}")
    if d.decision_note:
        lines.append(f"  {d.state.value} by {d.decided_by}: {d.decision_note}")
    if d.state.value == "pending":
        lines += [
            "",
            f"  commsbot update approve {d.id} --version {d.version} "
            f"--as <approver other than {d.last_editor}>",
        ]
    return lines


def notice_lines(n: MaintenanceNotice, zone: ZoneInfo) -> list[str]:
    from commsbot.maintenance.render import format_moment

    by = f"approved by {n.approver}" + (" with the announcement" if n.automatic else "")
    lines = [
        f"notice #{n.seq} [{n.status.statuspage}] {n.kind.value} "
        f"{format_moment(n.published_at, zone)} ({by})"
    ]
    lines += [f"  | {line}" for line in n.body.splitlines()]
    lines += [f"  {c.name}: {c.old.value} → {c.new.value}" for c in n.changes]
    return lines


def _result(verb: str) -> Any:
    def human(r: Any, wired: App) -> str:
        zone = _zone(wired)
        lines = [f"{verb}: {maintenance_line(r.maintenance, zone)}"]
        if hasattr(r, "notice"):
            lines += notice_lines(r.notice, zone)
            lines.append(f"  on its way to {r.deliveries} destination(s)")
        if hasattr(r, "draft"):
            lines += draft_lines(r.draft, zone)
        lines += [f"warning: {w}" for w in getattr(r, "warnings", ())]
        return "\n".join(lines)

    return human


@maintenance_app.command("schedule")
def schedule(
    title: Annotated[str, typer.Option(help="What the public will see as its name.")],
    start: StartOpt = None,
    end: EndOpt = None,
    component: Annotated[
        list[str] | None,
        typer.Option("--component", "-c", metavar="NAME", help="A component (repeatable)."),
    ] = None,
    body: BodyOpt = None,
    start_text: Annotated[
        str | None, typer.Option(help="What the bot publishes when the window starts.")
    ] = None,
    end_text: Annotated[
        str | None, typer.Option(help="What the bot publishes when the window ends.")
    ] = None,
    auto_start: Annotated[
        bool | None, typer.Option("--auto-start/--no-auto-start", help="Start it on time.")
    ] = None,
    auto_complete: Annotated[
        bool | None,
        typer.Option("--auto-complete/--no-auto-complete", help="Complete it on time."),
    ] = None,
    timezone: ZoneOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan a window and draft its announcement (with the start and end texts) for approval."""
    from commsbot.domain.errors import InvalidInput
    from commsbot.services.maintenance import Texts
    from commsbot.services.maintenance import schedule as schedule_maintenance

    def action(w: App) -> Any:
        if not start:
            raise InvalidInput("give the start (--start WHEN)", field="scheduled_for")
        if not end:
            raise InvalidInput(
                "give the end or a length (--end WHEN, e.g. 2h)", field="scheduled_until"
            )
        return schedule_maintenance(
            w.deps,
            title=title,
            start=start,
            end=end,
            components=component or [],
            actor=actor_option(actor),
            timezone=timezone,
            texts=Texts(body=body, start_text=start_text, end_text=end_text),
            auto_start=auto_start,
            auto_complete=auto_complete,
        )

    run_command(as_json, action, _result("Scheduled"))


@maintenance_app.command("list")
def list_command(
    include_finished: Annotated[
        bool, typer.Option("--all", help="Also completed and cancelled ones.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List maintenances, latest window first (open ones unless --all)."""
    from commsbot.maintenance.views import maintenance_dict
    from commsbot.services.maintenance import list_maintenances

    def human(items: Any, wired: App) -> str:
        return "\n".join(maintenance_line(m, _zone(wired)) for m in items) or "No maintenance."

    run_command(
        as_json,
        lambda w: list_maintenances(w.deps, include_finished=include_finished),
        human,
        lambda items: {"maintenances": [maintenance_dict(m) for m in items]},
    )


@maintenance_app.command("show")
def show(ref: RefArg, as_json: JsonOpt = False) -> None:
    """Its window, status, published notices, drafts waiting, timeline and overlaps."""
    from commsbot.maintenance.render import format_moment
    from commsbot.services.maintenance import show as show_maintenance

    def human(d: Any, wired: App) -> str:
        zone = _zone(wired)
        m = d.maintenance
        out = [
            maintenance_line(m, zone),
            f"  owner {m.owner}; the bot starts it: {_yes(m.auto_start)}, "
            f"completes it: {_yes(m.auto_complete)}",
        ]
        out += ["", "Published notices:"]
        for n in d.notices:
            out += [f"  {line}" for line in notice_lines(n, zone)]
        if not d.notices:
            out.append("  none (not announced yet)")
        if d.pending:
            out += ["", "Drafts waiting for approval:"]
            for draft in d.pending:
                out += [f"  {line}" for line in draft_lines(draft, zone)]
        out += [f"warning: {w}" for w in d.overlaps]
        out += ["", "Timeline:"]
        out += [
            f"  {format_moment(e.at, zone)}  {e.actor:<12} {e.action:<16} {e.detail}"
            for e in d.timeline
        ]
        return "\n".join(out)

    run_command(as_json, lambda w: show_maintenance(w.deps, ref=ref), human)


@maintenance_app.command("edit")
def edit(
    draft: Annotated[str, typer.Argument(metavar="DRAFT", help="The draft id.")],
    version: Annotated[
        int | None, typer.Option(help="The version you read (refused if it changed since).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="A new title (announcement).")] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    component: Annotated[
        list[str] | None,
        typer.Option("--component", "-c", metavar="NAME", help="The components (announcement)."),
    ] = None,
    body: BodyOpt = None,
    start_text: Annotated[str | None, typer.Option(help="A new start text.")] = None,
    end_text: Annotated[str | None, typer.Option(help="A new end text.")] = None,
    timezone: ZoneOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a pending maintenance draft (someone else approves the new version)."""
    from commsbot.services.maintenance import edit_draft

    run_command(
        as_json,
        lambda w: edit_draft(
            w.deps,
            draft_id=draft,
            actor=actor_option(actor),
            version=version,
            body=body,
            title=title,
            start=start,
            end=end,
            components=component,
            start_text=start_text,
            end_text=end_text,
            timezone=timezone,
        ),
        _result("Edited"),
    )


def _move(name: str, verb: str, doc: str) -> None:
    def command(
        ref: RefArg, body: BodyOpt = None, actor: ActorOpt = None, as_json: JsonOpt = False
    ) -> None:
        from commsbot.services import maintenance

        use_case = getattr(maintenance, name)
        run_command(
            as_json,
            lambda w: use_case(w.deps, ref=ref, actor=actor_option(actor), body=body),
            _result(verb),
        )

    command.__doc__ = doc
    maintenance_app.command(name)(command)


_move(
    "start",
    "Started",
    "Start it now: with the approved start text, or --body (a draft for a second person).",
)
_move("verify", "Drafted", "Draft the move to verifying (the work is done, being checked).")
_move(
    "complete",
    "Completed",
    "Complete it now: with the approved end text, or --body (a draft for a second person).",
)
_move(
    "cancel",
    "Cancelled",
    "Cancel it before it starts (once announced, the cancellation is a draft to approve).",
)


@maintenance_app.command("note")
def note(
    ref: RefArg,
    body: Annotated[str, typer.Option(help="The note's public text.")],
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft a progress note (the status stays)."""
    from commsbot.services.maintenance import post_note

    run_command(
        as_json,
        lambda w: post_note(w.deps, ref=ref, actor=actor_option(actor), body=body),
        _result("Drafted"),
    )


@maintenance_app.command("extend")
def extend(
    ref: RefArg,
    end: EndOpt = None,
    start: Annotated[
        str | None, typer.Option("--start", metavar="WHEN", help="A new start (not started yet).")
    ] = None,
    body: BodyOpt = None,
    timezone: ZoneOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft a new window (a later end; before the start, a new start too) for approval."""
    from commsbot.services.maintenance import extend as extend_maintenance

    run_command(
        as_json,
        lambda w: extend_maintenance(
            w.deps,
            ref=ref,
            actor=actor_option(actor),
            end=end or "",
            start=start,
            body=body,
            timezone=timezone,
        ),
        _result("Drafted"),
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "no (by hand)"
