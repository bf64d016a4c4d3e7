"""Who may see what: the access policy of Pulih, above the domains.

Read backend/access/policy.py (import from it: this package is a Django app, whose __init__ may load no
model): its docstring is the whole policy and its functions are every rule (the scoped
querysets of clients, family members, visits, screenings, escalations, offers, tasks, notifications, the
timeline, reports and the sync feed). backend/accounts/scope.py reads a user's active role assignments once into
a `Scope` (it lives in accounts, below the domains). This package imports domain *models* only and sits above
the domains; the read side (backend/reads), the feed (backend/mobile), the reports and the admin take their
scope from here, and the domains' services take rows their callers checked with it.
"""
