"""What the bot says in answer to what a person does: the decisions, kept out of the listeners.

Each entry point takes plain values from Slack's payload and returns a `Reply`, a plan the
listener carries out (update the clicked message, post in the thread, share to the channel,
tell the person privately). Nothing here talks to Slack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import action_ids, advisor, blocks, home
from bot.advisor import AskConsideration, AskGoal, ChooseAmong, Choice, Flow, Recommend
from bot.blocks import Message, escape
from bot.catalog import Catalog, Goal
from bot.matcher import MatchResult, Matcher, normalize

HELP_WORDS = frozenset({"help", "?", "hi", "hello", "hey", "usage"})
LIST_WORDS = frozenset({"list", "ls", "all", "catalog"})
LIST_CUES = frozenset({"what", "which", "list", "show", "all", "available", "know", "every"})
DID_YOU_MEAN_MAX = 3
LEADING_MENTIONS = re.compile(r"^\s*(?:<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*)+")


def asks_for_the_list(words: str) -> bool:
    """"what use cases do you know?", "show me all use cases": the catalog, not a match."""
    tokens = set(words.split())
    return ("use case" in words or "usecases" in tokens) and bool(tokens & LIST_CUES)


@dataclass(frozen=True)
class Reply:
    update: Message | None = None  # replace the message that was clicked
    post: Message | None = None  # post in the conversation's thread (a new thread when there is none)
    share: Message | None = None  # post in the channel itself, outside the thread
    private: Message | None = None  # only the person who acted sees it
    once: bool = False  # a step of the guided flow: act on the first click of this message only
    log: dict | None = None  # something worth logging (feedback)


@dataclass(frozen=True)
class Click:
    """One button press: the state its value carried, and where and by whom it was pressed."""

    state: Flow | Choice | None
    arg: str  # the action id's third part (the answer letter), or ""
    user_id: str | None
    in_thread: bool
    message_blocks: list | None


class Conversation:
    def __init__(self, catalog: Catalog, matcher: Matcher):
        self.catalog = catalog
        self.matcher = matcher

    # ------------------------------------------------------------------ entry points

    def command(self, text: str, user_id: str | None) -> Reply:
        """`/usecase [text]`: start the flow, help, list, or answer the text.

        A confident answer is posted for the team (a new thread); a close call or a miss is
        told privately, so the channel only sees answers.
        """
        words = text.strip().lower()
        if not words:
            return Reply(post=blocks.build_intro(self.catalog, started_by=user_id))
        if words in HELP_WORDS:
            return Reply(private=blocks.build_help(self.catalog))
        if words in LIST_WORDS:
            return Reply(private=blocks.build_list(self.catalog))
        result = self.matcher.match(text, limit=DID_YOU_MEAN_MAX + 1)
        if result.verdict == "confident":
            return Reply(post=self._recommend_text(result, user_id, text, in_thread=False))
        return Reply(private=self._not_sure(result, text))

    def message(self, text: str, user_id: str | None) -> Reply:
        """A mention or a direct message: every answer goes in the thread of that message."""
        text = LEADING_MENTIONS.sub("", text)  # "@usecase-bot …": the mention is not the question
        words = normalize(text)
        if not words or words in HELP_WORDS:
            return Reply(post=blocks.build_help(self.catalog))
        if words in LIST_WORDS or asks_for_the_list(words):
            return Reply(post=blocks.build_list(self.catalog))
        if (goal := self._goal_named(words)) is not None:  # a suggested prompt of the Messages tab
            return Reply(post=self.render(Flow(goal.id), user_id, in_thread=True))
        result = self.matcher.match(text, limit=DID_YOU_MEAN_MAX + 1)
        if result.verdict == "confident":
            return Reply(post=self._recommend_text(result, user_id, text, in_thread=True))
        return Reply(post=self._not_sure(result, text))

    def click(self, action_id: str, value: object, user_id: str | None, *, in_thread: bool,
              message_blocks: list | None = None) -> Reply:
        """A button: `action_id` says what it does, `value` carries the state it belongs to."""
        parsed = action_ids.parse(action_id)
        if parsed is not None and parsed.kind == "docs":  # a link button: Slack opens the URL
            return Reply()
        handler = _CLICKS.get(parsed.kind) if parsed else None
        click = Click(advisor.decode(self.catalog, value), parsed.arg if parsed else "", user_id,
                      in_thread, message_blocks)
        reply = handler(self, click) if handler else None
        return reply or Reply(private=blocks.build_notice(blocks.EXPIRED))

    # ------------------------------------------------------------------ free text

    def _choice_from(self, result: MatchResult, index: int) -> Choice:
        match = result.matches[index]
        goal = self.catalog.goal_for(match.use_case, match.goal)
        others = tuple(m.use_case for m in result.matches if m.use_case != match.use_case)
        return Choice(match.use_case, goal, words=tuple(match.terms), others=others)

    def _recommend_text(self, result: MatchResult, user_id, text: str, in_thread: bool) -> Message:
        return self._recommendation(self._choice_from(result, 0), in_thread=in_thread,
                                    asked_by=user_id, query=text)

    def _recommendation(self, choice: Choice, **options) -> Message:
        return blocks.build_recommendation(self.catalog, choice, advisor.why(self.catalog, choice), **options)

    def _not_sure(self, result: MatchResult, text: str) -> Message:
        if result.verdict == "ambiguous" and result.matches:
            choices = [self._choice_from(result, i) for i in range(min(DID_YOU_MEAN_MAX, len(result.matches)))]
            return blocks.build_did_you_mean(self.catalog, choices, text)
        return blocks.build_no_match(self.catalog, text)

    # ------------------------------------------------------------------ the guided flow

    def render(self, flow: Flow, user_id: str | None, in_thread: bool) -> Message:
        step = advisor.next_step(self.catalog, flow)
        if isinstance(step, AskGoal):
            return blocks.build_intro(self.catalog, started_by=user_id)
        if isinstance(step, AskConsideration):
            return blocks.build_question(self.catalog, step)
        if isinstance(step, ChooseAmong):
            return blocks.build_choose(self.catalog, step)
        assert isinstance(step, Recommend)
        return self._recommendation(step.choice, in_thread=in_thread)

    def _closed(self, flow: Flow, note: str) -> Message:
        """The question (or list) at `flow`, with its buttons replaced by what happened."""
        step = advisor.next_step(self.catalog, flow)
        if isinstance(step, AskConsideration):
            return blocks.build_question_closed(step, note)
        return blocks.build_picked(note, note)

    def _on_goal(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not (isinstance(state, Flow) and state.goal and not state.answers):
            return None
        goal = self.catalog.goal(state.goal)
        return Reply(
            update=blocks.build_goal_chosen(goal, user_id),
            post=self.render(state, user_id, click.in_thread),
            once=True,
        )

    def _on_answer(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not (isinstance(state, Flow) and state.goal and click.arg in advisor.ANSWER_LABELS):
            return None
        if not isinstance(advisor.next_step(self.catalog, state), AskConsideration):
            return None  # a value for a question that does not exist (tampered or stale)
        return Reply(
            update=self._closed(state, blocks.answered_note(click.arg, user_id)),
            post=self.render(state.answered(click.arg), user_id, click.in_thread),
            once=True,
        )

    def _on_back(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not (isinstance(state, Flow) and state.goal):
            return None
        return Reply(
            update=self._closed(state, f"{blocks.mention(user_id)} went back a step"),
            post=self.render(state.back(), user_id, click.in_thread),
            once=True,
        )

    def _on_restart(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        intro = blocks.build_intro(self.catalog, started_by=user_id)
        if isinstance(state, Choice):  # from a recommendation: keep it, start again below
            return Reply(post=intro)
        if not isinstance(state, Flow):
            return None
        if not state.goal:
            return Reply(post=intro)
        return Reply(update=self._closed(state, f"{blocks.mention(user_id)} started over"),
                     post=intro, once=True)

    def _on_guided(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not (isinstance(state, Flow) and not state.goal):
            return None
        note = f"{blocks.mention(user_id)} started the guided flow"
        return Reply(update=blocks.build_picked(note, note),
                     post=blocks.build_intro(self.catalog, started_by=user_id), once=True)

    def _on_pick(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not isinstance(state, Choice):
            return None
        name = self.catalog.use_cases[state.use_case].name
        note = f"{blocks.mention(user_id)} chose *{escape(name)}*"
        return Reply(
            update=blocks.build_picked(f"Chose {name}", note),
            post=self._recommendation(state, in_thread=click.in_thread, asked_by=user_id),
            once=True,
        )

    def _on_others(self, click: Click) -> Reply | None:
        state = click.state
        if not isinstance(state, Choice):
            return None
        return Reply(post=blocks.build_alternatives(self.catalog, state, advisor.alternatives(self.catalog, state)))

    def _on_share(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not isinstance(state, Choice):
            return None
        return Reply(share=blocks.build_shared(self.catalog, state, user_id))

    def _on_feedback(self, click: Click, helpful: bool) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not isinstance(state, Choice):
            return None
        updated = (blocks.with_feedback(click.message_blocks, helpful, user_id)
                   if click.message_blocks else None)
        if updated is None:
            updated = self._recommendation(state, in_thread=click.in_thread, feedback=(helpful, user_id))
        return Reply(
            update=updated,
            log={"event": "feedback", "helpful": helpful, "use_case": state.use_case,
                 "goal": state.goal, "user": user_id,
                 "basis": "answers" if state.answers is not None else "words"},
        )

    def _on_helpful(self, click: Click) -> Reply | None:
        return self._on_feedback(click, helpful=True)

    def _on_unhelpful(self, click: Click) -> Reply | None:
        return self._on_feedback(click, helpful=False)

    # ------------------------------------------------------------------ the Home tab, the Messages tab, the shortcut

    def home(self, user_id: str | None, page: int = 0, notice: str | None = None) -> dict:
        """The Home tab view for a person (the same for everyone: nothing is stored about them)."""
        return home.build_home(self.catalog, page=page, notice=notice)

    def home_click(self, action_id: str, value: object, user_id: str | None, page: int = 0) -> HomeReply:
        """A button of the Home tab. It has no conversation of its own: what it starts goes to the
        person's DM with the bot, and the Home view is published again, saying what was done."""
        reply = self.click(action_id, value, user_id, in_thread=False)
        if not isinstance(reply, HomeReply):  # a value that no longer decodes: a fresh Home view
            return HomeReply(view=self.home(user_id, page, notice=blocks.EXPIRED))
        return HomeReply(dm=reply.dm, then=reply.then,
                         view=self.home(user_id, page if reply.page is None else reply.page, reply.note))

    def suggested_prompts(self) -> tuple[str, list[dict]]:
        """The Messages tab's suggested prompts (title, prompts), from the catalog's goals."""
        return home.PROMPTS_TITLE, home.suggested_prompts(self.catalog)

    def shortcut(self, text: str, user_id: str | None, *, author: str | None = None,
                 has_files: bool = False) -> Reply:
        """The message shortcut: what the bot makes of someone's message, told privately, as
        `/usecase <that text>` would (help and list words included)."""
        text = LEADING_MENTIONS.sub("", text)
        if not normalize(text):
            return Reply(private=home.build_no_text(has_files))
        words = text.strip().lower()
        if words in HELP_WORDS or words in LIST_WORDS:
            return Reply(private=self.command(words, user_id).private)
        result = self.matcher.match(text, limit=DID_YOU_MEAN_MAX + 1)
        if result.verdict == "confident":
            answer = self._recommendation(self._choice_from(result, 0), in_thread=True, asked_by=author,
                                          query=text)
            return Reply(private=home.with_full_share(answer))
        return Reply(private=self._not_sure(result, text))

    def _goal_named(self, words: str) -> Goal | None:
        return next((g for g in self.catalog.goals if normalize(g.name) == words), None)

    def _on_home_goal(self, click: Click) -> HomeReply | None:
        state = click.state
        if not (isinstance(state, Flow) and state.goal and not state.answers):
            return None
        # the intro /usecase posts, then what its button for this goal does, in its thread
        started = self._on_goal(Click(state, "", click.user_id, True, None))
        return HomeReply(dm=blocks.build_intro(self.catalog, started_by=click.user_id), then=started,
                         note=home.started_note(self.catalog.goal(state.goal)))

    def _on_home_pick(self, click: Click) -> HomeReply | None:
        state = click.state
        if not isinstance(state, Choice):
            return None
        name = self.catalog.use_cases[state.use_case].name
        return HomeReply(dm=self._recommendation(state, in_thread=False), note=home.posted_note(name))

    def _on_home_page(self, click: Click) -> HomeReply | None:
        if not (click.arg.isdigit() and len(click.arg) < 6):
            return None
        return HomeReply(page=int(click.arg))

    def _on_share_full(self, click: Click) -> Reply | None:
        """"Share to channel" on a recommendation told privately: the whole of it, for everyone."""
        state = click.state
        if not isinstance(state, Choice):
            return None
        name = self.catalog.use_cases[state.use_case].name
        note = home.shared_note(name, blocks.mention(click.user_id))
        return Reply(update=blocks.build_picked(f"Shared {name}", note),
                     post=self._recommendation(state, in_thread=click.in_thread, asked_by=click.user_id),
                     once=True)


_CLICKS = {
    "goal": Conversation._on_goal,
    "answer": Conversation._on_answer,
    "back": Conversation._on_back,
    "restart": Conversation._on_restart,
    "guided": Conversation._on_guided,
    "pick": Conversation._on_pick,
    "others": Conversation._on_others,
    "share": Conversation._on_share,
    "helpful": Conversation._on_helpful,
    "unhelpful": Conversation._on_unhelpful,
    "homegoal": Conversation._on_home_goal,
    "homepick": Conversation._on_home_pick,
    "homepage": Conversation._on_home_page,
    "sharefull": Conversation._on_share_full,
}


@dataclass(frozen=True)
class HomeReply(Reply):
    """What a click on the Home tab asks for: a message posted in the person's DM with the bot
    (`dm`, a new thread root), then what happens to it as if its own button had been clicked
    (`then`), and the Home view published again (`view`; `page` and `note` say which and why)."""

    dm: Message | None = None
    then: Reply | None = None
    view: dict | None = None
    page: int | None = None
    note: str | None = None
