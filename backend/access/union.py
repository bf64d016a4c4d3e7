"""One semi-join over the union of a scope's paths: how backend.access.policy filters by several paths at once."""

from __future__ import annotations

from django.db.models import Q, QuerySet


def ids_in_any(sources: list[QuerySet]) -> Q:
    """`id IN (a UNION b ...)`, a semi-join starting from the sources; an OR of subqueries (or `village_id IN ..
    OR id IN (b)`) is a filter, and walked a million clients for a volunteer's 200 (bench/RESULTS.md)."""
    if not sources:
        return Q(pk__in=[])
    sources = [s.order_by() for s in sources]
    return Q(id__in=sources[0].union(*sources[1:]) if len(sources) > 1 else sources[0])
