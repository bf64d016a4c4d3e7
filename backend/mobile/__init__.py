"""What the phones exchange with the server, offline first: the feed of changes (`feed/`, GET /sync/changes),
the bounded set a phone holds (`sets.py`), uploads of visits and contact attempts (`uploads.py`), one visit at a
time (`visit_writes.py`) and the beat jobs (`tasks.py`).

It sits above every domain and above backend.access: it reads each domain's records and takes its scope from
the policy. The change log it replays and the idempotency keys it honours live below the domains, in
backend/sync/ (a leaf every domain writes to).
"""
