"""`flask --app wsgi keys ...`: the passport signing keys (document signers under the root)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from api import clock
from api.certificates import service
from api.web import keystore

keys_cli = AppGroup("keys", help="Passport signing keys (document signer certificates).")


def _line(info: service.SignerInfo) -> str:
    mark = "*" if info.current else " "
    return (f"{mark} {info.kid}\tvalid {info.not_before:%Y-%m-%d} .. {info.not_after:%Y-%m-%d}"
            f"\tsigns until {info.signs_until:%Y-%m-%d}\t{info.subject}")


@keys_cli.command("rotate")
def rotate():
    """Issue a new document signer: new passports use it; older ones verify until their
    signer certificate expires (the old DSC stays in the trust list)."""
    info = service.rotate_signing_key(keystore(), now=clock.now())
    click.echo(f"new document signer {info.kid} (valid until {info.not_after:%Y-%m-%d}); "
               "verifiers get it on their next trust-list sync")


@keys_cli.command("list")
def list_keys():
    """Every document signer issued here (* = the one signing now)."""
    for info in service.signing_keys(keystore(), now=clock.now()):
        click.echo(_line(info))
