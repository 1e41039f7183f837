"""/privacy, /optout, /optin, /forget: the same texts as on Telegram (frontend.texts), in the
member's Discord locale, answered only to them (ephemeral).

/forget asks first (buttons), then enqueues the RQ forget job (jobs.queueing.enqueue_forget)
that deletes the member's stored reviews, and says how many once the job has run.
"""

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bots.discord.access import language_of
from frontend.texts import privacy_text, sentence
from reviewbot.messages import Language, Source

log = logging.getLogger(__name__)

#: How often /forget looks whether its job has finished.
JOB_POLL_S = 0.25


def retention_days() -> int:
    from storage.settings import StorageSettings

    return StorageSettings().retention_days


class ForgetConfirm(discord.ui.View):
    def __init__(self, cog: "Privacy", user_id: int, lang: Language) -> None:
        super().__init__(timeout=300)
        self.cog, self.user_id, self.lang = cog, user_id, lang
        self.yes.label = sentence("forget_yes", lang)
        self.no.label = sentence("forget_no", lang)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.user_id

    @discord.ui.button(style=discord.ButtonStyle.danger, custom_id="reviewbot:forget:yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=sentence("forget_started", self.lang), view=None
        )
        await interaction.followup.send(
            await self.cog.erase(self.user_id, self.lang), ephemeral=True
        )

    @discord.ui.button(style=discord.ButtonStyle.secondary, custom_id="reviewbot:forget:no")
    async def no(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=sentence("forget_cancelled", self.lang), view=None
        )


class Privacy(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self.state = bot.state

    @app_commands.command(description="What ReviewBot stores about you, and for how long.")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def privacy(self, interaction: discord.Interaction) -> None:
        lang = language_of(interaction)
        text = f"{sentence('about', lang)}\n{privacy_text(retention_days(), lang)}"
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(description="Stop ReviewBot from processing and storing your messages.")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def optout(self, interaction: discord.Interaction) -> None:
        await self.state.set_opted_out(Source.DISCORD, str(interaction.user.id), True)
        await interaction.response.send_message(
            sentence("optout_done", language_of(interaction)), ephemeral=True
        )

    @app_commands.command(description="Let ReviewBot classify your messages again.")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def optin(self, interaction: discord.Interaction) -> None:
        await self.state.set_opted_out(Source.DISCORD, str(interaction.user.id), False)
        await interaction.response.send_message(
            sentence("optin_done", language_of(interaction)), ephemeral=True
        )

    @app_commands.command(description="Erase everything ReviewBot stored about you.")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def forget(self, interaction: discord.Interaction) -> None:
        lang = language_of(interaction)
        await interaction.response.send_message(
            sentence("forget_confirm", lang),
            view=ForgetConfirm(self, interaction.user.id, lang),
            ephemeral=True,
        )

    async def erase(self, user_id: int, lang: Language) -> str:
        """Erase the member's data: the bot's own records now, their reviews by the forget job;
        the sentence that says how it went."""
        from jobs.queueing import enqueue_forget, jobs_queue

        try:
            await self.state.run(self.state.db.forget_member, user_id)
            self.state.forget_cooldowns_of(user_id)
            queue = self.bot.jobs_queue or await asyncio.to_thread(jobs_queue)
            job = await asyncio.to_thread(enqueue_forget, queue, Source.DISCORD.value, str(user_id))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.bot.settings.forget_wait_s
            while loop.time() < deadline:
                status = await asyncio.to_thread(job.get_status, True)
                if status == "finished":
                    return sentence("forget_done", lang, count=job.return_value())
                if status in ("failed", "stopped", "canceled"):
                    break
                await asyncio.sleep(JOB_POLL_S)
        except Exception:
            log.exception("/forget of member %s failed", user_id)
        return sentence("forget_failed", lang)


async def setup(bot) -> None:
    await bot.add_cog(Privacy(bot))
