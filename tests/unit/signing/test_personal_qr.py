"""The personal QR token: short, opaque, signed; forgeries and wrong keys raise TokenInvalid."""

from __future__ import annotations

import pytest
from signing_builders import NOW

from signing import KeyStore, TokenInvalid, b45decode, b45encode, make_personal_token
from signing import read_personal_token

TOKEN_ID = bytes(range(16))


@pytest.fixture(scope="module")
def token_store(tmp_path_factory):
    return KeyStore(tmp_path_factory.mktemp("tok") / "keys")


def test_token_round_trips_and_carries_nothing_personal(token_store):
    text = make_personal_token(TOKEN_ID, token_store.token_signer(now=NOW), now=NOW)
    assert text.startswith("SSK1:") and len(text) < 160
    assert read_personal_token(text, token_store.token_public_keys()) == TOKEN_ID


def test_a_forged_byte_is_refused(token_store):
    text = make_personal_token(TOKEN_ID, token_store.token_signer(now=NOW), now=NOW)
    raw = bytearray(b45decode(text[5:]))
    raw[12] ^= 0x01  # inside token_id
    with pytest.raises(TokenInvalid):
        read_personal_token("SSK1:" + b45encode(bytes(raw)), token_store.token_public_keys())


def test_a_token_from_another_key_is_refused(token_store, tmp_path):
    other = KeyStore(tmp_path / "k").token_signer(now=NOW)
    with pytest.raises(TokenInvalid):
        read_personal_token(make_personal_token(TOKEN_ID, other, now=NOW),
                            token_store.token_public_keys())


def test_tokens_from_a_rotated_key_still_read(tmp_path):
    store = KeyStore(tmp_path / "k")
    old = make_personal_token(TOKEN_ID, store.token_signer(now=NOW), now=NOW)
    store.rotate_token_key(now=NOW)
    assert read_personal_token(old, store.token_public_keys()) == TOKEN_ID


@pytest.mark.parametrize("bad", ["", "SSK1:", "SSK1:abc", "SSK2:00", "HC1:6BF", "SSK1:" + "0" * 30])
def test_malformed_tokens_are_refused(bad, token_store):
    with pytest.raises(TokenInvalid):
        read_personal_token(bad, token_store.token_public_keys())


def test_truncated_token_is_refused(token_store):
    text = make_personal_token(TOKEN_ID, token_store.token_signer(now=NOW), now=NOW)
    for cut in (1, 2, 3, 10):
        with pytest.raises(TokenInvalid):
            read_personal_token(text[:-cut], token_store.token_public_keys())


def test_token_id_must_be_16_bytes(token_store):
    with pytest.raises(ValueError):
        make_personal_token(b"short", token_store.token_signer(now=NOW), now=NOW)
