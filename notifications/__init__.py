"""Delivery of messages: channels (FCM, Web Push, SMS, e-mail), templates, the outbox and its worker.

Never imports `api`: the API writes outbox rows; the worker drains them through the channels.
"""
