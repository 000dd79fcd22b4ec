"""Reactions after a dose (AEFI): reports, triage, follow-up, self-monitoring and safety figures."""
