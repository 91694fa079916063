/* evalbox: a submission's page, kept live without reloading it.
 *
 * Every 2 seconds (while the tab is visible) it asks for the page's live part
 * (#submission-live's data-live-url) with the ETag it got last: the site answers 304 when nothing
 * changed (one cheap query), and the page then waits a little longer each time, up to 10 s, until
 * something changes again; else the fragment, whose parts ([data-live-part]) replace the ones
 * that differ. A log keeps its scroll position, and follows the end when it was scrolled there.
 * Polling stops once the submission is final. The fragment is the site's own escaped HTML.
 */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var MAX_POLL_MS = 10000;

  function LivePage(root) {
    this.root = root;
    this.url = root.dataset.liveUrl;
    this.errorBox = root.querySelector("[data-role=poll-error]");
    this.etag = null;
    this.inFlight = false;
    this.timer = null;
    this.delay = POLL_MS;
    this.stopped = false;
  }

  LivePage.prototype.current = function () {
    return this.root.querySelector("[data-live-root]");
  };

  LivePage.prototype.showError = function (message) {
    if (!this.errorBox) return;
    this.errorBox.textContent = message || "";
    this.errorBox.classList.toggle("d-none", !message);
  };

  function updateLog(old, fresh) {
    if (old.textContent === fresh.textContent) return;
    var atEnd = old.scrollTop + old.clientHeight >= old.scrollHeight - 4;
    old.textContent = fresh.textContent;
    if (atEnd) old.scrollTop = old.scrollHeight;
  }

  LivePage.prototype.apply = function (html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    var fresh = parsed.querySelector("[data-live-root]");
    var current = this.current();
    if (!fresh || !current) return;
    var parts = current.querySelectorAll("[data-live-part]");
    var freshParts = {};
    fresh.querySelectorAll("[data-live-part]").forEach(function (part) {
      freshParts[part.dataset.livePart] = part;
    });
    if (parts.length !== Object.keys(freshParts).length) {
      current.replaceWith(document.importNode(fresh, true));
      return;
    }
    parts.forEach(function (part) {
      var replacement = freshParts[part.dataset.livePart];
      if (!replacement) return;
      if (part.tagName === "PRE") updateLog(part, replacement);
      else if (part.innerHTML !== replacement.innerHTML) part.replaceWith(document.importNode(replacement, true));
    });
    current.dataset.status = fresh.dataset.status;
    current.dataset.final = fresh.dataset.final;
  };

  LivePage.prototype.poll = function () {
    var self = this;
    if (this.inFlight || !this.url) return Promise.resolve();
    this.inFlight = true;
    var headers = { Accept: "text/html" };
    if (this.etag) headers["If-None-Match"] = this.etag;
    return fetch(this.url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) {
          self.delay = Math.min(MAX_POLL_MS, Math.round(self.delay * 1.5));
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        self.delay = POLL_MS;
        self.etag = response.headers.get("ETag");
        return response.text();
      })
      .then(function (html) {
        if (html != null) self.apply(html);
        self.showError("");
        var current = self.current();
        if (current && current.dataset.final === "true") self.stop();
      })
      .catch(function (error) {
        self.showError("Live updates paused (" + error.message + "); retrying.");
      })
      .then(function () {
        self.inFlight = false;
      });
  };

  LivePage.prototype.stop = function () {
    this.stopped = true;
    if (this.timer) window.clearTimeout(this.timer);
    this.timer = null;
  };

  LivePage.prototype.schedule = function () {
    var self = this;
    if (this.stopped) return;
    this.timer = window.setTimeout(function () {
      (document.hidden ? Promise.resolve() : self.poll()).then(function () {
        self.schedule();
      });
    }, this.delay);
  };

  LivePage.prototype.start = function () {
    var current = this.current();
    document.querySelectorAll("pre.live-log").forEach(function (log) {
      log.scrollTop = log.scrollHeight;
    });
    if (current && current.dataset.final === "true") return;
    this.schedule();
  };

  function init() {
    var root = document.getElementById("submission-live");
    if (!root || window.evalboxLivePage) return;
    window.evalboxLivePage = new LivePage(root);
    window.evalboxLivePage.start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
