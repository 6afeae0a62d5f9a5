/* gridgov: the grid worker's page (/grid/), made for a phone that is often offline.

   Everything the worker records (reports with their photo, household visits, patrol start, positions
   and end) goes first into an outbox on the phone (IndexedDB: text and photo blobs together), each
   item with a UUID made when it is created. The outbox is sent one item at a time, oldest first,
   when the page loads, when the browser says the network is back, every 30 seconds while items wait,
   and when the worker presses "Send now". An item leaves the phone only after the server confirmed it
   (2xx: 201 stored now, 200 it already had that UUID), so an answer lost on the way just means the
   item is sent again and the server, idempotent on the UUID, stores it once.

   Answers that stop the round (the item stays and is tried again later): no network, a server error
   (5xx), a login that expired (401, or 403 without a JSON error). An answer that refuses the item
   for good (400/403/404/409/422 with a JSON error) marks it "refused" with the server's message; the
   worker may discard it. Items belong to the user who made them: another login on the same phone
   neither sees nor sends them.

   The service worker (/grid/sw.js) keeps the page and its files for offline use; it sends nothing. */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("grid-page-data").textContent);
  var T = DATA.texts;
  var MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  var SHRINK_ABOVE_BYTES = 1536 * 1024;
  var PATROL_EVERY_MS = 30 * 1000;
  var PATROL_EVERY_M = 20;
  var PATROL_BATCH = 10;
  var PATROL_BATCH_MS = 2 * 60 * 1000;
  var MAX_ACCURACY_M = 100;
  var RETRY_MS = 30 * 1000;
  var SENT_KEPT = 20;
  var SEND_MS = 30 * 1000;
  var SEND_PHOTO_MS = 120 * 1000;

  function $(id) { return document.getElementById(id); }

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (all, key) {
      return values && values[key] !== undefined ? values[key] : "";
    });
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    // Insecure contexts (plain http on a LAN) have getRandomValues but not randomUUID.
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function haversine(lon1, lat1, lon2, lat2) {
    var r = Math.PI / 180, p1 = lat1 * r, p2 = lat2 * r;
    var h = Math.pow(Math.sin((p2 - p1) / 2), 2) +
      Math.cos(p1) * Math.cos(p2) * Math.pow(Math.sin((lon2 - lon1) * r / 2), 2);
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  // ── tabs ─────────────────────────────────────────────────────────────────────────────────────

  var TABS = ["map", "report", "tasks", "visits", "patrol"];
  var onShow = {};

  function showTab(name, moveFocus) {
    if (TABS.indexOf(name) === -1) { name = "map"; }
    TABS.forEach(function (tab) {
      var panel = $(tab), link = $("tab-" + tab), active = tab === name;
      panel.hidden = !active;
      link.setAttribute("aria-selected", active ? "true" : "false");
      link.tabIndex = active ? 0 : -1;
    });
    if (moveFocus) { $("tab-" + name).focus(); }
    if (onShow[name]) { onShow[name](); }
  }

  function setUpTabs() {
    document.body.classList.add("grid-js");
    TABS.forEach(function (tab, index) {
      var link = $("tab-" + tab);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        history.replaceState(null, "", "#" + tab);
        showTab(tab, false);
      });
      link.addEventListener("keydown", function (event) {
        var step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) { return; }
        event.preventDefault();
        var next = TABS[(index + step + TABS.length) % TABS.length];
        history.replaceState(null, "", "#" + next);
        showTab(next, true);
      });
    });
    window.addEventListener("hashchange", function () { showTab(location.hash.slice(1), false); });
    showTab(location.hash.slice(1) || "map", false);
  }

  // ── the store: IndexedDB, or memory when the browser refuses it ──────────────────────────────

  var store = (function () {
    var opening = null;
    var memory = null;

    function open() {
      if (opening) { return opening; }
      opening = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
        var request = window.indexedDB.open("gridgov-grid", 1);
        request.onupgradeneeded = function () {
          var outbox = request.result.createObjectStore("outbox", { keyPath: "id" });
          outbox.createIndex("user", "user");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      }).catch(function (error) {
        memory = memory || [];
        message(fmt(T.storageFailed, { message: error.message || String(error) }), "error");
        return null;
      });
      return opening;
    }

    function run(mode, work) {
      return open().then(function (db) {
        if (!db) { return work(null); }
        return new Promise(function (resolve, reject) {
          var transaction = db.transaction("outbox", mode);
          var result;
          transaction.oncomplete = function () { resolve(result); };
          transaction.onerror = function () { reject(transaction.error); };
          transaction.onabort = function () { reject(transaction.error); };
          result = work(transaction.objectStore("outbox"));
        });
      });
    }

    return {
      put: function (item) {
        return run("readwrite", function (outbox) {
          if (!outbox) {
            memory = memory.filter(function (i) { return i.id !== item.id; }).concat([item]);
            return item;
          }
          outbox.put(item);
          return item;
        });
      },
      remove: function (id) {
        return run("readwrite", function (outbox) {
          if (!outbox) { memory = memory.filter(function (i) { return i.id !== id; }); return; }
          outbox.delete(id);
        });
      },
      all: function () {
        return open().then(function (db) {
          if (!db) { return memory.slice(); }
          return new Promise(function (resolve, reject) {
            var request = db.transaction("outbox", "readonly").objectStore("outbox").index("user").getAll(DATA.user);
            request.onsuccess = function () { resolve(request.result); };
            request.onerror = function () { reject(request.error); };
          });
        }).then(function (items) {
          return items.sort(function (a, b) { return a.seq - b.seq; });
        });
      }
    };
  })();

  // ── the outbox ───────────────────────────────────────────────────────────────────────────────

  var sequence = 0;
  var sending = null;
  var sentKey = "gridgov-grid-sent-" + DATA.user;

  function message(text, kind) {
    var node = $("outbox-message");
    node.textContent = text || "";
    node.className = "outbox-message" + (kind ? " " + kind : "");
  }

  function enqueue(kind, payload, options) {
    options = options || {};
    var item = {
      id: options.id || newId(),
      user: DATA.user,
      kind: kind,
      payload: payload,
      photo: options.photo || null,
      photoName: options.photoName || "",
      label: options.label || "",
      seq: Date.now() * 1000 + (sequence++ % 1000),
      createdAt: new Date().toISOString(),
      state: "waiting",
      error: ""
    };
    return store.put(item).then(function () {
      render();
      if (navigator.onLine) { flush(false); }
      return item;
    });
  }

  function requestFor(item) {
    var headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    var payload = item.payload;
    var init = { method: "POST", headers: headers, credentials: "same-origin" };
    if (item.kind === "report") {
      var form = new FormData();
      Object.keys(payload).forEach(function (key) {
        var value = payload[key];
        if (value !== null && value !== undefined && value !== "") { form.append(key, value); }
      });
      if (item.photo) { form.append("photos", item.photo, item.photoName || "photo.jpg"); }
      init.body = form;
      return { url: DATA.api.reports, init: init };
    }
    headers["Content-Type"] = "application/json";
    if (item.kind === "visit") {
      init.body = JSON.stringify(payload);
      return { url: DATA.api.visits, init: init };
    }
    if (item.kind === "patrol_start") {
      init.body = JSON.stringify(payload);
      return { url: DATA.api.patrols, init: init };
    }
    if (item.kind === "patrol_points") {
      init.body = JSON.stringify({ points: payload.points });
      return { url: DATA.api.patrols + "/" + payload.patrol + "/points", init: init };
    }
    init.body = JSON.stringify({ ended_at: payload.ended_at });
    return { url: DATA.api.patrols + "/" + payload.patrol + "/end", init: init };
  }

  function remember(item, body) {
    var entry = { kind: item.kind, what: kindLabel(item), label: item.label, at: new Date().toISOString(), number: "" };
    if (item.kind === "report" && body && body.case) { entry.number = body.case.number; }
    var kept = [];
    try { kept = JSON.parse(localStorage.getItem(sentKey) || "[]"); } catch (error) { kept = []; }
    kept.unshift(entry);
    try { localStorage.setItem(sentKey, JSON.stringify(kept.slice(0, SENT_KEPT))); } catch (error) { /* full */ }
    if (item.kind === "report" && entry.number) {
      setStatus("report-status", fmt(T.sentCase, { number: entry.number }), "ok");
    }
    if (item.kind === "visit") { setStatus("visit-status", T.sentVisit, "ok"); }
  }

  // true: go on with the next item; false: stop this round and keep the rest for later.
  function sendOne(item) {
    var request = requestFor(item);
    // A mobile network may swallow a request without an answer: give up after a while, keep the item.
    var controller = window.AbortController ? new AbortController() : null;
    var timer = null;
    if (controller) {
      request.init.signal = controller.signal;
      timer = window.setTimeout(function () { controller.abort(); }, item.photo ? SEND_PHOTO_MS : SEND_MS);
    }
    return fetch(request.url, request.init).then(function (response) {
      window.clearTimeout(timer);
      if (response.ok) {
        return response.json().catch(function () { return null; }).then(function (body) {
          remember(item, body);
          return store.remove(item.id).then(function () { return true; });
        });
      }
      return response.json().catch(function () { return null; }).then(function (body) {
        var code = body && body.code;
        if (response.status === 401 || (response.status === 403 && (!code || code === "not_authenticated"))) {
          message(T.loginAgain, "error");
          return false;
        }
        if (response.status >= 500 || response.status === 429) { return false; }
        item.state = "rejected";
        item.error = (body && body.message) || ("HTTP " + response.status);
        return store.put(item).then(function () { return true; });
      });
    }, function () { window.clearTimeout(timer); return false; });
  }

  // One round: every waiting item, oldest first, until one must wait; then again for items that
  // were added meanwhile (a patrol's end queued while its positions were being sent).
  function round() {
    return store.all().then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; });
      if (!waiting.length) { return true; }
      message(T.sending, "");
      return waiting.reduce(function (chain, item) {
        return chain.then(function (goOn) { return goOn ? sendOne(item) : false; });
      }, Promise.resolve(true)).then(function (finished) { return finished ? round() : false; });
    });
  }

  function flush(manual) {
    if (sending) { return sending; }
    if (!manual && !navigator.onLine) { render(); return Promise.resolve(); }
    sending = round().then(function (finished) {
      if (finished) { message("", ""); }
    }).catch(function (error) {
      message(fmt(T.storageFailed, { message: error.message || String(error) }), "error");
    }).then(function () {
      sending = null;
      return render();
    });
    return sending;
  }

  function kindLabel(item) {
    if (item.kind === "report") { return T.report; }
    if (item.kind === "visit") { return T.visit; }
    if (item.kind === "patrol_start") { return T.patrolStart; }
    if (item.kind === "patrol_points") { return fmt(T.patrolPoints, { count: item.payload.points.length }); }
    return T.patrolEnd;
  }

  function render() {
    return store.all().then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; });
      $("outbox-count").textContent = String(waiting.length);
      $("outbox").dataset.waiting = String(waiting.length);
      $("outbox").dataset.refused = String(items.length - waiting.length);
      var list = $("outbox-items");
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = item.state;
        li.dataset.kind = item.kind;
        var what = document.createElement("strong");
        what.textContent = kindLabel(item);
        li.appendChild(what);
        li.appendChild(document.createTextNode(" " + (item.label || "") + " · " +
          (item.state === "waiting" ? T.waiting : fmt(T.rejected, { message: item.error }))));
        if (item.state === "rejected") {
          var discard = document.createElement("button");
          discard.type = "button";
          discard.className = "secondary small";
          discard.textContent = T.discard;
          discard.addEventListener("click", function () { store.remove(item.id).then(render); });
          li.appendChild(document.createTextNode(" "));
          li.appendChild(discard);
        }
        list.appendChild(li);
      });
      if (items.length) { $("outbox-details").open = true; }
      var sent = [];
      try { sent = JSON.parse(localStorage.getItem(sentKey) || "[]"); } catch (error) { sent = []; }
      var sentList = $("outbox-sent");
      sentList.textContent = "";
      $("outbox-sent-title").hidden = !sent.length;
      sent.forEach(function (entry) {
        var li = document.createElement("li");
        li.textContent = (entry.what || "") + " " + (entry.label || "") +
          (entry.number ? " · " + fmt(T.sentCase, { number: entry.number }) : "");
        sentList.appendChild(li);
      });
      renderPendingVisits(items);
      renderNet();
      return waiting.length;
    });
  }

  function renderNet() {
    var node = $("net-status");
    node.textContent = navigator.onLine ? T.online : T.offline;
    node.className = "net " + (navigator.onLine ? "on" : "off");
  }

  function setStatus(id, text, kind) {
    var node = $(id);
    if (!node) { return; }
    node.textContent = text;
    node.className = "form-status" + (kind ? " " + kind : "");
  }

  // ── report ───────────────────────────────────────────────────────────────────────────────────

  function shrink(file) {
    // Phone photos are often several MB: send a 1600 px JPEG instead when that is smaller.
    if (!file || file.size <= SHRINK_ABOVE_BYTES || !window.createImageBitmap) { return Promise.resolve(file); }
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob && blob.size < file.size ? blob : file); }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  var pinMap = null, pinMarker = null;

  function setPoint(lon, lat, system, accuracy, text) {
    $("report-lon").value = lon === null ? "" : String(lon);
    $("report-lat").value = lat === null ? "" : String(lat);
    $("report-system").value = system;
    $("report-accuracy").value = accuracy === null ? "" : String(accuracy);
    $("report-position").textContent = text;
  }

  function setUpReport() {
    var form = $("report-form");
    $("report-gps").addEventListener("click", function () {
      if (!navigator.geolocation) { $("report-position").textContent = fmt(T.gpsFailed, { message: "-" }); return; }
      $("report-position").textContent = T.gpsAsking;
      navigator.geolocation.getCurrentPosition(function (position) {
        var c = position.coords;
        // The phone's GPS is WGS-84; the server converts it to the stored system.
        setPoint(c.longitude, c.latitude, "wgs84", Math.round(c.accuracy),
          fmt(T.gpsFound, { accuracy: Math.round(c.accuracy) }) + " " + c.latitude.toFixed(5) + ", " + c.longitude.toFixed(5));
        if (pinMarker) { pinMap.removeLayer(pinMarker); pinMarker = null; }
      }, function (error) {
        $("report-position").textContent = fmt(T.gpsFailed, { message: error.message || error.code });
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
    });

    function putPin(latlng) {
      if (pinMarker) { pinMarker.setLatLng(latlng); } else { pinMarker = L.marker(latlng).addTo(pinMap); }
      // A pin is in the map's own system (the stored one).
      setPoint(latlng.lng, latlng.lat, window.GridgovMap.config().coordinateSystem || "wgs84", null,
        T.pinSet + " " + latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5));
    }

    $("report-pin-box").addEventListener("toggle", function () {
      if (!$("report-pin-box").open || !window.GridgovMap || !window.L) { return; }
      if (!pinMap) {
        pinMap = window.GridgovMap.create($("report-pin-map"), { bounds: DATA.bounds });
        window.GridgovMap.areas(pinMap, { level: DATA.areaLevel });
        pinMap.on("click", function (event) { putPin(event.latlng); });
      }
      pinMap.invalidateSize();
    });
    $("report-pin-centre").addEventListener("click", function () { if (pinMap) { putPin(pinMap.getCenter()); } });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var category = $("report-category");
      var description = $("report-description").value.trim();
      if (!category.value && !description) { setStatus("report-status", T.needDescription, "error"); return; }
      setStatus("report-status", "", "");
      var file = $("report-photo").files[0] || null;
      if (file && file.size > MAX_PHOTO_BYTES * 3) { file = null; }
      var button = $("report-submit");
      button.disabled = true;
      shrink(file).then(function (photo) {
        var id = newId();
        var area = $("report-area");
        var label = (category.value ? category.options[category.selectedIndex].text : "") +
          (description ? " · " + description.slice(0, 30) : "");
        return enqueue("report", {
          client_id: id,
          category: category.value,
          description: description,
          lon: $("report-lon").value,
          lat: $("report-lat").value,
          system: $("report-system").value || "wgs84",
          area_code: area ? area.value : ""
        }, { id: id, photo: photo, photoName: file ? file.name : "", label: label });
      }).then(function () {
        form.reset();
        setPoint(null, null, "wgs84", null, T.gpsNone);
        if (pinMarker) { pinMap.removeLayer(pinMarker); pinMarker = null; }
        setStatus("report-status", T.savedOnPhone, "waiting");
      }).catch(function (error) {
        setStatus("report-status", fmt(T.storageFailed, { message: error.message || String(error) }), "error");
      }).then(function () { button.disabled = false; });
    });
  }

  // ── visits ───────────────────────────────────────────────────────────────────────────────────

  function renderPendingVisits(items) {
    var list = $("visit-list");
    Array.prototype.slice.call(list.querySelectorAll("li.pending")).forEach(function (li) { li.remove(); });
    items.filter(function (item) { return item.kind === "visit"; }).reverse().forEach(function (item) {
      var li = document.createElement("li");
      li.className = "pending " + item.state;
      var strong = document.createElement("strong");
      strong.textContent = item.payload.household;
      li.appendChild(strong);
      li.appendChild(document.createTextNode(" · " + (item.state === "waiting" ? T.waiting : fmt(T.rejected, { message: item.error }))));
      list.insertBefore(li, list.firstChild);
    });
    var none = $("no-visits");
    if (none) { none.hidden = items.some(function (item) { return item.kind === "visit"; }); }
  }

  // "Now" for a datetime-local field, in the phone's own time zone.
  function localNow() {
    return new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }

  function setUpVisits() {
    var form = $("visit-form");
    $("visit-time").value = localNow();  // the page may come from the cache, written long ago
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var household = $("visit-household").value.trim();
      if (!household) { setStatus("visit-status", T.needHousehold, "error"); $("visit-household").focus(); return; }
      var when = $("visit-time").value;
      var area = $("visit-area");
      var id = newId();
      var purpose = $("visit-purpose");
      enqueue("visit", {
        client_id: id,
        household: household,
        purpose: purpose.value,
        visited_at: when ? new Date(when).toISOString() : new Date().toISOString(),
        notes: $("visit-notes").value,
        follow_up_needed: $("visit-follow-up").checked,
        area_code: area ? area.value : null,
        case_number: $("visit-case").value.trim()
      }, { id: id, label: household + " · " + purpose.options[purpose.selectedIndex].text }).then(function () {
        form.reset();
        $("visit-time").value = localNow();
        setStatus("visit-status", T.savedOnPhone, "waiting");
      }).catch(function (error) {
        setStatus("visit-status", fmt(T.storageFailed, { message: error.message || String(error) }), "error");
      });
    });
  }

  // ── tasks: they change a shared case, so they need the network ──────────────────────────────

  function setUpTasks() {
    Array.prototype.forEach.call(document.querySelectorAll("form.needs-network"), function (form) {
      form.addEventListener("submit", function (event) {
        if (!navigator.onLine) {
          event.preventDefault();
          message(T.needsNetwork, "error");
        }
      });
    });
  }

  // ── patrol ───────────────────────────────────────────────────────────────────────────────────

  var patrolKey = "gridgov-grid-patrol-" + DATA.user;
  var patrol = null;
  var watchId = null;

  function loadPatrol() {
    try { patrol = JSON.parse(localStorage.getItem(patrolKey) || "null"); } catch (error) { patrol = null; }
  }

  function savePatrol() {
    if (patrol) { localStorage.setItem(patrolKey, JSON.stringify(patrol)); } else { localStorage.removeItem(patrolKey); }
  }

  function renderPatrol() {
    var running = Boolean(patrol);
    $("patrol-box").dataset.running = running ? "true" : "false";
    $("patrol-start").disabled = running;
    $("patrol-stop").disabled = !running;
    $("patrol-distance").textContent = running ? String(Math.round(patrol.distance)) : "0";
    $("patrol-points").textContent = running ? String(patrol.count) : "0";
    $("patrol-state").textContent = running
      ? fmt(T.onPatrol, { time: new Date(patrol.startedAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) })
      : T.notOnPatrol;
  }

  function flushPoints() {
    if (!patrol || !patrol.buffer.length) { return Promise.resolve(); }
    var points = patrol.buffer;
    patrol.buffer = [];
    patrol.batchedAt = Date.now();
    savePatrol();
    return enqueue("patrol_points", { patrol: patrol.id, points: points }, { label: "" });
  }

  function onPosition(position) {
    if (!patrol) { return; }
    var c = position.coords, t = position.timestamp || Date.now();
    var last = patrol.last;
    if (last) {
      var moved = haversine(last.lon, last.lat, c.longitude, c.latitude);
      if (t - last.t < PATROL_EVERY_MS && moved < PATROL_EVERY_M) { return; }
      if (t <= last.t) { return; }
    }
    patrol.buffer.push({ recorded_at: new Date(t).toISOString(), lon: c.longitude, lat: c.latitude, accuracy_m: c.accuracy });
    patrol.count += 1;
    patrol.last = { lon: c.longitude, lat: c.latitude, t: t };
    // The same noise rule as the server (gridgov/gridwork/tracks.py), for the figure on screen.
    if (c.accuracy <= MAX_ACCURACY_M) {
      var anchor = patrol.anchor;
      if (!anchor) {
        patrol.anchor = { lon: c.longitude, lat: c.latitude, acc: c.accuracy };
      } else {
        var step = haversine(anchor.lon, anchor.lat, c.longitude, c.latitude);
        if (step > Math.max(anchor.acc || 0, c.accuracy || 0)) {
          patrol.distance += step;
          patrol.anchor = { lon: c.longitude, lat: c.latitude, acc: c.accuracy };
        }
      }
    }
    savePatrol();
    renderPatrol();
    if (patrol.buffer.length >= PATROL_BATCH || Date.now() - (patrol.batchedAt || 0) > PATROL_BATCH_MS) { flushPoints(); }
  }

  function watch() {
    if (watchId !== null || !navigator.geolocation) { return; }
    watchId = navigator.geolocation.watchPosition(onPosition, function (error) {
      $("patrol-state").textContent = fmt(T.gpsFailed, { message: error.message || error.code });
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 60000 });
  }

  function setUpPatrol() {
    loadPatrol();
    $("patrol-start").addEventListener("click", function () {
      if (patrol) { return; }
      if (!navigator.geolocation) { $("patrol-state").textContent = fmt(T.gpsFailed, { message: "-" }); return; }
      patrol = { id: newId(), startedAt: new Date().toISOString(), count: 0, distance: 0, buffer: [], batchedAt: Date.now(), last: null, anchor: null };
      savePatrol();
      renderPatrol();
      enqueue("patrol_start", { client_id: patrol.id, started_at: patrol.startedAt }, { label: "" });
      watch();
    });
    $("patrol-stop").addEventListener("click", function () {
      if (!patrol) { return; }
      if (watchId !== null) { navigator.geolocation.clearWatch(watchId); watchId = null; }
      var id = patrol.id;
      flushPoints().then(function () {
        return enqueue("patrol_end", { patrol: id, ended_at: new Date().toISOString() }, { label: "" });
      });
      patrol = null;
      savePatrol();
      renderPatrol();
    });
    renderPatrol();
    if (patrol) { watch(); }
    // Positions still in the buffer when the page is left go to the outbox.
    window.addEventListener("pagehide", function () { flushPoints(); });
  }

  // ── map ──────────────────────────────────────────────────────────────────────────────────────

  var gridMap = null, mePosition = null;

  function setUpMap() {
    onShow.map = function () {
      if (!window.GridgovMap || !window.L) { return; }
      if (!gridMap) {
        gridMap = window.GridgovMap.create($("grid-map"), { bounds: DATA.bounds });
        window.GridgovMap.areas(gridMap, {
          level: DATA.areaLevel,
          style: function (feature) {
            var mine = DATA.homeCodes.indexOf(feature.properties.code) !== -1;
            return { color: mine ? "#0b57d0" : "#555", weight: mine ? 3 : 1, fillColor: "#9ec5e8", fillOpacity: mine ? 0.12 : 0.04 };
          }
        });
        window.GridgovMap.cases(gridMap, DATA.cases);
        window.gridgovGridPage.map = gridMap;
      }
      gridMap.invalidateSize();
    };
    $("locate-me").addEventListener("click", function () {
      if (!navigator.geolocation) { return; }
      $("locate-status").textContent = T.gpsAsking;
      navigator.geolocation.getCurrentPosition(function (position) {
        var c = position.coords;
        var shown = window.GridgovMap.gpsToMap(c.longitude, c.latitude);
        var latlng = [shown[1], shown[0]];
        if (mePosition) { gridMap.removeLayer(mePosition); }
        mePosition = L.layerGroup([
          L.circle(latlng, { radius: c.accuracy, color: "#0b57d0", weight: 1, fillOpacity: 0.1 }),
          L.circleMarker(latlng, { radius: 8, color: "#fff", weight: 3, fillColor: "#0b57d0", fillOpacity: 1 }).bindTooltip(T.myPosition)
        ]).addTo(gridMap);
        gridMap.panTo(latlng);
        $("locate-status").textContent = fmt(T.gpsFound, { accuracy: Math.round(c.accuracy) });
      }, function (error) {
        $("locate-status").textContent = fmt(T.gpsFailed, { message: error.message || error.code });
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
    });
  }

  // ── start ────────────────────────────────────────────────────────────────────────────────────

  window.gridgovGridPage = { flush: flush, render: render, items: function () { return store.all(); }, map: null };

  setUpMap();
  setUpReport();
  setUpVisits();
  setUpTasks();
  setUpPatrol();
  setUpTabs();
  $("outbox-send").addEventListener("click", function () { flush(true); });
  window.addEventListener("online", function () { renderNet(); flush(false); });
  window.addEventListener("offline", renderNet);
  window.setInterval(function () { if (navigator.onLine) { flush(false); } }, RETRY_MS);
  render().then(function () { flush(false); });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(DATA.serviceWorker, { scope: DATA.scope }).catch(function () {
      /* no service worker (plain http on a LAN): the page still queues, it just does not open offline */
    });
  }
  if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
})();
