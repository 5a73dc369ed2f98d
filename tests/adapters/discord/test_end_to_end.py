"""The whole Discord path on the real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from commsbot.bootstrap import build
from commsbot.delivery.ports import Notice
from commsbot.services.incidents import show_incident
from commsbot.services.reminders import list_reminders
from commsbot.settings import Settings
from tests.adapters.discord.bot import ALEX_M, MAYA_M, SAM_M, discord_bot, team_settings
from tests.adapters.discord.helpers import SAM, buttons_of, command, option, press, run


def test_declare_in_discord_then_approve_with_the_button_publishes_in_the_database(
    database_url: str,
) -> None:
    settings: Settings = team_settings(database_url=database_url)
    app = build(settings)
    deps = app.deps

    async def scenario() -> None:
        async with discord_bot(deps) as bot:
            declared = command(
                "declare",
                MAYA_M,
                option("title", "ChatGPT down"),
                option("severity", "sev1"),
                option("components", "ChatGPT"),
            )
            await bot.dispatch(declared)
            assert "Declared **INC-1**" in bot.answers(declared)[-1].body["content"]
            [draft] = show_incident(deps, incident_ref="INC-1").pending
            message = await bot.request_approval(draft_id=draft.id, version=draft.version)

            refused = press(f"commsbot:approve:{draft.id}:1", ALEX_M, message)
            await bot.dispatch(refused)
            assert "may not approve" in bot.answers(refused)[-1].body["content"]
            self_approval = press(f"commsbot:approve:{draft.id}:1", MAYA_M, message)
            await bot.dispatch(self_approval)
            assert show_incident(deps, incident_ref="INC-1").updates == []

            await bot.dispatch(press(f"commsbot:approve:{draft.id}:1", SAM_M, message))
            assert message["components"] == []

            reminder = list_reminders(deps, incident_ref="INC-1")[0].reminder
            await bot.notifier.notify(
                Notice(
                    kind="reminder",
                    incident_id=reminder.incident_id,
                    incident_ref="INC-1",
                    text="The next update is due.",
                    reminder_id=reminder.id,
                )
            )
            posted = bot.fake.messages[max(bot.fake.messages)]
            assert buttons_of(posted)[0] == f"commsbot:snooze:{reminder.id}"
            await bot.dispatch(press(f"commsbot:cancel:{reminder.id}", SAM_M, posted))
            assert posted["embeds"][0]["fields"][-1]["name"] == "Reminder cancelled"

        detail = show_incident(deps, incident_ref="INC-1")
        [update] = detail.updates
        assert update.approver == f"discord:{SAM}"
        assert detail.incident.components["ChatGPT"].value == "major_outage"
        assert reminder.id not in {
            v.reminder.id for v in list_reminders(deps, incident_ref="INC-1")
        }

    run(scenario)
