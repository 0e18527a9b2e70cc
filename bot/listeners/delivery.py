"""Carry out a Reply: post, update, share, tell privately; report failures to the person.

Every Web API call is a journaled step of the request's job (bot/listeners/background.py): a
rate-limited call is tried again after its Retry-After, a timeout, a refused connection or a 5xx
after a short backoff, a bounded number of times, on a timer; and whatever a call ends with, the
person hears about a failure (through the command's or click's response_url, or privately in the
channel), never only the log.
"""

from __future__ import annotations

import json
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import blocks
from bot.blocks import Message
from bot.conversation import CreatePlan, PlanFile, Reply
from bot.listeners.background import acknowledge, step
from bot.listeners.payload import ClickPayload
from bot.retries import Retry, next_try
from bot.webapi import WEB_API_TIMEOUT

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

    def carry_out(self, reply: Reply) -> bool:
        """Carry out `reply`; False when what it was for (its post, share, file or plan) did not
        happen, and the person was told so: a click's prompt then stays usable."""
        if reply.log:
            step(lambda _: feedback_log.info(json.dumps(reply.log, sort_keys=True)))
        done = True
        if reply.private:
            self.tell_privately(reply.private)
        if reply.post and self.clicked_ephemeral and not reply.public:
            done = self.tell_privately(reply.post)  # what began privately stays private until shared
        elif reply.post:  # the next step first: it is what the person waits for
            done = self.post(reply.post, thread_ts=self.thread_ts)
        if not done:
            return False  # the clicked message keeps its buttons: "try again" can be acted on
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
            done = self.share(reply.share, reply.share_to) and done
        if reply.file:
            done = self.upload(reply.file) and done
        if reply.create:
            done = self.create_plan(reply.create) and done
        return done

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
            self.tell_privately(blocks.build_notice(blocks.cannot_post_here(to)))
            return False
        if error is not None:
            self.tell_privately(blocks.build_notice(blocks.failed(error)))
        return error is None

    def _permalink(self, ts: str) -> str | None:
        answer: dict = {}
        error = self._call(
            "chat.getPermalink",
            self.client.chat_getPermalink,
            into=answer,
            channel=self.channel,
            message_ts=ts,
        )
        link = None if error else answer.get("permalink")
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
        outcome = step(lambda _: self.segment(create.name, create.rules))
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
        self.tell_privately(blocks.build_notice(blocks.failed(error)))
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

    def _call(
        self, method: str, call, quiet: tuple[str, ...] = (), into: dict | None = None, **arguments
    ) -> str | None:
        """Make a Web API call, once per job (a step), tried again on a timer while it may still
        work; None, or the error it ended with (logged, unless it is one of `quiet`: expected, and
        nothing to fix). `into` receives the answer's fields."""

        def attempt(number: int):
            ok, error, answer = try_call(method, call, arguments, number)
            if error is not None and error not in quiet:
                _log_failure(method, error, self.channel)
            return error, answer if ok and into is not None else None

        error, answer = step(attempt)
        if answer and into is not None:
            into.update(answer)
        return error

    def _respond(self, message: Message, *, replace_original: bool) -> bool:
        """Answer through the request's response_url (a step, tried again like a Web API call)."""
        url = self.response_url

        def send(**payload):
            answer = WebhookClient(url, timeout=WEB_API_TIMEOUT, retry_handlers=[]).send(**payload)
            if answer.status_code != 200:
                raise _HttpStatus(answer.status_code, answer.headers)

        error = self._call(
            "response_url",
            send,
            text=message.text,
            blocks=message.blocks,
            response_type="ephemeral",
            replace_original=replace_original,
        )
        return error is None


class _HttpStatus(Exception):  # noqa: N818 - a response_url's answer other than 200
    def __init__(self, status: int, headers):
        super().__init__(f"HTTP {status}")
        self.status, self.headers = status, headers


def try_call(method: str, call, arguments: dict, attempt: int) -> tuple[bool, str | None, dict | None]:
    """One try of a call: (ok, error, answer). Raises Retry while a later try may still work."""
    try:
        answer = call(**arguments)
        data = getattr(answer, "data", None)
        return True, None, data if isinstance(data, dict) else None
    except SlackApiError as exc:
        response = exc.response
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None)
        error = (response.get("error") if response is not None else None) or f"HTTP {status}"
    except _HttpStatus as exc:
        status, headers, error = exc.status, exc.headers, f"HTTP {exc.status}"
    except Exception as exc:  # noqa: BLE001 - a timeout, a refused connection, a broken answer
        status, headers, error = None, None, _transport_error(exc)
    delay = next_try(status, headers, attempt)
    if delay is not None:
        raise Retry(delay, f"{method}: {error}")
    return False, error, None


def _transport_error(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)  # urllib's URLError wraps the socket's error
    if isinstance(reason, Exception):
        exc = reason
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionError):
        return "connection_failed"
    return type(exc).__name__


def _log_failure(method: str, error: str | None, channel: str | None) -> None:
    log.warning("Slack API call failed: method=%s error=%s channel=%s", method, error, channel)


def settle_or_release(seen, key: str | None, done: bool) -> None:
    """After the work a seen-once `key` was claimed for: free it when the work was not done (the
    person was told, and may try again at once), then let the ack go; keep the key once it has
    gone, when the work was done (an ack that waits on bookkeeping helps nobody)."""
    if key is not None and not done:
        step(lambda _: seen.release(key))
    acknowledge()
    if key is not None and done:
        step(lambda _: seen.settle(key))
