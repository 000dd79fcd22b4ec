"""Sign-in: phone one-time codes, passkeys, server sessions, roles and scopes."""
