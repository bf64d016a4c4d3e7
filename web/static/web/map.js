// The area map: no tile server, no internet. The base map is the area's own data: village boundaries where
// loaded, else their centre points; facilities as squares. Counts only ("<5" for 1-4 below the system admin).
(function () {
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var shades = ["#f2f4f5", "#fde0c5", "#f8a55c", "#e0601f", "#9c2f0b"];
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  var layer = L.layerGroup().addTo(map);
  var data = null;

  function draw() {
    var mode = document.getElementById("shade").value;
    layer.clearLayers();
    var bounds = [];
    if (data.area.boundary) {
      var outline = L.geoJSON(data.area.boundary, { style: { color: "#0d5c63", weight: 2, fill: false } });
      outline.addTo(layer);
      bounds.push(outline.getBounds());
    }
    // Villages with nothing to show first, small; the others after, on top and larger.
    var ordered = data.villages.slice().sort(function (a, b) { return a[mode + "_band"] - b[mode + "_band"]; });
    ordered.forEach(function (v) {
      var band = v[mode + "_band"], colour = shades[band];
      var tip = v.name + " (" + v.code + ")<br>" + el.dataset.labelActive + ": " + v.active + "<br>" +
        el.dataset.labelOverdue + ": " + v.overdue + "<br>" + el.dataset.labelEscalations + ": " + v.escalations;
      var shape = null;
      if (v.boundary) {
        shape = L.geoJSON(v.boundary, { style: { color: "#5b6b73", weight: 1, fillColor: colour, fillOpacity: 0.75 } });
        bounds.push(shape.getBounds());
      } else if (v.point) {
        var ll = [v.point.coordinates[1], v.point.coordinates[0]];
        shape = L.circleMarker(ll, { radius: band ? 10 + 3 * band : 4, color: "#5b6b73", weight: 1, fillColor: colour, fillOpacity: 0.85 });
        bounds.push(L.latLngBounds([ll, ll]));
      }
      if (shape) {
        shape.bindTooltip(tip).addTo(layer);
        if (v[mode] !== 0) {
          var at = v.point ? [v.point.coordinates[1], v.point.coordinates[0]] : shape.getBounds().getCenter();
          L.marker(at, { icon: L.divIcon({ className: "pulih-count", html: String(v[mode]).replace("<", "&lt;"), iconSize: [30, 16], iconAnchor: [15, 28] }) }).addTo(layer);
        }
      }
    });
    data.facilities.forEach(function (f) {
      var ll = [f.point.coordinates[1], f.point.coordinates[0]];
      L.marker(ll, { icon: L.divIcon({ className: "pulih-facility", html: "&#9632;", iconSize: [14, 14] }) })
        .bindTooltip(f.name + " (" + f.type + "): " + f.certified_staff + " " + el.dataset.labelStaff).addTo(layer);
      bounds.push(L.latLngBounds([ll, ll]));
    });
    if (bounds.length) {
      var all = bounds[0];
      bounds.forEach(function (b) { all.extend(b); });
      map.fitBounds(all.pad(0.15));
    } else if (data.area.point) {
      map.setView([data.area.point.coordinates[1], data.area.point.coordinates[0]], 10);
    } else {
      map.setView([-2.5, 118], 5);
    }
    document.getElementById("legend").textContent =
      (mode === "active" ? el.dataset.labelActive : el.dataset.labelOverdue) + ": 0 · <5 · 5-9 · 10-19 · 20+";
    el.setAttribute("data-ready", String(data.villages.length));
  }

  fetch(el.dataset.src, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (json) {
    data = json;
    draw();
    document.getElementById("shade").addEventListener("change", draw);
  });
})();
