/* gridgov's maps: one way to make a Leaflet map on every page.

   The settings come from the page (<script id="gridgov-map-config">, written by base.html):
   with no tile URL the map draws only a plain background, the area boundaries with their names
   and the case markers, and asks nothing of any tile host, so it works with no internet. With a
   tile URL (a local tile server or 天地图) the tiles go underneath. Every coordinate the server
   sends is already in the configured system (GCJ-02 or WGS-84), the tiles' system.

   GridgovMap.create(element, {bounds: [w, s, e, n]})            → a Leaflet map
   GridgovMap.areas(map, {level, parent, style, labels, onClick, onLoad})
       → {layer, reload(), setOptions({level, parent}), features()}: the areas of the view, loaded
         from /api/v1/areas/map for the visible box on every move (debounced; an answer that
         arrives after a newer request was sent is dropped), simplified by the server for the zoom.
   GridgovMap.cases(map, [{lon, lat, light, label, url}])          → a layer of case markers
   GridgovMap.gpsToMap(lon, lat)                                   → [lon, lat] for drawing a
         phone's own (WGS-84) position; positions sent to the server stay WGS-84 and are
         converted there (gridgov.core.mapping), the one authority.
*/
(function () {
  "use strict";

  var LIGHT_COLOURS = { green: "#1b7f3b", yellow: "#b58900", red: "#b3261e", "": "#555" };

  function config() {
    var node = document.getElementById("gridgov-map-config");
    if (!node) { return { tileUrl: "", coordinateSystem: "wgs84" }; }
    try { return JSON.parse(node.textContent); } catch (error) { return { tileUrl: "", coordinateSystem: "wgs84" }; }
  }

  function create(element, options) {
    options = options || {};
    var settings = config();
    var map = L.map(element, {
      attributionControl: Boolean(settings.tileUrl && settings.tileAttribution),
      zoomSnap: 1,
      maxZoom: 19
    });
    if (settings.tileUrl) {
      L.tileLayer(settings.tileUrl, {
        subdomains: settings.tileSubdomains || "abc",
        attribution: settings.tileAttribution || "",
        maxZoom: settings.tileMaxZoom || 18
      }).addTo(map);
      element.classList.add("gridgov-map-tiles");
    } else {
      element.classList.add("gridgov-map-plain");
    }
    var bounds = options.bounds;
    if (bounds && bounds.length === 4 && bounds.every(isFinite)) {
      map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
    } else {
      map.setView([35, 104], 4);
    }
    return map;
  }

  function defaultStyle() {
    return { color: "#1f4e79", weight: 1.5, fillColor: "#9ec5e8", fillOpacity: 0.15 };
  }

  function areas(map, options) {
    options = options || {};
    var layer = L.geoJSON(null, {
      style: options.style || defaultStyle,
      onEachFeature: function (feature, shape) {
        if (options.labels !== false) {
          shape.bindTooltip(feature.properties.name, {
            permanent: true, direction: "center", className: "area-label", opacity: 0.9
          });
        }
        if (options.onClick) {
          shape.on("click", function () { options.onClick(feature, shape); });
        }
      }
    }).addTo(map);
    var current = { type: "FeatureCollection", features: [], level: null, truncated: false };
    var sequence = 0;
    var timer = null;

    function url() {
      var b = map.getBounds();
      var params = new URLSearchParams({
        bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
          .map(function (v) { return v.toFixed(6); }).join(","),
        zoom: String(map.getZoom())
      });
      if (options.level) { params.set("level", options.level); }
      if (options.parent) { params.set("parent", options.parent); }
      return "/api/v1/areas/map?" + params.toString();
    }

    function load() {
      var mine = ++sequence;
      return fetch(url(), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("map " + response.status); }
          return response.json();
        })
        .then(function (collection) {
          if (mine !== sequence) { return; } // a newer view was asked for meanwhile
          current = collection;
          layer.clearLayers();
          layer.addData(collection);
          map.getContainer().dataset.areasLoaded = String(collection.features.length);
          map.getContainer().dataset.areasLevel = collection.level || "";
          if (options.onLoad) { options.onLoad(collection); }
        })
        .catch(function (error) {
          if (mine === sequence && window.console) { window.console.warn(error); }
        });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, 150);
    }

    map.on("moveend", schedule);
    load();
    return {
      layer: layer,
      reload: load,
      setOptions: function (changes) {
        Object.keys(changes || {}).forEach(function (key) { options[key] = changes[key]; });
        return load();
      },
      setStyle: function (style) { options.style = style; layer.setStyle(style); },
      features: function () { return current.features; }
    };
  }

  function cases(map, items) {
    var group = L.layerGroup();
    (items || []).forEach(function (item) {
      if (item.lon === null || item.lat === null || item.lon === undefined || item.lat === undefined) { return; }
      var colour = LIGHT_COLOURS[item.light || ""] || LIGHT_COLOURS[""];
      var marker = L.circleMarker([item.lat, item.lon], {
        radius: 7, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 0.95
      });
      if (item.label) {
        var box = document.createElement("div");
        var text = document.createElement(item.url ? "a" : "span");
        text.textContent = item.label;
        if (item.url) { text.href = item.url; }
        box.appendChild(text);
        marker.bindPopup(box);
      }
      group.addLayer(marker);
    });
    return group.addTo(map);
  }

  // WGS-84 → GCJ-02, the same published formula as gridgov/core/coordinates.py (display only).
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;

  function outsideChina(lon, lat) {
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function latOffset(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return r;
  }

  function lonOffset(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return r;
  }

  function wgs84ToGcj02(lon, lat) {
    if (outsideChina(lon, lat)) { return [lon, lat]; }
    var dLat = latOffset(lon - 105.0, lat - 35.0);
    var dLon = lonOffset(lon - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * PI;
    var magic = 1 - EE * Math.sin(radLat) * Math.sin(radLat);
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lon + dLon, lat + dLat];
  }

  function gpsToMap(lon, lat) {
    return config().coordinateSystem === "gcj02" ? wgs84ToGcj02(lon, lat) : [lon, lat];
  }

  window.GridgovMap = {
    config: config,
    create: create,
    areas: areas,
    cases: cases,
    gpsToMap: gpsToMap,
    lightColours: LIGHT_COLOURS
  };
})();
