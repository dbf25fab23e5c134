"""Slack out: messages, clients and the outbox's delivery."""
