"""Passports: trust list, revocation list, key rotation, the server-side verifier, issuance."""
