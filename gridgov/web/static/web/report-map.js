/* The report page's map: tap to put a pin; the pin fills the hidden lon/lat fields in the
   configured coordinate system. The map (static/web/map.js) shows the area boundaries and their
   names on a plain background when no tile server is configured, so the resident can see where
   they are with no internet. "Use my position" converts the phone's GPS for the map. */
(function () {
  "use strict";
  var box = document.getElementById("report-map");
  if (!box || typeof L === "undefined") { return; }
  var lonInput = document.getElementById("id_lon");
  var latInput = document.getElementById("id_lat");
  var status = document.getElementById("pin-status");
  var bounds = (box.dataset.bounds || "").split(",").map(Number);
  var map = GridgovMap.create(box, { bounds: bounds.length === 4 ? bounds : null });
  var areaLayer = GridgovMap.areas(map, { labels: true });
  var pin = null;

  function round(value) { return Math.round(value * 1e6) / 1e6; }

  function place(latlng) {
    var lat = round(latlng.lat), lon = round(latlng.lng);
    if (pin) { pin.setLatLng([lat, lon]); }
    else {
      pin = L.circleMarker([lat, lon], { className: "report-pin", radius: 10, color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.6 }).addTo(map);
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
  var here = document.getElementById("pin-here");
  if (navigator.geolocation && here) {
    here.hidden = false;
    here.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        var point = GridgovMap.gpsToMap(position.coords.longitude, position.coords.latitude);
        place(L.latLng(point[1], point[0]));
        map.setView(pin.getLatLng(), Math.max(map.getZoom(), 16));
      }, function () { status.textContent = status.dataset.none; }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
  window.gridgovReportMap = map; // for the browser tests
  window.gridgovReportAreas = areaLayer;
})();
