"""People: profiles, dependants and guardianship, hand-over, the personal QR, CCCD parsing."""
