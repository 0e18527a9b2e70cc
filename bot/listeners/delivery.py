"""Carry out a Reply: post, update, share, tell privately; report failures to the person."""

from __future__ import annotations

import json
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot import blocks
from bot.blocks import Message
from bot.conversation import CreatePlan, PlanFile, Reply
from bot.listeners.payload import ClickPayload
from bot.webapi import retry_handlers

log = logging.getLogger("usecase_bot")
feedback_log = logging.getLogger("usecase_bot.feedback")

# chat.postMessage errors meaning "the bot is not where it was asked to post"
CANNOT_POST_HERE = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)


class Delivery:
    """Where a reply goes: the channel, the thread, the clicked message, the person."""

    def __init__(
        self,
        client: WebClient,
        *,
        channel: str | None,
        user_id: str | None,
        thread_ts: str | None = None,
        response_url: str | None = None,
        clicked_ts: str | None = None,
        clicked_ephemeral: bool = False,
        trigger_id: str | None = None,
        segment=None,
    ):
        self.client = client
        self.channel = channel
        self.user_id = user_id
        self.thread_ts = thread_ts
        self.response_url = response_url
        self.clicked_ts = clicked_ts
        self.clicked_ephemeral = clicked_ephemeral
        self.trigger_id = trigger_id
        self.segment = segment  # creates tracking plans in Segment, when configured

    @classmethod
    def for_click(cls, client: WebClient, click: ClickPayload, segment=None) -> Delivery:
        return cls(
            client,
            channel=click.channel,
            user_id=click.user_id,
            thread_ts=click.thread_ts,
            response_url=click.response_url,
            clicked_ts=click.ts,
            clicked_ephemeral=click.ephemeral,
            trigger_id=click.trigger_id,
            segment=segment,
        )

    def carry_out(self, reply: Reply) -> None:
        if reply.log:
            feedback_log.info(json.dumps(reply.log, sort_keys=True))
        if reply.private:
            self.tell_privately(reply.private)
        if reply.post and self.clicked_ephemeral and not reply.public:
            self.tell_privately(reply.post)  # what began privately stays private until shared
        elif reply.post:  # the next step first: it is what the person waits for
            self.post(reply.post, thread_ts=self.thread_ts)
        if reply.update:
            self.update_clicked(reply.update)  # a failed update does not undo the next step
        if reply.update_root and self.thread_ts and self.thread_ts != self.clicked_ts:
            # the root of a /usecase thread is the bot's; a person's root is left as it is
            self._call(
                "chat.update",
                self.client.chat_update,
                channel=self.channel,
                ts=self.thread_ts,
                quiet=("cant_update_message", "message_not_found"),
                **reply.update_root.as_kwargs(),
            )
        if reply.share:
            self.share(reply.share, reply.share_to)
        if reply.file:
            self.upload(reply.file)
        if reply.create:
            self.create_plan(reply.create)

    def share(self, shared: Message, to: str | None) -> bool:
        """The shared copy in the channel (or the one picked), linked to the conversation."""
        if to is None and not self.clicked_ephemeral and self.channel and self.clicked_ts:
            link = self._permalink(self.thread_ts or self.clicked_ts)
            if link:
                shared = blocks.with_permalink(shared, link)
        if to is None:
            return self.post(shared, thread_ts=None)
        error = self._call(
            "chat.postMessage",
            self.client.chat_postMessage,
            channel=to,
            unfurl_links=False,
            unfurl_media=False,
            **shared.as_kwargs(),
        )
        if error in CANNOT_POST_HERE:
            return self.tell_privately(blocks.build_notice(blocks.cannot_post_here(to)))
        if error is not None:
            self.tell_privately(blocks.build_notice(blocks.FAILED))
        return error is None

    def _permalink(self, ts: str) -> str | None:
        try:
            answer = self.client.chat_getPermalink(channel=self.channel, message_ts=ts)
        except (SlackApiError, SlackClientError) as exc:
            _log_failure("chat.getPermalink", type(exc).__name__, self.channel)
            return None
        link = answer.get("permalink")
        return link if isinstance(link, str) and link.startswith("https://") else None

    def upload(self, file: PlanFile) -> bool:
        """The file in the thread; where Slack refuses it, the same content inline (or in a modal
        when it is too long for a message)."""
        error = "only you can see this conversation" if self.clicked_ephemeral else None
        if self.channel and error is None:
            error = self._call(
                "files.upload_v2",
                self.client.files_upload_v2,
                channel=self.channel,
                thread_ts=self.thread_ts,
                filename=file.filename,
                title=file.title,
                content=file.content,
                initial_comment=file.title,
            )
            if error is None:
                return True
        why = f"Slack did not take the file ({error or 'no channel'}), so here it is inline"
        if self.clicked_ephemeral:
            why = "shown only to you: share the recommendation to post files for your team"
        if blocks.plan_fits_inline(file.content) or not self.trigger_id:
            inline = blocks.build_plan_inline(file.title, file.content, why)
            if self.channel and not self.clicked_ephemeral:
                return self.post(inline, thread_ts=self.thread_ts)
            return self.tell_privately(inline)
        view = blocks.build_plan_modal(file.title, file.content)
        return self._call("views.open", self.client.views_open, trigger_id=self.trigger_id, view=view) is None

    def create_plan(self, create: CreatePlan) -> bool:
        if self.segment is None:
            return self.tell_privately(blocks.build_notice(blocks.NO_SEGMENT_TOKEN))
        outcome = self.segment(create.name, create.rules)
        message = blocks.build_plan_created(create.name, outcome.plan_id, outcome.ok, outcome.message)
        if self.clicked_ephemeral:
            return self._respond(message, replace_original=True)
        return self.tell_privately(message)

    def post(self, message: Message, *, thread_ts: str | None) -> bool:
        if not self.channel:
            return self.tell_privately(message)
        error = self._call(
            "chat.postMessage",
            self.client.chat_postMessage,
            channel=self.channel,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **message.as_kwargs(),
        )
        if error is None:
            return True
        if error in CANNOT_POST_HERE:
            # nothing is lost: the person gets the answer privately, with how to fix it
            return self.tell_privately(blocks.build_cannot_post_here(self.channel, message))
        self.tell_privately(blocks.build_notice(blocks.FAILED))
        return False

    def update_clicked(self, message: Message) -> bool:
        if self.clicked_ephemeral:
            return self._respond(message, replace_original=True)
        if not (self.channel and self.clicked_ts):
            return False
        return (
            self._call(
                "chat.update",
                self.client.chat_update,
                channel=self.channel,
                ts=self.clicked_ts,
                **message.as_kwargs(),
            )
            is None
        )

    def tell_privately(self, message: Message) -> bool:
        if self.response_url and self._respond(message, replace_original=False):
            return True
        if not (self.channel and self.user_id):
            return False
        return (
            self._call(
                "chat.postEphemeral",
                self.client.chat_postEphemeral,
                channel=self.channel,
                user=self.user_id,
                thread_ts=self.thread_ts,
                **message.as_kwargs(),
            )
            is None
        )

    def _call(self, method: str, call, quiet: tuple[str, ...] = (), **arguments) -> str | None:
        """Make a Web API call (retried by the client's handlers); None, or the error it ended
        with (logged, unless it is one of `quiet`: expected, and nothing to fix)."""
        try:
            call(**arguments)
            return None
        except SlackApiError as exc:
            error = (exc.response.get("error") if exc.response is not None else None) or "error"
        except SlackClientError as exc:
            error = type(exc).__name__
        if error not in quiet:
            _log_failure(method, error, self.channel)
        return error

    def _respond(self, message: Message, *, replace_original: bool) -> bool:
        try:
            webhook = WebhookClient(self.response_url, timeout=10, retry_handlers=retry_handlers())
            answer = webhook.send(
                text=message.text,
                blocks=message.blocks,
                response_type="ephemeral",
                replace_original=replace_original,
            )
        except Exception as exc:  # noqa: BLE001 - any transport failure: log and fall back
            _log_failure("response_url", type(exc).__name__, self.channel)
            return False
        if answer.status_code != 200:
            _log_failure("response_url", f"HTTP {answer.status_code}", self.channel)
            return False
        return True


def _log_failure(method: str, error: str | None, channel: str | None) -> None:
    log.warning("Slack API call failed: method=%s error=%s channel=%s", method, error, channel)
