"""The free-text matcher: normalisation, typos, word order, verdicts, goal hints, the dev set,
and `usecase-bot match` as a command."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import load_catalog
from bot.matcher import MAX_INPUT_CHARS, Match, Matcher, MatchResult, is_list, normalize

ROOT = Path(__file__).resolve().parent.parent
DEV_GOALS = Path(os.environ.get("USECASE_DEV_GOALS", ROOT / "eval" / "dev_goals.yml"))
VERDICTS = {"confident", "ambiguous", "none"}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def matcher(catalog):
    return Matcher(catalog)


def top(matcher: Matcher, text: str) -> str | None:
    result = matcher.match(text)
    return result.matches[0].use_case if result.matches and result.verdict != "none" else None


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<@U0BOT1234> cart abandonment", "cart abandonment"),
        ("<@U0BOT1234|usecase-bot> hi", "hi"),
        ("see <#C024BE7LR|growth-team> please", "see please"),
        ("<!here> <!channel> <!everyone> churn", "churn"),
        ("<!subteam^S012AB3CD|@marketing> winback", "winback"),
        ("read <https://example.com/a?b=c|the winback guide> now", "read the winback guide now"),
        ("read <https://example.com/a?b=c> now", "read now"),
        ("<mailto:ana@example.com|Ana> said", "ana said"),
        ("ppl keep bouncing :sob: :chart_with_upwards_trend: :+1::skin-tone-2:", "ppl keep bouncing"),
        ("*repeat biz* _is_ ~our~ `okr`", "repeat biz is our okr"),
        ("```abandoned cart```", "abandoned cart"),
        ("subscribe &amp; save &lt;3 &gt; 2", "subscribe save 3 2"),
        ("&lt;@U123&gt; is escaped text, not a mention", "u123 is escaped text not a mention"),
        ("  Cart---ABANDONMENT!!!   is   BAD?! ", "cart abandonment is bad"),
        ("didn't, they're, customer's", "didnt theyre customers"),
        ("Café crème résumé", "cafe creme resume"),
        ("\u200fcart\u200e\x00abandonment\t\r\n", "cart abandonment"),
        ("exclude for 30d, 24h; the 2nd order", "exclude for 30 d 24 h the 2nd order"),
        ("look-a-likes / lookalikes", "look a likes lookalikes"),
        ("", ""),
        ("   ", ""),
        ("🎉🔥", ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_normalize_is_idempotent():
    text = "<@U1> *Cart* abandonmnet &amp; :sob: <https://x.io|Link> 30d"
    once = normalize(text)
    assert normalize(once) == once


def test_normalize_truncates_very_long_text():
    assert len(normalize("churn " * 10_000)) <= MAX_INPUT_CHARS + 1


def test_a_long_text_is_read_at_its_head_and_its_tail():
    ask = "How do we get people who leave items in the cart to finish checkout?"
    text = "We sell outdoor gear and have a loyalty club. " * 200 + ask
    assert len(text) > MAX_INPUT_CHARS
    assert normalize(text).endswith(normalize(ask))


# --------------------------------------------------------------------------- the catalog's names


def test_every_use_case_name_matches_itself(matcher, catalog):
    for uc in catalog.use_cases.values():
        result = matcher.match(uc.name)
        assert result.verdict == "confident", (uc.name, result.to_json())
        assert result.matches[0].use_case == uc.id


def test_every_use_case_name_matches_with_a_typo(matcher, catalog):
    for uc in catalog.use_cases.values():
        words = uc.name.split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        w = words[longest]
        words[longest] = w[:2] + w[3] + w[2] + w[4:]  # swap two letters
        text = " ".join(words)
        assert top(matcher, text) == uc.id, (text, matcher.match(text).to_json())


def test_every_vocabulary_phrase_reads_as_something(matcher):
    assert matcher.empty_phrases == []


def test_vocabulary_is_in_the_catalog(catalog):
    assert all(uc.vocabulary for uc in catalog.use_cases.values())
    assert all(len(uc.examples) >= 10 for uc in catalog.use_cases.values())
    assert all(goal.vocabulary for goal in catalog.goals)
    assert catalog.lexicon.stopwords and catalog.lexicon.concepts


# --------------------------------------------------------------------------- how people talk


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<@U0BOT1234> more app installs from ads", "build-lookalikes-for-app-install"),
        ("<@U0BOT1234|bot> help us with trial conversions please", "convert-trials-to-paid-subscriptions"),
        ("*abandoned cart* flow :shopping_trolley:", "mitigate-cart-abandonment"),
        ("see <https://x.io/deck|win back lapsed customers>", "personalize-winback"),
        ("exclude buyers &amp; purchasers from ads", "suppress-with-purchase"),
    ],
)
def test_slack_markup_does_not_get_in_the_way(matcher, text, expected):
    assert top(matcher, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("cart abandonmnet is killing us", "mitigate-cart-abandonment"),
        ("lookalke audience of our whales", "build-high-value-lookalikes"),
        ("supress with purchse", "suppress-with-purchase"),
        ("win back old custmers that went cold", "personalize-winback"),
        ("convert trials to paid subscritions", "convert-trials-to-paid-subscriptions"),
        ("retention campaign for our biggest accounts before they stop buyng", "mitigate-high-value-churn"),
        ("reactivaet dormant users", "personalize-winback"),
        ("personalised onbaording emails", "accelerate-onboarding"),
    ],
)
def test_typos_still_match(matcher, text, expected):
    assert top(matcher, text) == expected


def test_typo_fixes_leave_everyday_words_alone(matcher):
    # "review" is one edit from no catalog word and two from "revive": it must not read as winback
    assert matcher.match("can we move the campaign review").verdict == "none"


@pytest.mark.parametrize(
    "a, b",
    [
        ("cart abandonment", "abandonment cart"),
        ("high value churn", "churn high value"),
        ("lookalikes of our best customers", "our best customers lookalikes"),
        ("suppress ads after purchase", "after purchase suppress ads"),
    ],
)
def test_word_order_does_not_matter(matcher, a, b):
    ra, rb = matcher.match(a), matcher.match(b)
    assert ra.matches[0].use_case == rb.matches[0].use_case
    assert ra.matches[0].score == rb.matches[0].score


@pytest.mark.parametrize(
    "text, expected",
    [
        ("our vips are churning", "mitigate-high-value-churn"),
        ("whales churn", "mitigate-high-value-churn"),
        ("a VIP churned", "mitigate-high-value-churn"),
        ("customers keep cancelling", "mitigate-high-value-churn"),
        ("shoppers abandoning carts", "mitigate-cart-abandonment"),
        ("people abandoned their cart", "mitigate-cart-abandonment"),
        ("customers reordering", "increase-repeat-purchases"),
        ("users are upgrading", "personalize-upsell-content"),
        ("bring back users who stopped coming back", "personalize-winback"),
        ("registrations are down", "accelerate-signup"),
    ],
)
def test_plurals_and_verb_forms_match(matcher, text, expected):
    assert top(matcher, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("we keep losing our biggest spenders", "mitigate-high-value-churn"),
        ("our whales are dropping off", "mitigate-high-value-churn"),
        ("keep our top customers from leaving", "mitigate-high-value-churn"),
        ("trialists never convert", "convert-trials-to-paid-subscriptions"),
        ("freemium users never pay", "acquire-paid-subscriptions"),
        ("basket abandonment", "mitigate-cart-abandonment"),
        ("lapsed and dormant buyers", "personalize-winback"),
        ("raise AOV", "personalize-upsell-content"),
        ("LTV is flat because nobody reorders", "increase-repeat-purchases"),
        ("ROAS on prospecting is bad, want lookalikes of big spenders", "build-high-value-lookalikes"),
    ],
)
def test_marketing_vocabulary(matcher, text, expected):
    assert top(matcher, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Some context first: we run a marketplace for handmade furniture, and the thing "
            "keeping me up at night is that our highest-spending buyers have quietly started "
            "ordering less over the past two quarters. What would you set up?",
            "mitigate-high-value-churn",
        ),
        (
            "We're a meal delivery startup; lots of people download the app after seeing our "
            "ads, order once, and then we never hear from them again, so how do we get that "
            "second and third order?",
            "increase-repeat-purchases",
        ),
        (
            "checkout conversion is far below benchmarks, we want to remind people who leave "
            "items in the cart and retarget them",
            "mitigate-cart-abandonment",
        ),
    ],
)
def test_long_wordy_messages_still_get_an_answer(matcher, text, expected):
    # many known words spread over several use cases used to dilute the winner under the threshold
    result = matcher.match(text)
    assert result.verdict != "none", result.to_json()
    assert result.matches[0].use_case == expected


def test_a_message_that_names_a_use_case_means_it(matcher):
    result = matcher.match("we were told to look at personalize winback, does it fit a SaaS product?")
    assert result.verdict == "confident"
    assert result.matches[0].use_case == "personalize-winback"


def test_a_typo_reads_as_the_likelier_catalog_word(matcher):
    # "trails" is one edit from both "trials" and "traits": the catalog says "trial" far more
    assert top(matcher, "convert trails to paid subscriptions") == "convert-trials-to-paid-subscriptions"


def test_examples_teach_the_matcher(catalog):
    text = "lookalike audiences for the zorbly crowd"
    target = "increase-signups-with-lookalikes"
    assert Matcher(catalog).match(text).matches[0].use_case != target
    use_case = catalog.use_cases[target]
    taught = dict(catalog.use_cases)
    taught[target] = dataclasses.replace(
        use_case, examples=(*use_case.examples, "ads that get zorbly people to sign up")
    )
    taught_catalog = dataclasses.replace(catalog, use_cases=MappingProxyType(taught))
    assert Matcher(taught_catalog).match(text).matches[0].use_case == target


def test_examples_alone_make_no_recommendation(catalog):
    # a word only an example uses points to its use case, but is no phrase of its vocabulary
    use_case = catalog.use_cases["personalize-winback"]
    taught = dict(catalog.use_cases)
    taught[use_case.id] = dataclasses.replace(use_case, examples=("zorbly zorbly zorbly",))
    matcher = Matcher(dataclasses.replace(catalog, use_cases=MappingProxyType(taught)))
    assert matcher.match("zorbly").verdict == "none"


def test_terms_are_the_persons_own_words(matcher):
    m = matcher.match("cart abandonmnet is killing us").matches[0]
    assert m.use_case == "mitigate-cart-abandonment"
    assert "abandonmnet" in m.terms and "cart" in m.terms
    assert 1 <= len(m.terms) <= 4


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        ":wave:",
        "<@U0BOT1234>",
        "good morning",
        "hi",
        "<@U0BOT1234> hi",
        "thanks!",
        "thx!!",
        "ty bot",
        "ok cool",
        "lol",
        "happy friday :tada:",
        "where is the office wifi password",
        "my laptop wont connect to VPN again",
        "reset my okta pw pls",
        "how do i submit PTO",
        "whos ordering lunch today",
        "qwerty",
        "asdfgh jkl",
        "1234",
        "fix the typo in the abandoned cart email subject line pls",
        "the checkout page is throwing a 500 error in staging",
        "please send me the churn dashboard link",
        # requests that use goal words but are no goal: figures, files, bugs, code, admin
        "can you pull last month's churn numbers for the board?",
        "please cancel my subscription to the weekly digest",
        "where can I find the slides from the new hire onboarding session?",
        "can anyone recommend a good book on retention marketing?",
        "how do I add the Android SDK to our app?",
        "the abandoned cart email template has a broken image",
        "who owns the trial conversion dashboard?",
        "the app install banner has a typo",
        "What is our churn rate this quarter?",
    ],
)
def test_out_of_scope_is_none(matcher, text):
    result = matcher.match(text)
    assert result.verdict == "none", result.to_json()


def test_a_close_call_is_ambiguous(matcher):
    result = matcher.match("lookalike audiences")
    assert result.verdict == "ambiguous"
    ids = {m.use_case for m in result.matches}
    assert ids == {
        "build-high-value-lookalikes",
        "build-lookalikes-for-app-install",
        "increase-signups-with-lookalikes",
    }


def test_a_clear_goal_is_confident(matcher):
    result = matcher.match("abandoned cart emails")
    assert result.verdict == "confident"
    assert result.matches[0].score - result.matches[1].score >= 8.0


# --------------------------------------------------------------------------- goals


@pytest.mark.parametrize(
    "text, use_case, goal",
    [
        ("show ads to people who abandoned checkout", "mitigate-cart-abandonment", "optimize-advertising"),
        ("retarget cart abandoners on meta", "mitigate-cart-abandonment", "optimize-advertising"),
        (
            "abandoned cart email and push reminders",
            "mitigate-cart-abandonment",
            "personalize-first-conversion",
        ),
        ("retarget at-risk vips with paid social", "mitigate-high-value-churn", "optimize-advertising"),
        (
            "email our vips before they churn",
            "mitigate-high-value-churn",
            "personalize-communications-product-experiences",
        ),
        ("lookalikes of our whales for tiktok ads", "build-high-value-lookalikes", "optimize-advertising"),
        (
            "what our best customers have in common, to plan retention",
            "build-high-value-lookalikes",
            "boost-retention-upsell-cross-sell",
        ),
        (
            "in-app upsell messages",
            "personalize-upsell-content",
            "personalize-communications-product-experiences",
        ),
    ],
)
def test_goal_hint_picks_the_goal(matcher, text, use_case, goal):
    result = matcher.match(text)
    assert result.matches[0].use_case == use_case
    assert result.matches[0].goal == goal
    assert result.goal == goal


def test_a_use_case_with_one_goal_always_names_it(matcher, catalog):
    result = matcher.match("supress with purchase")
    assert result.matches[0].goal == "optimize-advertising"
    only = next(iter(catalog.use_cases["suppress-with-purchase"].goals))
    assert result.matches[0].goal == only


def test_no_goal_words_no_goal(matcher):
    result = matcher.match("vips churning")
    assert result.matches[0].use_case == "mitigate-high-value-churn"
    assert result.matches[0].goal is None  # it sits under three goals; the words pick none


# --------------------------------------------------------------------------- the result


def test_result_contract(matcher):
    result = matcher.match("cart abandonment emails", limit=5)
    assert isinstance(result, MatchResult)
    assert result.query == "cart abandonment emails"
    assert result.verdict in VERDICTS
    assert 1 <= len(result.matches) <= 5
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)
    for m in result.matches:
        assert isinstance(m, Match)
        assert 0.0 <= m.score <= 100.0 and m.score == round(m.score, 1)
    data = result.to_json()
    assert set(data) == {"query", "verdict", "matches"}
    assert all(set(m) == {"use_case", "name", "goal", "score"} for m in data["matches"])
    json.dumps(data)
    assert "Mitigate cart abandonment" in result.describe()
    assert len(matcher.match("cart abandonment", limit=1).matches) == 1


def test_results_are_deterministic(matcher, catalog):
    again = Matcher(catalog)
    for text in ["whales", "abandoned carts and lapsed buyers", "upgrade", "lookalikes"]:
        assert matcher.match(text) == again.match(text)


@pytest.mark.parametrize(
    "text",
    [
        "churn " * 8000,
        "abandonmnet " * 4000,
        "<" * 40_000,
        "<@" + "U" * 40_000,
        ":" * 40_000,
        "&amp;" * 8000,
        "\x00\x01\x02\u200f\u202e\ufeff" * 5000,
        "🔥" * 40_000,
        "كيف نستعيد العملاء abandoned cart 顧客",
        "a" * 40_000,
    ],
)
def test_any_input_is_safe_and_bounded(matcher, text):
    start = time.perf_counter()
    result = matcher.match(text)
    assert time.perf_counter() - start < 1.0
    assert result.verdict in VERDICTS
    assert result.query == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text):
    result = _shared_matcher().match(text)
    assert result.verdict in VERDICTS
    for m in result.matches:
        assert 0.0 <= m.score <= 100.0


_MATCHER: list[Matcher] = []


def _shared_matcher() -> Matcher:
    if not _MATCHER:
        _MATCHER.append(Matcher(load_catalog()))
    return _MATCHER[0]


def test_caches_are_bounded(matcher):
    for i in range(10_000):
        matcher.match(f"zyxwq{i} abandonmnt{i}")
    assert matcher.typos.correct.cache_info().currsize <= matcher.typos.correct.cache_info().maxsize
    assert matcher.stem.cache_info().currsize <= matcher.stem.cache_info().maxsize
    assert matcher._read.cache_info().currsize <= matcher._read.cache_info().maxsize


# --------------------------------------------------------------------------- the dev set


def _figures(matcher: Matcher, path: Path) -> tuple[float, float, float]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    top1 = top3 = inscope = rejected = outscope = 0
    for case in cases:
        result = matcher.match(case["text"] or "")
        got = [m.use_case for m in result.matches]
        if case.get("use_case") is None:
            outscope += 1
            rejected += result.verdict == "none"
            continue
        inscope += 1
        right = {case["use_case"], *(case.get("also") or [])}
        top1 += result.verdict != "none" and bool(got) and got[0] in right
        top3 += result.verdict != "none" and any(g in right for g in got[:3])
    return top1 / inscope, top3 / inscope, rejected / outscope if outscope else 1.0  # 1.0: none to reject


def test_dev_set_targets(matcher):
    assert DEV_GOALS.is_file(), f"the dev set is missing: {DEV_GOALS}"
    top1, top3, reject = _figures(matcher, DEV_GOALS)
    assert top1 >= 0.92, top1
    assert top3 >= 0.98, top3
    assert reject >= 0.95, reject


# Floors a little under today's figures on the other people's sets in eval/ (see its README):
# a vocabulary change that loses ground on text it was not written for fails here.
EVAL_FLOORS = {
    "heldout_a.yml": (0.98, 0.98, 0.97),
    "heldout_b.yml": (0.95, 0.98, 0.97),
    "heldout_c.yml": (0.89, 0.94, 0.95),
    "heldout_d.yml": (0.92, 0.95, 0.97),
    "heldout_e.yml": (0.90, 0.95, 0.97),
    "blind3_long.yml": (0.87, 0.96, 0.95),
    "blind3_two_asks.yml": (0.86, 0.95, 1.0),
    "blind3_support.yml": (0.85, 0.92, 0.92),
    "blind3_near_miss.yml": (0.95, 0.95, 0.95),
    "blind4_long.yml": (0.83, 0.96, 0.95),
    "blind4_two_asks.yml": (0.92, 0.97, 1.0),
    "blind4_support.yml": (0.90, 0.95, 0.93),
    "blind4_near_miss.yml": (0.85, 0.90, 0.95),
}


@pytest.mark.parametrize("name", sorted(EVAL_FLOORS))
def test_other_peoples_goals_stay_above_their_floors(matcher, name):
    top1, top3, reject = _figures(matcher, ROOT / "eval" / name)
    floor1, floor3, floor_reject = EVAL_FLOORS[name]
    assert top1 >= floor1 and top3 >= floor3 and reject >= floor_reject, (
        f"{name}: top-1 {top1:.3f}, top-3 {top3:.3f}, reject {reject:.3f}"
    )


# --------------------------------------------------------------------------- the command


def _command() -> list[str]:
    script = Path(sys.executable).parent / "usecase-bot"
    if script.exists():
        return [str(script)]
    found = shutil.which("usecase-bot")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def test_match_command_json_lines_from_stdin():
    lines = [
        "we keep losing our biggest spenders",
        "<@U0BOT1234> cart abandonmnet is killing us",
        "good morning",
        "",
        "lookalike audiences",
    ]
    proc = subprocess.run(
        [*_command(), "match", "--json"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["query"] for o in out] == lines
    for o in out:
        assert {"query", "verdict", "matches"} <= set(o) <= {"query", "verdict", "matches", "asks", "kind"}
        assert o["verdict"] in VERDICTS
        for m in o["matches"]:
            assert set(m) == {"use_case", "name", "goal", "score"}
            assert isinstance(m["score"], float) and 0 <= m["score"] <= 100
            assert m["goal"] is None or isinstance(m["goal"], str)
        assert len(o["matches"]) <= 3
    assert out[0]["verdict"] == "confident"
    assert out[0]["matches"][0]["use_case"] == "mitigate-high-value-churn"
    assert out[1]["matches"][0]["use_case"] == "mitigate-cart-abandonment"
    assert out[2]["verdict"] == "none" and out[3]["verdict"] == "none"
    assert out[4]["verdict"] == "ambiguous"


def test_match_command_one_query_with_limit():
    proc = subprocess.run(
        [*_command(), "match", "--json", "--limit", "1", "abandoned", "carts"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    data = json.loads(line)
    assert data["query"] == "abandoned carts"
    assert [m["use_case"] for m in data["matches"]] == ["mitigate-cart-abandonment"]
    text = subprocess.run(
        [*_command(), "match", "abandoned carts"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert text.returncode == 0 and "Mitigate cart abandonment" in text.stdout


def test_matcher_does_not_import_slack():
    code = "import bot.matcher, sys; assert 'slack_bolt' not in sys.modules; assert 'slack_sdk' not in sys.modules"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- what people actually write


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "forget app installs, we want lookalikes of our highest spending customers",
            "build-high-value-lookalikes",
        ),
        (
            "we already retarget cart abandoners, what we need now is to stop showing ads to people who just bought",
            "suppress-with-purchase",
        ),
        (
            "not lookalikes, not ads at all: our signup form is too long and people give up on it",
            "accelerate-signup",
        ),
        (
            "churn is fine, we don't need winback. we want to cross-sell accessories to people who bought a camera",
            "personalize-upsell-content",
        ),
        (
            "we don't do trials, our free plan is forever. how do we get free users onto a paid plan?",
            "acquire-paid-subscriptions",
        ),
        ("we don't want to lose our best customers to competitors", "mitigate-high-value-churn"),
        ("shoppers who do not complete checkout", "mitigate-cart-abandonment"),
    ],
)
def test_negation_and_contrast(matcher, text, expected):
    assert top(matcher, text) == expected


def test_the_ask_outweighs_the_background(matcher):
    text = (
        "Context: we're a meal kit company, we run lots of lookalike campaigns on Meta and our app has "
        "millions of installs. What we need: people add boxes to the cart and never pay, so how do we get "
        "them to finish checkout?"
    )
    result = matcher.match(text)
    assert result.verdict == "confident" and result.matches[0].use_case == "mitigate-cart-abandonment"
    assert not {"lookalike", "app", "installs"} & set(" ".join(result.matches[0].terms).split())


def test_two_asks_are_reported_each_with_its_matches(matcher):
    result = matcher.match(
        "We want to stop showing ads to people who already bought. Also, we'd like lookalike "
        "audiences of our best customers."
    )
    assert [a.matches[0].use_case for a in result.asks] == [
        "suppress-with-purchase",
        "build-high-value-lookalikes",
    ]
    data = result.to_json()
    assert {"query", "verdict", "matches"} <= set(data) and len(data["asks"]) == 2
    assert all(set(m) == {"use_case", "name", "goal", "score"} for ask in data["asks"] for m in ask)


@pytest.mark.parametrize(
    "text, asks",
    [
        (
            "our priorities for Q3: (1) more visitors completing registration, (2) a personalized first week "
            "for new users",
            ["accelerate-signup", "accelerate-onboarding"],
        ),
        (
            "reduce churn and also get more app installs",
            ["mitigate-high-value-churn", "accelerate-app-install"],
        ),
        (
            "Two questions. How do we bring back people who leave their cart at checkout? And how do we stop "
            "showing ads to people who already bought?",
            ["mitigate-cart-abandonment", "suppress-with-purchase"],
        ),
        (  # a goal stated, not asked, then one added with "plus"
            "our trial converts badly. plus we'd love more app installs from the mobile site",
            ["convert-trials-to-paid-subscriptions", "accelerate-app-install"],
        ),
        (  # a numbered list, no joiner words
            "Gym chain.\n1) members who haven't booked a class in 60 days should get a personal come-back "
            "offer\n2) stop showing our ads to people the day they buy a membership",
            ["personalize-winback", "suppress-with-purchase"],
        ),
        (  # a short message's next sentence opened with "And"
            "Our free trial converts badly to paid. And in the shop, one-time buyers never order again.",
            ["convert-trials-to-paid-subscriptions", "increase-repeat-purchases"],
        ),
    ],
)
def test_two_asks_said_in_other_ways(matcher, text, asks):
    assert [a.matches[0].use_case for a in matcher.match(text).asks] == asks


def test_a_long_story_with_many_goals_is_one_ask(matcher):
    text = (
        "I manage paid media for a car rental brand. We run prospecting and retargeting across Google, Meta "
        "and display. A big chunk of the retargeting budget goes to people who booked or signed up in the "
        "last few days and obviously don't need another ad right now. I'd like them kept out of our "
        "campaigns for a couple of weeks after they convert, then let back in."
    )
    result = matcher.match(text)
    assert result.asks == () and result.matches[0].use_case == "suppress-based-on-time"


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "We're running Meta and TikTok ads for our skincare line and we also have a mobile app, though "
            "honestly few people use it. We did a big lookalike push in spring. The thing that is bugging me "
            "is what happens after the first order: getting the one-time buyers to come back and buy again.",
            "increase-repeat-purchases",
        ),
        (
            "We sell outdoor and camping gear online and in two stores. Acquisition through Google Shopping is "
            "healthy and our checkout was redesigned last year so cart abandonment is down. What I'd love help "
            "with is customers who bought from us two or three seasons ago and haven't been back since.",
            "personalize-winback",
        ),
        ("our app has tons of downloads but people never open it twice", "accelerate-onboarding"),
    ],
)
def test_the_ask_wins_over_a_story_of_other_goals(matcher, text, expected):
    result = matcher.match(text)
    assert result.verdict != "none" and result.matches[0].use_case == expected


def test_matching_from_many_threads_gives_the_same_answers(matcher):
    """Cue phrases are found once per message and kept per thread: threads never mix them up."""
    texts = [
        "two things: recover abandoned carts, and separately win back customers who haven't ordered in a year",
        "not for ads, this is about getting one-time buyers to order a second time",
        "how do I block events that aren't in our Protocols tracking plan?",
        "the snack cart is empty",
        "acquisition isn't the issue, keeping our top-tier accounts from leaving is",
    ] * 20
    alone = [matcher.match(t).to_json() for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda t: matcher.match(t).to_json(), texts))
    assert together == alone


@pytest.mark.parametrize(
    "text",
    [
        "remind people who leave items in the cart and get them to come back and finish checkout",
        "find our high value customers who are at risk and keep them from leaving",
        "stop retargeting buyers and stop wasting budget on people who already purchased",
    ],
)
def test_one_ask_said_twice_is_one_ask(matcher, text):
    assert matcher.match(text).asks == ()


@pytest.mark.parametrize(
    "text, topic",
    [
        ("how do I block events that aren't in our Protocols tracking plan?", "protocols"),
        ("a user asked us to delete all their data under GDPR, how do we do that in Segment?", "privacy"),
        ("where do I find the write key for our iOS source?", "keys"),
        ("what's the difference between workspace roles, can a read-only member edit sources?", "roles"),
    ],
)
def test_support_questions_are_not_goals(matcher, text, topic):
    result = matcher.match(text)
    assert (result.verdict, result.kind, result.topic) == ("none", "support", topic)
    assert result.to_json()["kind"] == "support"


def test_a_goal_in_a_support_voice_is_a_goal(matcher):
    assert top(matcher, "which events do I need to track in Segment to run cart abandonment campaigns?") == (
        "mitigate-cart-abandonment"
    )
    # a setup question names its goal once, among Segment's own words (issue 11's dead end)
    assert top(
        matcher, "which events do I need in the tracking plan for winback via reverse etl from snowflake?"
    ) == ("personalize-winback")


@pytest.mark.parametrize(
    "text, topic",
    [
        ("events from the android source aren't showing up in the debugger", "debugger"),
        ("Protocols keeps blocking our Order Completed events", "protocols"),
        ("I picked the wrong use case in guided setup, can I switch?", None),
        ("how do I upgrade our Segment workspace from the free plan to Team?", None),
    ],
)
def test_support_questions_with_goal_words_are_not_goals(matcher, text, topic):
    result = matcher.match(text)
    assert (result.verdict, result.kind, result.topic) == ("none", "support", topic)


@pytest.mark.parametrize(
    "text",
    [
        "the snack cart is empty",
        "signup sheet for the team lunch",
        "our new-hire onboarding plan",
        "onboarding buddy needed for Priya, she starts Tuesday",
        "trial of the new standing desks starts next week",
        # one goal word among words no use case uses, about no customers
        "welcome back Jess! how was the honeymoon?",
        "the trial run of the fire drill is at 11",
        "I'll be abandoning ship early today, dentist at 4",
        "who won the game last night",
        # a person's own things
        "my kid's school app sends way too many notifications",
        "the push notification on my watch won't go away",
        # junk (issue 17)
        "payload=%7B%7D",
        "%7B%22type%22%3A%22test%22%7D",
        # office chatter the words alone would split into two asks
        "we lost the ping pong final to the sales team, we need a win back next month",
    ],
)
def test_near_misses_never_match(matcher, text):
    assert matcher.match(text).verdict == "none"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("cart abandonment is up again", "mitigate-cart-abandonment"),
        ("trials aren't converting", "convert-trials-to-paid-subscriptions"),
        ("our whales are churning", "mitigate-high-value-churn"),
        ("Build hihg-value lookalikes", "build-high-value-lookalikes"),
        (
            "subscription box: between deliveries we want to send recipes and how-to content",
            "nurture-with-content",
        ),
    ],
)
def test_a_short_goal_with_one_goal_word_still_matches(matcher, text, expected):
    assert top(matcher, text) == expected


@pytest.mark.parametrize(
    "text",
    ["improve LTV", "help us grow", "our CAC is insane", "just tell me what to do, board meeting in 10 min"],
)
def test_vague_goals_are_never_a_confident_pick(matcher, text):
    result = matcher.match(text)
    assert result.verdict != "confident" and result.kind == "vague"


@pytest.mark.parametrize(
    "text, listed",
    [
        ("1) recover carts 2) win back lapsed buyers", True),
        ("(a) fewer drop-offs at signup, and (b) more app installs", True),
        ("• trial to paid\n• fewer churned VIPs", True),
        ("from 1.8 to 2.5 purchases a year", False),
        ("step 2) of the form is where they leave", False),
    ],
)
def test_a_list_of_items_is_told_from_numbers_in_a_sentence(text, listed):
    assert is_list(text) is listed
