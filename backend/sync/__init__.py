"""The change log and the idempotency keys behind phone sync: a leaf below every domain.

Every domain writes its changes here (`changelog.py`, inside the transaction that makes them); the feed that
replays them to the phones and the uploads live above the domains, in backend/mobile/. The app keeps its label
`sync` (its tables and migrations).
"""
