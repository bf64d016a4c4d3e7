"""The read side: every read that starts from the caller's scope, and the records that depend on who reads.

It sits above the domains and above backend.access (whose rules it asks), below the API and the phones' feed
(backend/mobile), which both read through it. The domains below take objects their callers already checked
(Zulip's views -> actions split): a domain service never asks who may see what.

- clients.py: scoped client lookups and list, client and family member records, the answers of a stale edit and
  of a duplicate registration;
- escalations.py, escalation_records.py: scoped escalation lookups, the in-scope check of the escalation
  services' callers, and escalation records;
- tasks.py, notifications.py: the caller's tasks and inbox;
- timeline.py: a client's timeline.
"""
