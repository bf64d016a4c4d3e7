"""The coordinators' web view: server-rendered pages in Bahasa Indonesia (Django templates), signed in with a
session and the same accounts as the API. HTTP only, like `api`: the read sides (backend.reports) and services
do the work and backend.access decides who sees what; nothing below imports this package but the URL conf.
Leaflet and Chart.js come from the npm registry at set-up (web/frontend, scripts/setup.sh) and are served by the
app itself from web/static/web/vendor (no CDN)."""
