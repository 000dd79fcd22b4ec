"""Shared fixtures: one key store per session (generation is fast, but keep tests quick)."""

from __future__ import annotations

import pytest
from signing_builders import NOW

from signing import KeyStore, TrustList


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> KeyStore:
    return KeyStore(tmp_path_factory.mktemp("shared") / "keys")


@pytest.fixture(scope="session")
def dsc(store):
    return store.current_dsc(now=NOW)


@pytest.fixture(scope="session")
def trust(store, dsc) -> TrustList:
    return TrustList.from_certificates(store.dsc_certificates())
