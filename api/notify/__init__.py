"""Notification preferences, push devices, the in-app inbox, the fan-out and campaigns."""
