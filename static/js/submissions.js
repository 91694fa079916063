/* evalbox: the participant's submissions table, kept live without reloading the page.
 *
 * Polls GET /api/competitions/<slug>/submissions/?phase=<id> (the #submissions element's
 * data-list-url) every 3 seconds (the browser revalidates with the ETag: 304 while nothing
 * changed) and redraws the rows that changed: the id linking to the submission's page
 * (data-page-url), status badge, a progress bar while RUNNING or SCORING (the program's own
 * progress when it reports one, else the elapsed time over the limit), the failure reason when
 * FAILED, the scores when FINISHED (or "Scores private" while the phase's scores are hidden, and a
 * link to the detailed results when there are some to read), logs (when allowed) in a collapsible
 * block, a "Mark final" toggle when can_mark_final (POST /api/submissions/<id>/final/) and a cancel
 * button when can_cancel (POST /api/submissions/<id>/cancel/). The DOM is built with textContent
 * only: logs, images and messages are hostile text.
 */
(function () {
  "use strict";

  var POLL_MS = 3000;
  var BADGES = {
    SUBMITTED: "text-bg-secondary",
    QUEUED: "text-bg-info",
    RUNNING: "text-bg-primary",
    SCORING: "text-bg-primary",
    FINISHED: "text-bg-success",
    FAILED: "text-bg-danger",
    CANCELLED: "text-bg-warning",
  };

  // A reference in a div that wraps after each "/", ":" and "@" (the "breakable" template filter's rule).
  function breakable(className, text) {
    var box = el("div", className, "");
    text.split(/(?<=[\/:@])/).forEach(function (part, i) {
      if (i) box.appendChild(document.createElement("wbr"));
      box.appendChild(document.createTextNode(part));
    });
    return box;
  }

  // The digest that runs (pinned at submission, or pulled by the first run), as rows.py computes it.
  function imageDigest(row) {
    var pinned = String(row.image_pinned || row.image_digest || "");
    var at = pinned.lastIndexOf("@");
    return at >= 0 ? pinned.slice(at + 1) : pinned.indexOf("sha256:") === 0 ? pinned : "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function formatCreated(value) {
    var date = new Date(value);
    if (isNaN(date.getTime())) return value == null ? "" : String(value);
    return date.toISOString().slice(0, 16).replace("T", " ");
  }

  function logBlock(title, text, openBlocks, id) {
    var details = el("details", "log-block");
    details.dataset.log = title;
    if (openBlocks[id + ":" + title]) details.open = true;
    details.appendChild(el("summary", null, title));
    details.appendChild(el("pre", "log", text));
    return details;
  }

  function progressCell(row) {
    var box = el("div", "mt-1");
    var elapsed = Math.max(0, Number(row.elapsed_s) || 0);
    var limit = Math.max(0, Number(row.time_limit_s) || 0);
    var own = typeof row.progress === "number" && isFinite(row.progress);
    var pct = own ? Math.min(100, Math.floor(100 * row.progress)) : limit ? Math.min(100, Math.floor((100 * elapsed) / limit)) : 0;
    var progress = el("progress", "elapsed", pct + "%");
    progress.max = 100;
    progress.value = pct;
    progress.setAttribute("aria-label", own ? "Progress" : "Elapsed time");
    box.appendChild(progress);
    var text = own ? pct + " %" + (row.progress_message ? " · " + row.progress_message : "")
      : Math.round(elapsed) + " s / " + limit + " s";
    box.appendChild(el("div", "small text-body-secondary progress-text", text));
    return box;
  }

  function buildRow(row, openBlocks, pageUrl) {
    var tr = el("tr");
    tr.dataset.id = String(row.id);
    tr.dataset.status = String(row.status || "");

    var idCell = el("td", "text-body-secondary");
    if (pageUrl) {
      var link = el("a", null, "#" + row.id);
      link.href = pageUrl.replace("{id}", encodeURIComponent(row.id));
      idCell.appendChild(link);
    } else {
      idCell.textContent = String(row.id);
    }
    if (row.team) idCell.appendChild(el("div", "small", "by " + row.participant));
    tr.appendChild(idCell);

    var created = el("td", "text-nowrap");
    var time = el("time", null, formatCreated(row.created));
    if (row.created) time.setAttribute("datetime", String(row.created));
    created.appendChild(time);
    tr.appendChild(created);

    var image = el("td", "font-monospace small text-break");
    if (row.image) {
      image.appendChild(breakable("image-ref", String(row.image_typed || row.image)));
      var digest = imageDigest(row);
      if (digest) image.appendChild(el("div", "text-body-secondary digest", digest));
    } else image.appendChild(el("span", "text-body-secondary", "predictions archive"));
    tr.appendChild(image);

    var status = String(row.status || "");
    var statusCell = el("td", "status-cell");
    statusCell.appendChild(el("span", "badge " + (BADGES[status] || "text-bg-secondary"), status));
    if (status === "RUNNING" || status === "SCORING") statusCell.appendChild(progressCell(row));
    tr.appendChild(statusCell);

    var result = el("td", "result-cell");
    if (status === "FAILED") {
      var failure = el("div", "text-danger");
      failure.appendChild(el("strong", null, row.failure_label || "Failed"));
      if (row.failure_message) {
        failure.appendChild(document.createTextNode(": "));
        failure.appendChild(el("span", "failure-message", row.failure_message));
      }
      result.appendChild(failure);
    } else if (status === "FINISHED" && row.scores_hidden) {
      var hidden = el("div", "small text-body-secondary", "Scores private.");
      hidden.dataset.role = "scores-hidden";
      result.appendChild(hidden);
    } else if (status === "FINISHED") {
      var list = el("dl", "scores mb-0");
      (Array.isArray(row.scores) ? row.scores : []).forEach(function (score) {
        var item = el("div");
        item.appendChild(el("dt", null, score.label || score.key));
        // The site's own rendering of the score (competition/numbers.py), never re-formatted here.
        item.appendChild(el("dd", null, score.text == null ? "" : score.text));
        list.appendChild(item);
      });
      result.appendChild(list);
      if (row.detailed_results_url) {
        var link = el("a", "small", "Detailed results");
        link.href = String(row.detailed_results_url);
        link.dataset.role = "detailed-results";
        result.appendChild(link);
      }
    } else if (row.status_message) {
      result.appendChild(el("div", "small text-body-secondary", row.status_message));
    }
    var logs = row.logs || {};
    if (logs.participant != null) result.appendChild(logBlock("Participant log", logs.participant, openBlocks, row.id));
    if (logs.scoring != null) result.appendChild(logBlock("Scoring log", logs.scoring, openBlocks, row.id));
    tr.appendChild(result);

    var actions = el("td", "text-end text-nowrap");
    if (row.can_mark_final) {
      var final = el("button", "btn btn-sm " + (row.final ? "btn-success" : "btn-outline-success"),
        row.final ? "Final \u2713" : "Mark final");
      final.type = "button";
      final.dataset.action = "final";
      final.dataset.id = String(row.id);
      final.dataset.final = row.final ? "true" : "false";
      final.setAttribute("aria-pressed", row.final ? "true" : "false");
      actions.appendChild(final);
    } else if (row.final) {
      var badge = el("span", "badge text-bg-success", "Final");
      badge.dataset.role = "final";
      actions.appendChild(badge);
    }
    if (row.can_cancel) {
      var cancel = el("button", "btn btn-outline-danger btn-sm", "Cancel");
      cancel.type = "button";
      cancel.dataset.action = "cancel";
      cancel.dataset.id = String(row.id);
      actions.appendChild(cancel);
    }
    tr.appendChild(actions);
    return tr;
  }

  function SubmissionsTable(root) {
    this.root = root;
    this.body = root.querySelector("tbody[data-role=rows]");
    this.errorBox = root.querySelector("[data-role=poll-error]");
    this.listUrl = root.dataset.listUrl;
    this.cancelUrl = root.dataset.cancelUrl;
    this.pageUrl = root.dataset.pageUrl;
    this.finalUrl = root.dataset.finalUrl;
    this.phase = root.dataset.phase;
    this.signatures = {};
    this.timer = null;
    this.inFlight = false;
    this.pollsDone = 0; // polls answered (or failed) so far: tests wait on it
  }

  SubmissionsTable.prototype.openBlocks = function () {
    var open = {};
    this.body.querySelectorAll("tr[data-id] details[open]").forEach(function (details) {
      var tr = details.closest("tr");
      var title = details.dataset.log || (details.querySelector("summary") || {}).textContent;
      open[tr.dataset.id + ":" + title] = true;
    });
    return open;
  };

  SubmissionsTable.prototype.render = function (rows) {
    var self = this;
    var openBlocks = this.openBlocks();
    var existing = {};
    this.body.querySelectorAll("tr[data-id]").forEach(function (tr) {
      existing[tr.dataset.id] = tr;
    });
    var signatures = {};
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) {
      if (!row || row.id == null) return;
      var id = String(row.id);
      var signature = JSON.stringify(row);
      signatures[id] = signature;
      var tr = existing[id];
      if (!tr || self.signatures[id] !== signature) tr = buildRow(row, openBlocks, self.pageUrl);
      fragment.appendChild(tr);
    });
    if (!rows.length) {
      var empty = el("tr");
      empty.dataset.role = "empty";
      var cell = el("td", "text-body-secondary", "No submission yet.");
      cell.colSpan = 6;
      empty.appendChild(cell);
      fragment.appendChild(empty);
    }
    this.body.replaceChildren(fragment);
    this.signatures = signatures;
  };

  // source "poll": a polling problem, cleared by the next good poll; otherwise an action's refusal,
  // which stays until the next action.
  SubmissionsTable.prototype.showError = function (message, source) {
    if (!this.errorBox) return;
    this.errorSource = message ? source || "action" : null;
    this.errorBox.textContent = message || "";
    this.errorBox.classList.toggle("d-none", !message);
  };

  SubmissionsTable.prototype.poll = function () {
    var self = this;
    if (this.inFlight || !this.listUrl) return Promise.resolve();
    this.inFlight = true;
    return fetch(this.listUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var rows = Array.isArray(data) ? data : (data && (data.submissions || data.results)) || [];
        self.render(rows);
        if (self.errorSource === "poll") self.showError("");
      })
      .catch(function (error) {
        self.showError("Live updates paused (" + error.message + "); retrying.", "poll");
      })
      .then(function () {
        self.inFlight = false;
        self.pollsDone += 1;
      });
  };

  SubmissionsTable.prototype.cancel = function (id, button) {
    if (!window.confirm("Cancel submission #" + id + "?")) return;
    this.send(this.cancelUrl, id, button, null, "cancel");
  };

  SubmissionsTable.prototype.markFinal = function (id, button) {
    this.send(this.finalUrl, id, button, { final: button.dataset.final !== "true" }, "change the final mark");
  };

  SubmissionsTable.prototype.send = function (urlTemplate, id, button, body, what) {
    var self = this;
    button.disabled = true;
    self.showError("");
    var headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    if (body) headers["Content-Type"] = "application/json";
    fetch(urlTemplate.replace("{id}", encodeURIComponent(id)), {
      method: "POST",
      headers: headers,
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
    })
      .then(function (response) {
        if (response.ok) return null;
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (payload) {
            self.showError((payload && payload.error) || "Could not " + what + " (HTTP " + response.status + ").");
          });
      })
      .catch(function () {
        self.showError("Could not " + what + ": the site could not be reached.");
      })
      .then(function () {
        button.disabled = false;
        return self.poll();
      });
  };

  SubmissionsTable.prototype.start = function () {
    var self = this;
    this.body.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action=cancel]");
      if (button) self.cancel(button.dataset.id, button);
      var final = event.target.closest("button[data-action=final]");
      if (final) self.markFinal(final.dataset.id, final);
    });
    document.addEventListener("evalbox:submitted", function (event) {
      var phase = event.detail && event.detail.phase;
      if (phase != null && !isNaN(phase) && String(phase) !== String(self.phase)) {
        // Submitted to another phase: show that phase's table.
        var url = new URL(window.location.href);
        url.searchParams.set("phase", String(phase));
        window.location.assign(url.toString());
        return;
      }
      self.poll();
    });
    this.timer = window.setInterval(function () {
      if (!document.hidden) self.poll();
    }, POLL_MS);
    this.poll();
  };

  function init() {
    var root = document.getElementById("submissions");
    if (!root || window.evalboxSubmissions) return;
    var table = new SubmissionsTable(root);
    window.evalboxSubmissions = table;
    table.start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
