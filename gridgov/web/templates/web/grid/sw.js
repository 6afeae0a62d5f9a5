/* gridgov grid worker's service worker (version {{ version }}).

   Keeps the grid page and the files it needs, so the page opens without a network:
   - the page (navigations under {{ page_url }}): network first, the last good copy when offline;
   - the static files listed below: from the cache, fetched again with every new version;
   - the map's area boundaries (/api/v1/areas/map): network first, cache when offline.
   Nothing is sent from here: the page's own outbox sends reports, visits and patrols. */
"use strict";

var VERSION = "{{ version }}";
var CACHE = "gridgov-grid-" + VERSION;
var PAGE = "{{ page_url }}";
var FILES = {{ files_json|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // The page that registered this worker was loaded before the worker existed: keep a copy
      // now, so the very next visit opens without a network. A failure here is not fatal.
      var page = fetch(PAGE, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) { return cache.put(PAGE, response); }
      }).catch(function () {});
      return Promise.all([cache.addAll(FILES), page]);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("gridgov-grid-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function networkFirst(request, key) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (found) {
      return found || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(networkFirst(request, PAGE));
    return;
  }
  if (FILES.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (found) { return found || fetch(request); });
    }));
    return;
  }
  if (url.pathname === "/api/v1/areas/map") {
    event.respondWith(networkFirst(request, request.url));
  }
});
