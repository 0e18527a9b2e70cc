"""What the bot says in answer to what a person does: the decisions, kept out of the listeners.

Each entry point takes plain values from Slack's payload and returns a `Reply`, a plan the
listener carries out (update the clicked message, post in the thread, share to the channel,
tell the person privately). Nothing here talks to Slack.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, replace

from bot import action_ids, advisor, blocks, home
from bot import plan as plans
from bot.advisor import AskConsideration, AskGoal, Choice, ChooseAmong, Flow, PlanRequest, Recommend
from bot.analytics import TEXT_PROPERTY, Usage
from bot.blocks import Message, escape
from bot.catalog import Catalog, Goal
from bot.matcher import Matcher, MatchResult, normalize
from bot.metadata import ConversationState
from bot.next_steps import advice

HELP_WORDS = frozenset({"help", "?", "hi", "hello", "hey", "usage"})
LIST_WORDS = frozenset({"list", "ls", "all", "catalog"})
LIST_CUES = frozenset({"what", "which", "list", "show", "all", "available", "know", "every"})
DID_YOU_MEAN_MAX = 3
WAY_FORWARD_MIN = 15.0  # a vague goal's closest use cases are offered from this score
STEP = "step"  # the once-group of the guided flow's steps
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,20}")
LEADING_MENTIONS = re.compile(r"^\s*(?:<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*)+")


def asks_for_the_list(words: str) -> bool:
    """ "what use cases do you know?", "show me all use cases": the catalog, not a match."""
    tokens = set(words.split())
    return ("use case" in words or "usecases" in tokens) and bool(tokens & LIST_CUES)


@dataclass(frozen=True)
class Reply:
    update: Message | None = None  # replace the message that was clicked
    post: Message | None = None  # post in the conversation's thread (a new thread when there is none)
    share: Message | None = None  # post in the channel itself, outside the thread
    share_to: str | None = None  # …or in this channel (picked from a DM)
    update_root: Message | None = None  # replace the thread's root (the bot's /usecase message)
    events: tuple[Usage, ...] = ()  # what to count in the bot's usage analytics
    # `post` after a click on a private message stays private, except a guided flow's start:
    # its thread needs a real message
    public: bool = False
    private: Message | None = None  # only the person who acted sees it
    # act on the first click of this message only, per group: STEP for the guided flow's steps
    # (an answer, Back and Start over of one question exclude each other), else the button's own
    once: str | None = None
    log: dict | None = None  # something worth logging (feedback)
    file: PlanFile | None = None  # upload in the conversation's thread
    create: CreatePlan | None = None  # create a tracking plan in Segment, then say how it went


@dataclass(frozen=True)
class PlanFile:
    filename: str
    title: str
    content: str


@dataclass(frozen=True)
class CreatePlan:
    name: str
    plan: PlanRequest
    rules: list


@dataclass(frozen=True)
class PlanOutcome:
    """How creating a tracking plan in Segment went: its id (also when only half of it worked)."""

    ok: bool
    plan_id: str | None
    message: str = ""


@dataclass(frozen=True)
class Click:
    """One button press: the state its value carried, and where and by whom it was pressed."""

    state: Flow | Choice | None
    arg: str  # the action id's third part (the answer letter), or ""
    user_id: str | None
    in_thread: bool
    message_blocks: list | None
    selected: tuple[str, ...] = ()  # the options ticked in the clicked message's checkboxes
    in_dm: bool = False  # clicked in a direct message with the bot
    picked_channel: str | None = None  # the conversation chosen in a conversations_select
    private: bool = False  # clicked on a message only the person sees (ephemeral)


class Conversation:
    def __init__(
        self,
        catalog: Catalog,
        matcher: Matcher,
        *,
        admins: frozenset[str] = frozenset(),
        can_create_plans: bool = False,
    ):
        self.catalog = catalog
        self.matcher = matcher
        self.admins = admins  # who may create a tracking plan in Segment
        self.can_create_plans = can_create_plans  # a Segment Public API token is configured

    # ------------------------------------------------------------------ entry points

    def command(self, text: str, user_id: str | None) -> Reply:
        """`/usecase [text]`: start the flow, help, list, or answer the text.

        Only the guided flow is public (its thread needs a real message); an answer to text is
        private, with Share to channel, so the channel sees what someone chose to share.
        """
        words = text.strip().lower()
        if not words:
            return Reply(post=blocks.build_intro(self.catalog, started_by=user_id), events=(FLOW_STARTED,))
        if words in HELP_WORDS:
            return Reply(private=blocks.build_help(self.catalog))
        if words in LIST_WORDS:
            return Reply(private=blocks.build_list(self.catalog))
        result = self.matcher.match(text, limit=DID_YOU_MEAN_MAX + 1)
        return Reply(
            private=self._answer(result, user_id, text), events=self._text_usage(result, "text", text)
        )

    def message(self, text: str, user_id: str | None, via: str = "mention") -> Reply:
        """A mention or a direct message (`via` "mention" or "dm"): answered where it was written."""
        text = LEADING_MENTIONS.sub("", text)  # "@usecase-bot …": the mention is not the question
        words = normalize(text)
        if not words or words in HELP_WORDS:
            return Reply(post=blocks.build_help(self.catalog))
        if words in LIST_WORDS or asks_for_the_list(words):
            return Reply(post=blocks.build_list(self.catalog))
        if (goal := self._goal_named(words)) is not None:  # a suggested prompt of the Messages tab
            return Reply(post=self.render(Flow(goal.id), user_id), events=(flow_started(goal.id),))
        result = self.matcher.match(text, limit=DID_YOU_MEAN_MAX + 1)
        state = ConversationState(texts=(text,), people=(user_id,) if user_id else ())
        return Reply(
            post=self._answer(result, user_id, text, state), events=self._text_usage(result, via, text)
        )

    def _text_usage(self, result: MatchResult, via: str, text: str) -> tuple[Usage, ...]:
        """What free text counts as: a recommendation, or the kind of "not a match" it got
        (two asks count when one of them is picked)."""
        if len(result.asks) >= 2 and all(a.matches for a in result.asks):
            return ()
        if result.verdict == "confident":
            return (recommended(self._choice_from(result, 0), via, "confident"),)
        kind = result.kind or (
            "did_you_mean" if result.verdict == "ambiguous" and result.matches else "no_match"
        )
        return (Usage("No Use Case Matched", {"reply": kind, "via": via, TEXT_PROPERTY: text}),)

    def follow_up(
        self, text: str, user_id: str | None, state: ConversationState, *, addressed: bool = False
    ) -> Reply | None:
        """A reply in a thread where the bot answered (its state from the bot's post there): read
        as a refinement of the same conversation. None: stay quiet.

        The rule in a busy thread: a reply is answered when it is addressed to the bot (an
        @mention, a DM), or when it comes from someone who took part in the conversation (asked,
        or refined it) and reads as a refinement: it names a use case's words, or says what the
        lexicon's `follow-up` cues say ("we only have web", "we also sell subscriptions", "why
        not winback?", "what about the other goal?"). Anything else stays quiet; a reply addressed
        to the bot that cannot be related to the conversation gets the answer it would get alone.
        """
        text = LEADING_MENTIONS.sub("", text)
        words = normalize(text)
        if not words or not (addressed or (user_id and user_id in state.people)):
            return Reply(post=blocks.build_help(self.catalog)) if addressed and not words else None
        m = self.matcher
        if state.other_ask and m.says("other-ask", text):
            choice = self._choice_for(state.other_ask[0], state, words=())
            if choice is not None:
                rest = ConversationState(state.texts, state.people, choice.use_case, choice.goal)
                answer = self._recommendation(choice, asked_by=user_id, query=text)
                return Reply(post=blocks.with_metadata(answer, rest.with_reply(text, user_id).to_metadata()))
        alone = m.match(text, limit=DID_YOU_MEAN_MAX + 1)
        if state.answer and m.says("why-not", text):  # "why not winback?": the use case it names
            asked_about = m.match(m.without("why-not", text))
            named = [uc for uc in m.names(text) if uc != state.answer] or [
                x.use_case for x in asked_about.matches[:1] if asked_about.verdict != "none"
            ]
            named = [uc for uc in named if uc != state.answer]
        else:
            named = []
        if named:
            asked, current = self._choice_for(named[0], state, ()), self._choice_for(state.answer, state, ())
            if asked is not None and current is not None:
                said = m.match(" \n".join(state.texts)).matches
                words_then = said[0].terms if said and said[0].use_case == state.answer else ()
                answer = blocks.build_why_not(self.catalog, asked, current, words_then)
                return Reply(post=blocks.with_metadata(answer, state.with_reply(text, user_id).to_metadata()))
        related = (alone.matches and alone.kind is None) or m.says("follow-up", text)
        if not related:
            return Reply(post=self._not_sure(alone, text)) if addressed else None
        if alone.verdict == "confident" and not m.says("follow-up", text):
            result = alone  # "what about cart abandonment?": a new ask of its own
        else:  # "we also sell subscriptions": the conversation so far, refined
            result = m.match(" \n".join((*state.texts, text)), limit=DID_YOU_MEAN_MAX + 1)
        return Reply(
            post=self._answer(result, user_id, text, state.with_reply(text, user_id), refined=True),
            events=self._text_usage(result, "follow-up", text),
        )

    def click(
        self,
        action_id: str,
        value: object,
        user_id: str | None,
        *,
        in_thread: bool,
        message_blocks: list | None = None,
        selected: tuple[str, ...] = (),
        in_dm: bool = False,
        picked_channel: str | None = None,
        private: bool = False,
    ) -> Reply:
        """A button: `action_id` says what it does, `value` carries the state it belongs to."""
        parsed = action_ids.parse(action_id)
        if parsed is not None and parsed.kind == "docs":  # a link button: Slack opens the URL
            return Reply()
        handler = _CLICKS.get(parsed.kind) if parsed else None
        click = Click(
            advisor.decode(self.catalog, value),
            parsed.arg if parsed else "",
            user_id,
            in_thread,
            message_blocks,
            selected,
            in_dm,
            picked_channel,
            private,
        )
        reply = handler(self, click) if handler else None
        return reply or Reply(private=blocks.build_notice(blocks.EXPIRED))

    # ------------------------------------------------------------------ free text

    def _choice_from(self, result: MatchResult, index: int) -> Choice:
        match = result.matches[index]
        goal = self.catalog.goal_for(match.use_case, match.goal)
        others = tuple(m.use_case for m in result.matches if m.use_case != match.use_case)
        return Choice(match.use_case, goal, words=tuple(match.terms), others=others)

    def _choice_for(self, use_case: str, state: ConversationState, words: tuple[str, ...]) -> Choice | None:
        if self.catalog.use_case(use_case) is None:
            return None
        return Choice(use_case, self.catalog.goal_for(use_case, state.goal or None), words=words)

    def _answer(
        self,
        result: MatchResult,
        user_id: str | None,
        text: str,
        state: ConversationState | None = None,
        refined: bool = False,
    ) -> Message:
        """What to say to a text: two goals, a recommendation, or an honest "not sure"; with the
        conversation's state in the message's metadata when it is posted in a thread."""
        if len(result.asks) >= 2 and all(a.matches for a in result.asks):
            first, second = (replace(self._choice_from(a, 0), picked_from=2) for a in result.asks[:2])
            answer = blocks.build_two_asks(self.catalog, [first, second], text)
            if state is not None:
                state = replace(
                    state,
                    answer="",
                    options=(first.use_case,),
                    other_ask=tuple(m.use_case for m in result.asks[1].matches),
                )
        elif result.verdict == "confident":
            choice = self._choice_from(result, 0)
            answer = self._recommendation(choice, asked_by=user_id, query=text)
            if state is not None:
                state = replace(state, answer=choice.use_case, goal=choice.goal, options=choice.others)
        else:
            answer = self._not_sure(result, text)
            if state is not None:
                state = replace(state, answer="", options=tuple(m.use_case for m in result.matches))
        if state is None:
            return answer
        return blocks.with_metadata(answer, state.to_metadata())

    def _recommendation(self, choice: Choice, **options) -> Message:
        docs_url = advice(self.catalog, choice.use_case, choice.goal).docs_url
        return blocks.build_recommendation(
            self.catalog, choice, advisor.why(self.catalog, choice), docs_url=docs_url, **options
        )

    def _not_sure(self, result: MatchResult, text: str) -> Message:
        if result.kind == "support":
            topic = next((t for t in self.catalog.lexicon.support if t.id == result.topic), None)
            url = topic.docs_url if topic else self.catalog.lexicon.docs_home
            if url:
                return blocks.build_support(self.catalog, topic.name if topic else None, url, text)
        if result.kind == "vague":
            close = [i for i, m in enumerate(result.matches[:DID_YOU_MEAN_MAX]) if m.score >= WAY_FORWARD_MIN]
            choices = [replace(self._choice_from(result, i), picked_from=len(close)) for i in close]
            return blocks.build_way_forward(self.catalog, choices, self.catalog.goal(result.goal or ""), text)
        if result.verdict == "ambiguous" and result.matches:
            count = min(DID_YOU_MEAN_MAX, len(result.matches))
            choices = [replace(self._choice_from(result, i), picked_from=count) for i in range(count)]
            return blocks.build_did_you_mean(self.catalog, choices, text)
        return blocks.build_no_match(self.catalog, text)

    # ------------------------------------------------------------------ the guided flow

    def render(self, flow: Flow, user_id: str | None) -> Message:
        step = advisor.next_step(self.catalog, flow)
        if isinstance(step, AskGoal):
            return blocks.build_intro(self.catalog, started_by=user_id)
        if isinstance(step, AskConsideration):
            return blocks.build_question(self.catalog, step)
        if isinstance(step, ChooseAmong):
            return blocks.build_choose(self.catalog, step)
        assert isinstance(step, Recommend)
        return self._recommendation(step.choice)

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
            post=self.render(state, user_id),
            once=STEP,
        )

    def _on_answer(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not (isinstance(state, Flow) and state.goal and click.arg in advisor.ANSWER_LABELS):
            return None
        if not isinstance(advisor.next_step(self.catalog, state), AskConsideration):
            return None  # a value for a question that does not exist (tampered or stale)
        answered = state.answered(click.arg)
        step = advisor.next_step(self.catalog, answered)
        return Reply(
            update=self._closed(state, blocks.answered_note(click.arg, user_id)),
            post=self.render(answered, user_id),
            once=STEP,
            events=(recommended(step.choice, "guided", "guided"),) if isinstance(step, Recommend) else (),
        )

    def _on_back(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not (isinstance(state, Flow) and state.goal):
            return None
        return Reply(
            update=self._closed(state, f"{blocks.mention(user_id)} went back a step"),
            post=self.render(state.back(), user_id),
            once=STEP,
        )

    def _on_restart(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        intro = blocks.build_intro(self.catalog, started_by=user_id)
        root = blocks.build_root_restarted(user_id)  # the thread's root no longer shows the old goal
        if isinstance(state, Choice):  # from a recommendation: keep it, start again below
            return Reply(post=intro, update_root=root, once="restart", public=True, events=(FLOW_STARTED,))
        if not isinstance(state, Flow):
            return None
        if not state.goal:
            return Reply(post=intro, once="restart", public=True, events=(FLOW_STARTED,))
        return Reply(
            update=self._closed(state, f"{blocks.mention(user_id)} started over"),
            post=intro,
            update_root=root,
            once=STEP,
            public=True,
            events=(FLOW_STARTED,),
        )

    def _on_guided(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not (isinstance(state, Flow) and not state.goal):
            return None
        note = f"{blocks.mention(user_id)} started the guided flow"
        return Reply(
            update=blocks.build_picked(note, note),
            post=blocks.build_intro(self.catalog, started_by=user_id),
            once=STEP,
            public=True,
            events=(FLOW_STARTED,),
        )

    def _on_pick(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not isinstance(state, Choice):
            return None
        name = self.catalog.use_cases[state.use_case].name
        note = f"{blocks.mention(user_id)} chose *{escape(name)}*"
        via = "guided" if state.answers is not None else "text"
        rank = int(click.arg) + 1 if click.arg.isdigit() and len(click.arg) < 4 else None
        return Reply(
            update=blocks.build_picked(f"Chose {name}", note),
            post=self._recommendation(state, asked_by=user_id),
            once=STEP,
            events=(recommended(state, via, "picked", rank=rank),),
        )

    def _on_others(self, click: Click) -> Reply | None:
        state = click.state
        if not isinstance(state, Choice):
            return None
        pairs = advisor.alternatives(self.catalog, state)
        return Reply(post=blocks.build_alternatives(self.catalog, state, pairs), once="others")

    def _on_under(self, click: Click) -> Reply | None:
        """ "Also for <goal>": the same use case, recommended under another of its goals."""
        state = click.state
        if not isinstance(state, Choice):
            return None
        return Reply(
            post=self._recommendation(state, asked_by=click.user_id),
            events=(recommended(state, "other-goal", "picked"),),
        )

    def _on_browse(self, click: Click) -> Reply | None:
        """A use case picked from /usecase list: its recommendation, where the list is."""
        if not isinstance(click.state, Choice):
            return None
        answer = self._recommendation(click.state, asked_by=click.user_id)
        events = (recommended(click.state, "list", "picked"),)
        return Reply(post=answer, events=events) if click.in_thread else Reply(private=answer, events=events)

    def _on_share(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not isinstance(state, Choice):
            return None
        if click.in_dm:  # a DM is no place to share to: pick the channel
            return Reply(private=blocks.build_share_picker(self.catalog, state))
        marked = blocks.with_shared(click.message_blocks, user_id, None) if click.message_blocks else None
        # from a thread: a short copy that links back to it; from a private answer there is no
        # thread to go back to, so the whole card
        if click.private:
            copy = self._recommendation(replace(state, others=()), asked_by=user_id, shareable=False)
        else:
            copy = blocks.build_shared(self.catalog, state, user_id)
        return Reply(
            share=copy, once="share", update=marked or self._recommendation(state, shared_by=user_id)
        )

    def _on_sharepick(self, click: Click) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not (
            isinstance(state, Choice) and click.picked_channel and CHANNEL_ID.fullmatch(click.picked_channel)
        ):
            return None
        return Reply(
            share=blocks.build_shared(self.catalog, state, user_id),
            share_to=click.picked_channel,
            update=blocks.build_notice(f"Shared to <#{click.picked_channel}>."),
            once="share",
        )

    def _on_feedback(self, click: Click, helpful: bool) -> Reply | None:
        state, user_id = click.state, click.user_id
        if not isinstance(state, Choice):
            return None
        updated = (
            blocks.with_feedback(self.catalog, click.message_blocks, helpful, user_id, state)
            if click.message_blocks
            else None
        )
        if updated is None:
            updated = self._recommendation(state, feedback=(helpful, user_id))
        return Reply(
            update=updated,
            log={
                "event": "feedback",
                "helpful": helpful,
                "use_case": state.use_case,
                "goal": state.goal,
                "user": user_id,
                "basis": "answers" if state.answers is not None else "words",
            },
            once="feedback",
            events=(
                Usage(
                    "Recommendation Rated",
                    {"helpful": helpful, "use_case": state.use_case, "goal": state.goal},
                ),
            ),
        )

    # ------------------------------------------------------------------ from advice to setup

    def _on_details(self, click: Click) -> Reply | None:
        if not isinstance(click.state, Choice):
            return None
        state = click.state
        return Reply(
            post=blocks.build_setup_details(
                self.catalog, state, advice(self.catalog, state.use_case, state.goal)
            )
        )

    def _may_create(self, user_id: str | None) -> bool:
        return self.can_create_plans and user_id is not None and user_id in self.admins

    def _on_plan(self, click: Click) -> Reply | None:
        if not isinstance(click.state, Choice):
            return None
        plan = PlanRequest.whole(self.catalog, click.state)
        offer = blocks.build_create_offer(self.catalog, plan) if self._may_create(click.user_id) else None
        return Reply(post=blocks.build_plan_formats(self.catalog, plan, plans.LABELS), private=offer)

    def _on_planfile(self, click: Click) -> Reply | None:
        if not (isinstance(click.state, PlanRequest) and click.arg in plans.LABELS):
            return None
        plan = self._plan(click.state)
        title = f"Tracking plan: {plan.use_case.name} ({plans.LABELS[click.arg]})"
        return Reply(
            file=PlanFile(plans.filename(plan, click.arg), title, plans.render(plan, click.arg)),
            events=(
                Usage(
                    "Tracking Plan Requested",
                    {"format": click.arg, "use_case": plan.use_case.id, "events": len(plan.events)},
                ),
            ),
        )

    def _plan(self, request: PlanRequest) -> plans.Plan:
        """The tracking plan for the events asked for (all, or a readiness check's gap)."""
        plan = plans.build_plan(self.catalog, request.use_case, request.goal)
        return dataclasses.replace(plan, events=tuple(e for e in plan.events if e.name in request.events))

    def _plan_name(self, request: PlanRequest) -> str:
        return f"{self.catalog.use_cases[request.use_case].name} (from usecase-bot)"

    def _on_ready(self, click: Click) -> Reply | None:
        if not isinstance(click.state, Choice):
            return None
        return Reply(post=blocks.build_readiness(self.catalog, click.state))

    def _on_tracked(self, click: Click) -> Reply | None:
        return Reply()  # ticking a box: read when "Show what's missing" is clicked

    def _on_gap(self, click: Click) -> Reply | None:
        if not isinstance(click.state, Choice):
            return None
        events = self.catalog.use_cases[click.state.use_case].events
        tracked = tuple(events[int(i)] for i in click.selected if i.isdigit() and int(i) < len(events))
        return Reply(update=blocks.build_gap(self.catalog, click.state, tracked, plans.LABELS))

    def _on_create(self, click: Click) -> Reply | None:
        if not isinstance(click.state, PlanRequest):
            return None
        if not self._may_create(click.user_id):
            return Reply(private=blocks.build_notice(blocks.ADMINS_ONLY))
        return Reply(
            private=blocks.build_create_preview(self.catalog, click.state, self._plan_name(click.state))
        )

    def _on_confirm(self, click: Click) -> Reply | None:
        if not isinstance(click.state, PlanRequest):
            return None
        if not self._may_create(click.user_id):
            return Reply(private=blocks.build_notice(blocks.ADMINS_ONLY))
        rules = plans.protocols(self._plan(click.state))["rules"]
        return Reply(create=CreatePlan(self._plan_name(click.state), click.state, rules), once="create")

    def _on_cancel(self, click: Click) -> Reply | None:
        return Reply(update=blocks.build_notice("Cancelled: nothing was created in Segment."))

    def _on_missing(self, click: Click) -> Reply | None:
        """What was missing, after a 👎: kept for the operator, thanked for in place."""
        state = click.state
        if not (
            isinstance(state, Choice) and click.arg.isdigit() and int(click.arg) < len(blocks.MISSING_REASONS)
        ):
            return None
        reason = blocks.MISSING_REASONS[int(click.arg)]
        updated = (
            blocks.with_reason(click.message_blocks, reason, click.user_id) if click.message_blocks else None
        )
        return Reply(
            update=updated or self._recommendation(state, feedback=(False, click.user_id), reason=reason),
            log={
                "event": "feedback_reason",
                "helpful": False,
                "reason": reason,
                "use_case": state.use_case,
                "goal": state.goal,
                "user": click.user_id,
            },
            once="missing",
            events=(
                Usage(
                    "Recommendation Rated",
                    {"helpful": False, "reason": reason, "use_case": state.use_case, "goal": state.goal},
                ),
            ),
        )

    def _on_helpful(self, click: Click) -> Reply | None:
        return self._on_feedback(click, helpful=True)

    def _on_unhelpful(self, click: Click) -> Reply | None:
        return self._on_feedback(click, helpful=False)

    # ------------------------------------------------------------------ the Home tab, the Messages tab, the shortcut

    def home(self, user_id: str | None, page: int = 0, notice: str | None = None, insights=None) -> dict:
        """The Home tab view for a person: the same for everyone, with the team's insights for
        its admins (`insights`, from the database, or None)."""
        return home.build_home(self.catalog, page=page, notice=notice, insights=insights)

    def home_click(self, action_id: str, value: object, user_id: str | None, page: int = 0) -> HomeReply:
        """A button of the Home tab. It has no conversation of its own: what it starts goes to the
        person's DM with the bot, and the Home view is published again, saying what was done."""
        reply = self.click(action_id, value, user_id, in_thread=False)
        if not isinstance(reply, HomeReply):  # a value that no longer decodes: a fresh Home view
            return HomeReply(view=self.home(user_id, page, notice=blocks.EXPIRED))
        return HomeReply(
            dm=reply.dm,
            then=reply.then,
            view=self.home(user_id, page if reply.page is None else reply.page, reply.note),
            events=reply.events,
        )

    def suggested_prompts(self) -> tuple[str, list[dict]]:
        """The Messages tab's suggested prompts (title, prompts), from the catalog's goals."""
        return home.PROMPTS_TITLE, home.suggested_prompts(self.catalog)

    def shortcut(
        self, text: str, user_id: str | None, *, author: str | None = None, has_files: bool = False
    ) -> Reply:
        """The message shortcut: what the bot makes of someone's message, told privately, as
        `/usecase <that text>` would (help and list words included)."""
        text = LEADING_MENTIONS.sub("", text)
        if not normalize(text):
            return Reply(private=home.build_no_text(has_files))
        words = text.strip().lower()
        if words in HELP_WORDS or words in LIST_WORDS:
            return Reply(private=self.command(words, user_id).private)
        result = self.matcher.match(text, limit=DID_YOU_MEAN_MAX + 1)
        answer = self._answer(result, author or user_id, text)
        if result.verdict == "confident" and len(result.asks) < 2:
            answer = home.with_full_share(answer)
        return Reply(private=answer, events=self._text_usage(result, "shortcut", text))

    def _goal_named(self, words: str) -> Goal | None:
        return next((g for g in self.catalog.goals if normalize(g.name) == words), None)

    def _on_home_goal(self, click: Click) -> HomeReply | None:
        state = click.state
        if not (isinstance(state, Flow) and state.goal and not state.answers):
            return None
        # the intro /usecase posts, then what its button for this goal does, in its thread
        started = self._on_goal(Click(state, "", click.user_id, True, None))
        return HomeReply(
            dm=blocks.build_intro(self.catalog, started_by=click.user_id),
            then=started,
            note=home.started_note(self.catalog.goal(state.goal)),
            events=(flow_started(state.goal),),
        )

    def _on_home_pick(self, click: Click) -> HomeReply | None:
        state = click.state
        if not isinstance(state, Choice):
            return None
        name = self.catalog.use_cases[state.use_case].name
        return HomeReply(
            dm=self._recommendation(state),
            note=home.posted_note(name),
            events=(recommended(state, "home", "picked"),),
        )

    def _on_home_page(self, click: Click) -> HomeReply | None:
        if not (click.arg.isdigit() and len(click.arg) < 6):
            return None
        return HomeReply(page=int(click.arg))

    def _on_share_full(self, click: Click) -> Reply | None:
        """ "Share to channel" on a recommendation told privately: the whole of it, for everyone."""
        state = click.state
        if not isinstance(state, Choice):
            return None
        name = self.catalog.use_cases[state.use_case].name
        note = home.shared_note(name, blocks.mention(click.user_id))
        return Reply(
            update=blocks.build_picked(f"Shared {name}", note),
            post=self._recommendation(state, asked_by=click.user_id, shareable=False),
            once="share",
            public=True,
        )


def flow_started(goal: str | None) -> Usage:
    return Usage("Guided Flow Started", {"goal": goal} if goal else {})


FLOW_STARTED = flow_started(None)


def recommended(choice: Choice, via: str, verdict: str, rank: int | None = None) -> Usage:
    properties = {"use_case": choice.use_case, "goal": choice.goal, "via": via, "verdict": verdict}
    if rank is not None:
        properties["rank"] = rank
    return Usage("Use Case Recommended", properties)


_CLICKS = {
    "goal": Conversation._on_goal,
    "answer": Conversation._on_answer,
    "back": Conversation._on_back,
    "restart": Conversation._on_restart,
    "guided": Conversation._on_guided,
    "pick": Conversation._on_pick,
    "others": Conversation._on_others,
    "share": Conversation._on_share,
    "sharepick": Conversation._on_sharepick,
    "under": Conversation._on_under,
    "browse": Conversation._on_browse,
    "missing": Conversation._on_missing,
    "helpful": Conversation._on_helpful,
    "unhelpful": Conversation._on_unhelpful,
    "details": Conversation._on_details,
    "plan": Conversation._on_plan,
    "planfile": Conversation._on_planfile,
    "ready": Conversation._on_ready,
    "tracked": Conversation._on_tracked,
    "gap": Conversation._on_gap,
    "create": Conversation._on_create,
    "confirm": Conversation._on_confirm,
    "cancel": Conversation._on_cancel,
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
