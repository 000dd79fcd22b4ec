"""Our Base45 against the `base45` package (RFC 9285): byte-exact, and the same errors."""

from __future__ import annotations

import random

import base45 as reference
import pytest

from signing.base45 import ALPHABET, b45decode, b45encode


def test_rfc_9285_examples():
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45encode(b"base-45") == "UJCLQE7W581"
    assert b45decode("QED8WEX0") == b"ietf!"


@pytest.mark.parametrize("seed", range(5))
def test_random_round_trips_equal_the_reference_package(seed):
    rng = random.Random(seed)
    for n in list(range(0, 40)) + [rng.randrange(40, 1200) for _ in range(60)]:
        data = rng.randbytes(n)
        ours = b45encode(data)
        assert ours.encode() == reference.b45encode(data)
        assert b45decode(ours) == data == reference.b45decode(ours)
        assert b45decode(ours.encode()) == data


def test_edge_values_equal_the_reference_package():
    for data in (b"\x00", b"\xff", b"\x00\x00", b"\xff\xff", b"\xff\xff\xff", bytes(range(256))):
        assert b45encode(data).encode() == reference.b45encode(data)
        assert b45decode(b45encode(data)) == data


@pytest.mark.parametrize("bad", ["GGW", "ZZZ", ":::", "GGW00", "00:::"])
def test_triplet_above_ffff_is_a_value_error_like_the_package(bad):
    # "GGW" = 16 + 16*45 + 32*2025 = 65536: one past 0xFFFF (RFC 9285 §6)
    with pytest.raises(ValueError):
        reference.b45decode(bad)
    with pytest.raises(ValueError):
        b45decode(bad)


@pytest.mark.parametrize("bad", ["::", "00::", "U6"])
def test_final_pair_above_ff_is_a_value_error(bad):
    # "U6" = 30 + 6*45 = 300
    with pytest.raises(ValueError):
        reference.b45decode(bad)
    with pytest.raises(ValueError):
        b45decode(bad)


@pytest.mark.parametrize("bad", ["a", "0", "0000", "abc", "BB8a", "BB\x00", "É00", "BB8\n0"])
def test_bad_characters_and_lengths_are_value_errors(bad):
    with pytest.raises(ValueError):
        b45decode(bad)


def test_every_character_outside_the_alphabet_is_rejected():
    for code in range(256):
        ch = chr(code)
        if ch in ALPHABET:
            continue
        with pytest.raises(ValueError):
            b45decode("00" + ch)


def test_rejects_non_text_input():
    with pytest.raises(TypeError):
        b45decode(123)  # type: ignore[arg-type]
