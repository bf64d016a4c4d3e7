"""Support visits: the rules a visit must meet (`rules`) and the one write path behind `POST /sync/visits`
(`batch`); `consent` reads what a visit needs of consent. Import from the submodules. One visit at a time goes
through the same path (backend/mobile/visit_writes.py)."""
