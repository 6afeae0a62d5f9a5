/* The report page's map: tap to put a pin; the pin fills the hidden lon/lat fields.
   With no tile server configured (data-tile-url empty) the map draws nothing but its plain
   background and the pin: no request leaves for a third-party tile host. */
(function () {
  "use strict";
  var box = document.getElementById("report-map");
  if (!box || typeof L === "undefined") { return; }
  var lonInput = document.getElementById("id_lon");
  var latInput = document.getElementById("id_lat");
  var status = document.getElementById("pin-status");
  var tileUrl = box.dataset.tileUrl || "";
  var map = L.map(box, { attributionControl: Boolean(tileUrl) });
  if (tileUrl) { L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map); }
  var bounds = (box.dataset.bounds || "").split(",").map(Number);
  if (bounds.length === 4 && bounds.every(isFinite)) {
    map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
  } else {
    map.setView([35, 104], 4);
  }
  var pin = null;

  function round(value) { return Math.round(value * 1e6) / 1e6; }

  function place(latlng) {
    var lat = round(latlng.lat), lon = round(latlng.lng);
    if (pin) { pin.setLatLng([lat, lon]); }
    else {
      pin = L.circleMarker([lat, lon], { radius: 10, color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.6 }).addTo(map);
    }
    lonInput.value = lon;
    latInput.value = lat;
    status.textContent = status.dataset.set + " " + lat + ", " + lon;
  }

  function clear() {
    if (pin) { map.removeLayer(pin); pin = null; }
    lonInput.value = "";
    latInput.value = "";
    status.textContent = status.dataset.none;
  }

  if (lonInput.value && latInput.value) {
    place(L.latLng(Number(latInput.value), Number(lonInput.value)));
    map.setView(pin.getLatLng(), Math.max(map.getZoom(), 15));
  }
  map.on("click", function (event) { place(event.latlng); });
  document.getElementById("pin-centre").addEventListener("click", function () { place(map.getCenter()); });
  document.getElementById("pin-clear").addEventListener("click", clear);
  window.gridgovReportMap = map; // for the browser tests
})();
