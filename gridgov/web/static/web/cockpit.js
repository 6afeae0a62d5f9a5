/* The cockpit page (gridgov/web/pages/cockpit.py): map, charts, hot spots, live feed, drill-down.

   The server renders the tiles, the feed and the hot spots; this script draws the map and the
   charts, follows the area the user opens (click on the map, the breadcrumb, the "open an area"
   list or a hot spot; the URL keeps ?area= so a reload stays there), refreshes the figures every
   minute from /api/v1/cockpit/overview and listens to /cockpit/events/ for new cases.

   The map shows only the areas one level below the open area (GridgovMap.areas loads those in
   the visible box, simplified by the server for the zoom); their colours come from one request
   per area change or refresh (/api/v1/cockpit/areas: open and overdue cases per child area), so
   tens of thousands of grids never travel at once.
*/
(function () {
  "use strict";

  var setup = JSON.parse(document.getElementById("cockpit-setup").textContent);
  var words = setup.labels;
  var LOCAL_TIME = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false
  });
  var SHORT_TIME = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false
  });
  var OPEN_COLOURS = ["#16324d", "#1d5a8c", "#2a86c8", "#4fb3ef", "#a5dcff"];
  var OVERDUE_COLOURS = ["#16324d", "#7a2a2a", "#b3382f", "#e8574a", "#ffa39a"];
  var FEED_KEEP = 50;

  var state = {
    area: setup.area,
    level: setup.areaLevel,
    parent: setup.parent,
    childLevel: setup.childLevel,
    breadcrumb: [],
    lastId: setup.lastId,
    colourBy: "open",
    counts: {},
    steps: [],
    feed: setup.feed.slice()
  };

  function byId(id) { return document.getElementById(id); }

  function getJSON(path, params) {
    var query = new URLSearchParams();
    Object.keys(params || {}).forEach(function (key) {
      if (params[key] !== null && params[key] !== undefined && params[key] !== "") { query.set(key, params[key]); }
    });
    return fetch(setup.api + path + "?" + query.toString(), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(path + " " + response.status); }
      return response.json();
    });
  }

  function percent(value) {
    return value === null || value === undefined ? words.none : (value * 100).toFixed(1) + "%";
  }

  // ── tiles ──────────────────────────────────────────────────────────────────────────────────

  function setTile(key, value, detail) {
    var tile = document.querySelector('[data-kpi="' + key + '"]');
    if (!tile) { return; }
    tile.querySelector("[data-value]").textContent = String(value);
    tile.querySelector("[data-detail]").textContent = detail || "";
  }

  function renderSummary(s) {
    setTile("intake_today", s.intake_today);
    setTile("open_now", s.open_now);
    setTile("overdue_now", s.overdue_now);
    setTile("closed_today", s.closed_today);
    setTile("on_time_closure_rate", percent(s.on_time_closure_rate), s.closed_on_time + "/" + s.due_for_closing);
    setTile("satisfaction_rate", percent(s.satisfaction_rate), s.satisfied + "/" + s.ratings);
    byId("cockpit-updated").textContent = words.updated.replace("%(time)s", SHORT_TIME.format(new Date()));
  }

  // ── charts ─────────────────────────────────────────────────────────────────────────────────

  var charts = {};
  var TEXT = { color: "#e8eef5" };

  function chart(id) {
    if (!charts[id] && window.echarts) {
      charts[id] = window.echarts.init(byId(id), "dark", { renderer: "canvas" });
    }
    return charts[id];
  }

  function base() {
    return {
      aria: { enabled: true },
      backgroundColor: "transparent",
      textStyle: TEXT,
      animationDuration: 400,
      tooltip: { trigger: "item" }
    };
  }

  function renderTrend(days) {
    var c = chart("chart-trend");
    if (!c) { return; }
    var option = base();
    option.tooltip = { trigger: "axis" };
    option.legend = { top: 0, itemGap: 8, itemWidth: 14, textStyle: { color: "#e8eef5", fontSize: 11 } };
    option.grid = { left: 8, right: 12, top: 40, bottom: 4, containLabel: true };
    option.xAxis = { type: "category", data: days.map(function (d) { return d.day.slice(5); }), axisLabel: { color: "#a9bccf" } };
    option.yAxis = { type: "value", minInterval: 1, axisLabel: { color: "#a9bccf" }, splitLine: { lineStyle: { color: "#23405c" } } };
    option.series = [
      { name: words.reported, type: "line", smooth: true, showSymbol: false, color: "#4fc3f7", data: days.map(function (d) { return d.reported; }) },
      { name: words.closed, type: "line", smooth: true, showSymbol: false, color: "#5fd38d", data: days.map(function (d) { return d.closed; }) },
      { name: words.overdue, type: "line", smooth: true, showSymbol: false, color: "#ff7b72", data: days.map(function (d) { return d.overdue; }) }
    ];
    c.setOption(option, true);
  }

  function renderCategories(breakdown) {
    var c = chart("chart-categories");
    if (!c) { return; }
    var items = breakdown.items.slice(0, 8).reverse();
    var option = base();
    option.grid = { left: 8, right: 28, top: 4, bottom: 4, containLabel: true };
    option.xAxis = { type: "value", minInterval: 1, axisLabel: { color: "#a9bccf" }, splitLine: { lineStyle: { color: "#23405c" } } };
    option.yAxis = {
      type: "category", data: items.map(function (s) { return s.name; }),
      axisLabel: { color: "#e8eef5", interval: 0, fontSize: 11 }
    };
    option.series = [{
      name: words.cases, type: "bar", color: "#4fc3f7", barMaxWidth: 18,
      label: { show: true, position: "right", color: "#e8eef5" },
      data: items.map(function (s) { return s.count; })
    }];
    if (!items.length) { option.title = { text: words.noData, left: "center", top: "middle", textStyle: { color: "#a9bccf", fontSize: 14 } }; }
    c.setOption(option, true);
  }

  function renderSources(breakdown) {
    var c = chart("chart-sources");
    if (!c) { return; }
    var option = base();
    option.legend = { type: "scroll", orient: "vertical", right: 0, top: "middle", textStyle: TEXT };
    option.series = [{
      name: words.cases, type: "pie", radius: ["40%", "72%"], center: ["34%", "50%"],
      label: { show: false }, itemStyle: { borderColor: "#102132", borderWidth: 2 },
      data: breakdown.items.map(function (s) { return { name: s.name, value: s.count }; })
    }];
    if (!breakdown.items.length) { option.title = { text: words.noData, left: "center", top: "middle", textStyle: { color: "#a9bccf", fontSize: 14 } }; }
    c.setOption(option, true);
  }

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (key) { charts[key].resize(); });
  });

  // ── breadcrumb, hot spots ──────────────────────────────────────────────────────────────────

  function renderCrumbs(crumbs) {
    state.breadcrumb = crumbs;
    var list = byId("cockpit-crumbs");
    list.textContent = "";
    crumbs.forEach(function (crumb, index) {
      var item = document.createElement("li");
      var node;
      if (index === crumbs.length - 1) {
        node = document.createElement("span");
        node.setAttribute("aria-current", "page");
      } else {
        node = document.createElement("a");
        node.href = "?area=" + encodeURIComponent(crumb.code);
        node.dataset.area = crumb.code;
      }
      node.textContent = crumb.name;
      item.appendChild(node);
      list.appendChild(item);
    });
  }

  function renderHotSpots(spots) {
    var list = byId("cockpit-hotspots");
    list.textContent = "";
    if (!spots.length) {
      var empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = words.noHotSpots;
      list.appendChild(empty);
      return;
    }
    spots.forEach(function (spot) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "spot";
      button.dataset.code = spot.code;
      if (spot.bounds) { button.dataset.bounds = [spot.bounds.west, spot.bounds.south, spot.bounds.east, spot.bounds.north].join(","); }
      if (spot.centre) { button.dataset.centre = spot.centre.join(","); }
      [["name", spot.name], ["count", spot.count], ["category", spot.top_category || words.none]].forEach(function (part) {
        var span = document.createElement("span");
        span.className = part[0];
        span.textContent = String(part[1]);
        button.appendChild(span);
      });
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  // ── map ────────────────────────────────────────────────────────────────────────────────────

  var mapElement = byId("cockpit-map");
  var map = null;
  var areaLayer = null;
  var feedLayer = null;

  function mapLevel() { return state.childLevel || state.level; }

  function mapParent() {
    if (state.childLevel) { return state.area; }
    // A grid: show the grids of its community when the user may open the community.
    var known = state.breadcrumb.some(function (crumb) { return crumb.code === state.parent; });
    return known ? state.parent : "";
  }

  function countsFor(code) { return state.counts[code] || { open: 0, overdue: 0 }; }

  function steps(values) {
    var top = Math.max.apply(null, [0].concat(values));
    if (top <= 4) { return [1, 2, 3, 4]; }
    var found = [1, Math.ceil(top * 0.25), Math.ceil(top * 0.5), Math.ceil(top * 0.75)];
    return found.filter(function (value, index) { return index === 0 || value > found[index - 1]; });
  }

  function bucket(value) {
    if (!value) { return 0; }
    var index = 0;
    state.steps.forEach(function (step, position) { if (value >= step) { index = position + 1; } });
    return Math.min(index, 4);
  }

  function palette() { return state.colourBy === "overdue" ? OVERDUE_COLOURS : OPEN_COLOURS; }

  function style(feature) {
    var figures = countsFor(feature.properties.code);
    var value = state.colourBy === "overdue" ? figures.overdue : figures.open;
    var current = feature.properties.code === state.area;
    return {
      color: current ? "#ffd166" : (figures.overdue ? "#ff7b72" : "#6b87a3"),
      weight: current ? 3 : (figures.overdue ? 2 : 1),
      fillColor: palette()[bucket(value)],
      fillOpacity: value ? 0.78 : 0.35
    };
  }

  function recolour() {
    var values = Object.keys(state.counts).map(function (code) { return state.counts[code][state.colourBy]; });
    state.steps = steps(values);
    if (areaLayer) { areaLayer.setStyle(style); labelAreas(); }
    renderLegend();
  }

  // Names stay on the areas large enough on screen to hold them; the others show them on hover.
  function labelAreas() {
    if (!areaLayer) { return; }
    areaLayer.layer.eachLayer(function (shape) {
      var feature = shape.feature;
      if (!feature || !shape.getBounds) { return; }
      var figures = countsFor(feature.properties.code);
      var text = feature.properties.name + "\n" + figures.open + " / " + figures.overdue;
      var box = shape.getBounds();
      var corner = map.latLngToContainerPoint(box.getNorthEast());
      var other = map.latLngToContainerPoint(box.getSouthWest());
      var roomy = Math.abs(corner.x - other.x) >= 64 && Math.abs(corner.y - other.y) >= 36;
      var tooltip = shape.getTooltip();
      if (!tooltip || tooltip.options.permanent !== roomy) {
        shape.unbindTooltip();
        shape.bindTooltip(text, { permanent: roomy, direction: "center", className: "area-label", opacity: 0.9 });
      } else {
        shape.setTooltipContent(text);
      }
    });
  }

  function renderLegend() {
    var legend = byId("cockpit-legend");
    legend.textContent = "";
    var colours = palette();
    var ranges = [["0", colours[0]]];
    state.steps.forEach(function (step, index) {
      var next = state.steps[index + 1];
      var text = next === undefined ? "≥ " + step : (next - 1 > step ? step + "–" + (next - 1) : String(step));
      ranges.push([text, colours[index + 1]]);
    });
    ranges.forEach(function (range) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = range[1];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(range[0]));
      legend.appendChild(item);
    });
    var note = document.createElement("li");
    note.textContent = (state.colourBy === "overdue" ? words.overdueNow : words.open) + " · " + words.labelHint;
    legend.appendChild(note);
  }

  function loadCounts() {
    return getJSON("areas", { parent: mapParent() || state.area, level: mapLevel() }).then(function (body) {
      var counts = {};
      body.items.forEach(function (item) { counts[item.code] = { open: item.open, overdue: item.overdue }; });
      state.counts = counts;
      recolour();
    }).catch(function (error) { if (window.console) { window.console.warn(error); } });
  }

  function fillDrillList(collection) {
    var select = byId("cockpit-drill");
    var keep = select.options[0];
    select.textContent = "";
    select.appendChild(keep);
    collection.features.slice().sort(function (a, b) {
      return a.properties.name.localeCompare(b.properties.name, "zh-CN");
    }).forEach(function (feature) {
      if (feature.properties.code === state.area) { return; }
      var option = document.createElement("option");
      option.value = feature.properties.code;
      option.textContent = feature.properties.name;
      select.appendChild(option);
    });
    select.value = "";
  }

  function fitTo(bounds) {
    if (map && bounds && bounds.length === 4 && bounds.every(isFinite)) {
      map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], { padding: [12, 12] });
    }
  }

  function feedMarkers() {
    if (!map) { return; }
    if (feedLayer) { map.removeLayer(feedLayer); }
    feedLayer = window.GridgovMap.cases(map, state.feed.slice(0, FEED_KEEP).map(function (item) {
      return { lon: item.lon, lat: item.lat, light: item.light, label: item.number + " " + item.title, url: caseUrl(item) };
    }));
  }

  function flash(item) {
    if (!map || item.lon === null || item.lat === null || item.lon === undefined) { return; }
    var ring = window.L.circleMarker([item.lat, item.lon], {
      radius: 14, color: "#ffd166", weight: 3, fill: false, className: "cockpit-flash", interactive: false
    }).addTo(map);
    window.setTimeout(function () { map.removeLayer(ring); }, 5000);
  }

  function startMap() {
    if (!window.GridgovMap || !window.L) { mapElement.textContent = words.mapError; return; }
    map = window.GridgovMap.create(mapElement, { bounds: setup.bounds });
    areaLayer = window.GridgovMap.areas(map, {
      level: mapLevel(),
      parent: mapParent(),
      labels: true,
      style: style,
      onClick: function (feature) { open(feature.properties.code, true); },
      onLoad: function (collection) { labelAreas(); fillDrillList(collection); }
    });
    map.on("zoomend", labelAreas);
    feedMarkers();
  }

  // ── the live feed ──────────────────────────────────────────────────────────────────────────

  var stream = null;

  // Feed items come from the page, the stream and the API; all carry the id and the ISO time, so
  // the link and the Beijing time shown are derived from those two, whichever source it was.
  function caseUrl(item) { return "/console/cases/" + item.id + "/"; }

  function beijingTime(iso) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false
    }).formatToParts(new Date(iso)).forEach(function (part) { parts[part.type] = part.value; });
    return parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  function feedEntry(item, fresh) {
    var entry = document.createElement("li");
    entry.dataset.id = String(item.id);
    entry.className = "light-" + (item.light || "none") + (fresh ? " fresh" : "");
    var time = document.createElement("time");
    time.dateTime = item.reported_at;
    time.textContent = beijingTime(item.reported_at);
    var number = document.createElement("a");
    number.className = "number";
    number.href = caseUrl(item);
    number.textContent = item.number;
    var title = document.createElement("span");
    title.className = "title";
    title.textContent = item.title;
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = [item.area_name, item.category || words.none, item.source_label].join(" · ");
    [time, document.createTextNode(" "), number, title, meta].forEach(function (node) { entry.appendChild(node); });
    return entry;
  }

  function renderFeed() {
    var list = byId("cockpit-feed");
    list.textContent = "";
    state.feed.forEach(function (item) { list.appendChild(feedEntry(item, false)); });
  }

  function receive(item) {
    if (item.id <= state.lastId) { return; }
    state.lastId = item.id;
    state.feed.unshift(item);
    state.feed = state.feed.slice(0, FEED_KEEP);
    var list = byId("cockpit-feed");
    var empty = list.querySelector(".empty");
    if (empty) { empty.remove(); }
    list.insertBefore(feedEntry(item, true), list.firstChild);
    while (list.children.length > FEED_KEEP) { list.removeChild(list.lastChild); }
    feedMarkers();
    flash(item);
    refreshSoon();
  }

  function setStatus(text, down) {
    var status = byId("feed-status");
    status.textContent = text;
    status.classList.toggle("down", Boolean(down));
    status.dataset.state = down ? "down" : "live";
  }

  // Each stream ends after a minute and the browser reconnects within seconds (Last-Event-ID):
  // only a reconnection that takes longer is shown.
  var downTimer = null;

  function listen() {
    if (stream) { stream.close(); }
    if (!window.EventSource) { return; }
    var query = new URLSearchParams({ area: state.area, after: String(state.lastId) });
    stream = new EventSource(setup.events + "?" + query.toString());
    stream.addEventListener("case", function (event) { receive(JSON.parse(event.data)); });
    stream.addEventListener("open", function () {
      window.clearTimeout(downTimer);
      downTimer = null;
      setStatus(words.live, false);
    });
    stream.addEventListener("error", function () {
      if (downTimer) { return; }
      downTimer = window.setTimeout(function () { downTimer = null; setStatus(words.reconnecting, true); }, 8000);
    });
  }

  // ── figures, refresh and drill-down ────────────────────────────────────────────────────────

  var refreshTimer = null;
  var soonTimer = null;
  var lastRefresh = 0;

  function renderOverview(overview) {
    renderSummary(overview.summary);
    renderTrend(overview.trends);
    renderCategories(overview.categories);
    renderSources(overview.sources);
    renderHotSpots(overview.hot_spots);
  }

  function refresh() {
    lastRefresh = Date.now();
    return Promise.all([
      getJSON("overview", { area: state.area }).then(function (overview) {
        if (overview.area.code === state.area) { renderOverview(overview); }
      }),
      loadCounts()
    ]).catch(function (error) { if (window.console) { window.console.warn(error); } });
  }

  // A burst of new cases refreshes the figures at most every ten seconds.
  function refreshSoon() {
    if (soonTimer) { return; }
    var wait = Math.max(2000, 10000 - (Date.now() - lastRefresh));
    soonTimer = window.setTimeout(function () { soonTimer = null; refresh(); }, wait);
  }

  function open(code, remember) {
    if (!code) { return Promise.resolve(); }
    return Promise.all([getJSON("overview", { area: code }), getJSON("feed", { area: code })]).then(function (answers) {
      var overview = answers[0];
      var feed = answers[1];
      var crumbs = overview.breadcrumb;
      state.area = overview.area.code;
      state.level = overview.area.level;
      state.childLevel = overview.child_level;
      state.parent = crumbs.length > 1 ? crumbs[crumbs.length - 2].code : "";
      state.feed = feed.items;
      state.lastId = feed.last_id;
      state.counts = {};
      byId("cockpit-area-name").textContent = overview.area.name;
      document.title = document.title.replace(/·[^·]*·/, "· " + overview.area.name + " ·");
      var levelLabel = byId("map-level");
      if (levelLabel) { levelLabel.textContent = words["level_" + mapLevel()] || mapLevel(); }
      renderCrumbs(crumbs);
      renderOverview(overview);
      renderFeed();
      if (remember) {
        window.history.pushState({ area: state.area }, "", setup.page + "?area=" + encodeURIComponent(state.area));
      }
      if (map) {
        fitTo(overview.bounds ? [overview.bounds.west, overview.bounds.south, overview.bounds.east, overview.bounds.north] : null);
        areaLayer.setOptions({ level: mapLevel(), parent: mapParent() });
        feedMarkers();
        loadCounts();
      }
      listen();
      window.clearInterval(refreshTimer);
      refreshTimer = window.setInterval(refresh, setup.refreshSeconds * 1000);
      lastRefresh = Date.now();
    }).catch(function (error) { if (window.console) { window.console.warn(error); } });
  }

  // ── wiring ─────────────────────────────────────────────────────────────────────────────────

  byId("cockpit-crumbs").addEventListener("click", function (event) {
    var link = event.target.closest("a[data-area]");
    if (!link) { return; }
    event.preventDefault();
    open(link.dataset.area, true);
  });

  byId("cockpit-hotspots").addEventListener("click", function (event) {
    var button = event.target.closest("button.spot");
    if (!button || !map) { return; }
    if (button.dataset.bounds) {
      fitTo(button.dataset.bounds.split(",").map(Number));
    } else if (button.dataset.centre) {
      var centre = button.dataset.centre.split(",").map(Number);
      map.setView([centre[1], centre[0]], Math.max(map.getZoom(), 15));
    }
  });

  byId("cockpit-drill").addEventListener("change", function (event) {
    if (event.target.value) { open(event.target.value, true); }
  });

  document.querySelectorAll('input[name="colour-by"]').forEach(function (input) {
    input.addEventListener("change", function () { state.colourBy = input.value; recolour(); });
  });

  byId("cockpit-fullscreen").addEventListener("click", function () {
    var shell = byId("cockpit");
    if (document.fullscreenElement) { document.exitFullscreen(); } else if (shell.requestFullscreen) { shell.requestFullscreen(); }
  });

  window.addEventListener("popstate", function () {
    var code = new URLSearchParams(window.location.search).get("area") || setup.area;
    open(code, false);
  });

  window.setInterval(function () { byId("cockpit-clock").textContent = LOCAL_TIME.format(new Date()); }, 15000);

  // The breadcrumb as the server drew it (the parent of a grid comes from it).
  state.breadcrumb = Array.prototype.map.call(byId("cockpit-crumbs").querySelectorAll("li"), function (item) {
    var link = item.querySelector("a[data-area]");
    return { code: link ? link.dataset.area : state.area, name: item.textContent };
  });
  startMap();
  refresh();
  listen();
  refreshTimer = window.setInterval(refresh, setup.refreshSeconds * 1000);
  window.gridgovCockpit = { map: function () { return map; }, state: state, open: open, refresh: refresh };
})();
