"""Sổ Sức Khỏe signing: keys, EU DCC (HC1), SMART Health Cards, trust lists, personal QR, QR images.

Pure library: no Flask, no database, no ``api`` imports; every clock is passed in as ``now=``.
"""

from .base45 import b45decode, b45encode
from .hcert import (build_dcc_vaccination, check_dcc_structure, issue_hcert, make_uvci,
                    transliterate_icao, uvci_checksum, verify_hcert)
from .keys import KeyStore, LocalSigner, Signer, kid_for
from .personal_qr import TokenInvalid, make_personal_token, read_personal_token
from .qr import render_png, render_svg
from .shc import build_shc_bundle, issue_shc, jwk_thumbprint, jwks_for, public_jwk, verify_shc
from .trustlist import RevocationList, TrustedKey, TrustList, TrustListInvalid, uvci_hash
from .verdict import STATUSES, DoseSummary, Verdict

__all__ = [
    "STATUSES", "DoseSummary", "KeyStore", "LocalSigner", "RevocationList", "Signer",
    "TokenInvalid", "TrustList", "TrustListInvalid", "TrustedKey", "Verdict", "b45decode",
    "b45encode", "build_dcc_vaccination", "build_shc_bundle", "check_dcc_structure",
    "issue_hcert", "issue_shc", "jwk_thumbprint", "jwks_for", "kid_for", "make_personal_token",
    "make_uvci", "public_jwk", "read_personal_token", "render_png", "render_svg",
    "transliterate_icao", "uvci_checksum", "uvci_hash", "verify_hcert", "verify_shc",
]
