"""Tokens at rest (Fernet, rotated with MultiFernet) and out of every log line."""

from __future__ import annotations

import logging

import pytest

from bot.tokens import PREFIX, RedactTokens, TokenCipher, TokenKeyError, check_keys, new_key, redact

BOT = "xoxb-1234-5678-AbCdEfGhIjKlMnOp"
ROTATING = "xoxe.xoxb-1-MS0yLTEyMzQ1Njc4OTAtYWJj"
REFRESH = "xoxe-1-My0xLTEyMzQ1Njc4OTAtZGVm"


def test_a_sealed_token_opens_with_its_key_and_shows_nothing_of_itself():
    cipher = TokenCipher((new_key(),))
    sealed = cipher.seal(BOT)
    assert sealed.startswith(PREFIX) and BOT not in sealed and "xox" not in sealed
    assert cipher.open(sealed) == BOT
    assert cipher.seal(sealed) == sealed  # sealing twice changes nothing
    assert cipher.seal(None) is None and cipher.open(None) is None


def test_without_a_key_tokens_are_kept_as_they_are_and_sealed_ones_cannot_be_read():
    plain = TokenCipher(())
    assert plain.seal(BOT) == BOT and plain.open(BOT) == BOT
    sealed = TokenCipher((new_key(),)).seal(BOT)
    with pytest.raises(TokenKeyError, match="USECASE_TOKEN_KEY is not set"):
        plain.open(sealed)


def test_a_key_is_rotated_by_putting_the_new_one_first():
    old, fresh = new_key(), new_key()
    sealed = TokenCipher((old,)).seal(BOT)
    both = TokenCipher((fresh, old))
    assert both.open(sealed) == BOT  # the old key still reads what it sealed
    resealed = both.reseal(sealed)
    assert TokenCipher((fresh,)).open(resealed) == BOT  # and after reseal, the new key alone does
    with pytest.raises(TokenKeyError, match="does not decrypt"):
        TokenCipher((fresh,)).open(sealed)
    assert both.reseal(BOT).startswith(PREFIX)  # a token stored before any key gets sealed too


A_KEY = "bm90LWEtc2VjcmV0LWp1c3QtMzItYnl0ZXMtbG9uZyE="  # 32 bytes, URL-safe base64: shaped like a key


def test_a_key_of_the_right_shape_is_taken():
    assert check_keys(f" {A_KEY} , {A_KEY}") == (A_KEY, A_KEY)
    assert check_keys("") == () and check_keys(None) == ()


@pytest.mark.parametrize("raw", ["not-a-key", "c2hvcnQ=", f"{A_KEY},oops"])
def test_a_malformed_key_is_refused_with_what_to_do(raw):
    with pytest.raises(TokenKeyError) as info:
        check_keys(raw)
    assert "USECASE_TOKEN_KEY" in str(info.value) and "usecase-bot db new-key" in str(info.value)


def test_tokens_are_redacted_from_log_lines_whoever_logs_them(caplog):
    assert redact(f"bot {BOT} rotating {ROTATING} refresh {REFRESH} app xapp-1-A0-123") == (
        "bot xox…[redacted] rotating xox…[redacted] refresh xox…[redacted] app xox…[redacted]"
    )
    logger = logging.getLogger("usecase_bot.test_tokens")
    handler = logging.Handler()
    seen = []
    handler.emit = lambda record: seen.append(logging.Formatter().format(record))
    handler.addFilter(RedactTokens())
    logger.addHandler(handler)
    try:
        logger.warning("refreshing with %s", REFRESH)
        try:
            raise ValueError(f"Slack said no to {BOT}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert seen and not any(t in line for line in seen for t in (BOT, REFRESH))
    assert "refreshing with xox…[redacted]" in seen[0] and "Slack said no to xox…[redacted]" in seen[1]
