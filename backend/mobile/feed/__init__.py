"""`GET /sync/changes`: what a phone must hold, first as a snapshot, then as changes since a cursor.

A phone's set is bounded: active clients in the caller's scope (closed ones, `lifecycle.CLOSED`, are not in
it), the family members linked to them, their visits of the last `SYNC_VISIT_WINDOW_DAYS` days, the caller's
open tasks of those clients, the open escalations of those clients the caller may see (the escalations app's
scope), and the caller's notifications of that window. Every item's `data` is the domain's one record
(`client_records`, `family_member_records`, `visit_records`, `task_records`, `escalation_records`,
`notification_records`), the very record the API shows the same user: staff merely offered a case
(`access: minimal`) get the client and the escalation as the API shows them: no status, no name, no outcome,
no one else's assignment.

Two kinds of cursor, both opaque base64 to the phone:
- snapshot `s:<horizon>:<phase>:<last id>:<window start>:<scope>`: a first sync (no cursor) pages through the
  current set, entity by entity, keyset by id. `horizon` is `pg_snapshot_xmin(pg_current_snapshot())` taken at
  the first call: every change of a transaction below it was committed before the snapshot began, so the
  snapshot shows it; every change at or above it is replayed from the log afterwards (an upsert of the current
  state is harmless twice).
- changes `<txid>:<id>:<window start>:<last visit id>:<scope>`: log rows after (txid, id), and only below the
  current horizon, so a transaction that commits later (it has a txid at or above the horizon) is never
  skipped (see models.ChangeLog). The window start (microseconds since 1970) is where the phone's visit window
  began when it was last aligned: once the log is drained, visits that aged out since then are sent as `leave`
  (`pages.aged_visits`; nothing is written when a visit ages out). Cursors of the earlier formats (`<txid>:<id>`,
  `s:<horizon>:<phase>:<last id>`) are still accepted.

Several log rows for one entity in a page become one item carrying the entity's current state, read in bulk per
entity type. An entity no longer in the caller's set answers `leave` (a client that closed, a visit outside the
window, a client no longer in scope), or `delete` when its last change was a deletion. A client's `leave`
means: drop the client and everything attached to it. Task, notification and scope rows go to their addressee
(`user_id`) only. When what the user may see changed, the feed answers one item
`{"entity": "scope", "op": "reset"}`: drop everything; the next cursor is a first sync's. Two things say so:
every cursor carries a fingerprint of the user's role assignments (`cursor.scope_fingerprint_of`), and a
`scope` log row (`changelog.sync_scope_reset`) forces it for changes the fingerprint cannot see.

The package: `cursor` (the cursor and the scope fingerprint), `entities` (per entity type: the rows of the set and
their records), `pages` (snapshot and change pages, aged visits, the reset, the page as JSON). A GET writes nothing
but the access log: a set over SYNC_MAX_SET_SIZE is reported by a beat job (`sets.sync_sets_report_oversize`).
"""

from backend.mobile.feed.cursor import Cursor, cursor_decode
from backend.mobile.feed.entities import BY_NAME, ENTITIES, Entity
from backend.mobile.feed.pages import SCOPE_RESET, changes_page, page_json, record_json
from backend.mobile.sets import FEED_ENDPOINT, VISIT_WINDOW_DAYS

__all__ = [
    "BY_NAME",
    "ENTITIES",
    "FEED_ENDPOINT",
    "SCOPE_RESET",
    "VISIT_WINDOW_DAYS",
    "Cursor",
    "Entity",
    "changes_page",
    "cursor_decode",
    "page_json",
    "record_json",
]
