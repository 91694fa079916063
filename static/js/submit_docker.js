/* evalbox: send a submission without reloading the page (no jQuery).
 *
 * Handles every <form data-evalbox-submit="json|multipart"> on the page:
 * - "json" (the "Submit Docker image" modal): POST {"phase": id, "image": ref} as JSON;
 * - "multipart" (the results upload): POST the form's fields (phase, predictions) as multipart.
 * Both go to the form's action (POST /api/competitions/<slug>/submissions/) with the CSRF token.
 * 400 -> errors.<field>[0] shown under the field (is-invalid + invalid-feedback);
 * 403 / 429 / anything else -> the JSON "error" message shown inline in the form;
 * 201 -> the modal closes and the submissions table refreshes (event "evalbox:submitted").
 * The platform registry's section of the modal lists the participant's pushed images (refreshed
 * from GET /api/competitions/<slug>/images/ each time the modal opens); their "Submit" button
 * submits that reference.
 * While a reference is typed, the modal says where it will be pulled from, as the site reads it
 * (GET /api/competitions/<slug>/references/?image=..., the submit API's own check).
 * Server text is only ever set with textContent.
 */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function firstMessage(value) {
    if (Array.isArray(value)) return value.length ? String(value[0]) : "";
    if (value && typeof value === "object") return String(value.message || JSON.stringify(value));
    return value == null ? "" : String(value);
  }

  function formError(form) {
    return form.querySelector("[data-role=form-error]");
  }

  function clearErrors(form) {
    form.querySelectorAll(".is-invalid").forEach(function (el) {
      el.classList.remove("is-invalid");
    });
    form.querySelectorAll("[data-error-for]").forEach(function (el) {
      el.textContent = "";
    });
    var general = formError(form);
    if (general) {
      general.textContent = "";
      general.classList.add("d-none");
    }
    var success = form.querySelector("[data-role=form-success]");
    if (success) {
      success.textContent = "";
      success.classList.add("d-none");
    }
  }

  function showGeneral(form, message) {
    var general = formError(form);
    if (!general) return;
    general.textContent = message || "The submission failed.";
    general.classList.remove("d-none");
  }

  function showFieldError(form, name, message) {
    var key = window.CSS && CSS.escape ? CSS.escape(name) : name.replace(/[^\w-]/g, "");
    var input = form.querySelector('[name="' + key + '"]:not([type=hidden])');
    var feedback = form.querySelector('[data-error-for="' + key + '"]');
    if (!input || !feedback) return false;
    input.classList.add("is-invalid");
    feedback.textContent = message;
    return true;
  }

  function setBusy(form, busy) {
    var button = form.querySelector("[data-role=submit]");
    if (!button) return;
    button.disabled = busy;
    var spinner = button.querySelector(".spinner-border");
    if (spinner) spinner.classList.toggle("d-none", !busy);
  }

  function buildRequest(form) {
    var headers = { "X-CSRFToken": csrfToken(form), Accept: "application/json" };
    var phaseInput = form.querySelector("[name=phase]");
    var phase = phaseInput ? parseInt(phaseInput.value, 10) : NaN;
    if (form.dataset.evalboxSubmit === "multipart") {
      var data = new FormData(form);
      data.delete("csrfmiddlewaretoken");
      return { headers: headers, body: data, phase: phase };
    }
    var image = form.querySelector("[name=image]");
    headers["Content-Type"] = "application/json";
    return {
      headers: headers,
      body: JSON.stringify({ phase: phase, image: image ? image.value : "" }),
      phase: phase,
    };
  }

  function onSuccess(form, submission, phase) {
    var modalElement = form.closest(".modal");
    if (modalElement && window.bootstrap) {
      window.bootstrap.Modal.getOrCreateInstance(modalElement).hide();
    }
    form.reset();
    var success = form.querySelector("[data-role=form-success]");
    if (success) {
      success.textContent = "Submission " + (submission && submission.id != null ? "#" + submission.id + " " : "") + "received.";
      success.classList.remove("d-none");
    }
    document.dispatchEvent(
      new CustomEvent("evalbox:submitted", { detail: { submission: submission || null, phase: phase } })
    );
  }

  function send(form) {
    if (form.dataset.evalboxBusy === "1") return; // one request at a time (double click, Enter)
    form.dataset.evalboxBusy = "1";
    clearErrors(form);
    var request = buildRequest(form);
    setBusy(form, true);
    fetch(form.action, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      credentials: "same-origin",
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (payload) {
            return { status: response.status, payload: payload || {} };
          });
      })
      .then(function (result) {
        var payload = result.payload;
        if (result.status === 201 || result.status === 200) {
          onSuccess(form, payload.submission || payload, request.phase);
          return;
        }
        var shown = false;
        if (result.status === 400 && payload.errors && typeof payload.errors === "object") {
          var leftovers = [];
          Object.keys(payload.errors).forEach(function (name) {
            var message = firstMessage(payload.errors[name]);
            if (!showFieldError(form, name, message)) leftovers.push(message);
          });
          if (leftovers.length) showGeneral(form, leftovers.join(" "));
          shown = true;
          var invalid = form.querySelector(".is-invalid");
          if (invalid) invalid.focus();
        }
        if (!shown) {
          var fallback =
            result.status === 429
              ? "Your submission quota is spent for now."
              : result.status === 403
                ? "You may not submit here."
                : "The submission failed (HTTP " + result.status + ").";
          showGeneral(form, firstMessage(payload.error) || fallback);
        }
      })
      .catch(function () {
        showGeneral(form, "The site could not be reached. Check your connection and try again.");
      })
      .then(function () {
        form.dataset.evalboxBusy = "";
        setBusy(form, false);
      });
  }

  function imageItem(image) {
    var item = document.createElement("li");
    item.className = "list-group-item d-flex flex-wrap align-items-center gap-2";
    var code = document.createElement("code");
    code.className = "text-break me-auto";
    code.textContent = image.reference;
    var digest = document.createElement("span");
    digest.className = "text-body-secondary font-monospace";
    digest.title = image.digest;
    digest.textContent = String(image.digest).slice(0, 19) + "\u2026";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-primary";
    button.dataset.imageReference = image.reference;
    button.textContent = "Submit";
    item.append(code, digest, button);
    return item;
  }

  function refreshImages(section) {
    fetch(section.dataset.imagesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (payload) {
        if (!payload || !Array.isArray(payload.images)) return;
        var list = section.querySelector("[data-role=pushed-images]");
        if (!payload.images.length) return; // keep the server's "nothing pushed yet"
        list.replaceChildren.apply(list, payload.images.map(imageItem));
      })
      .catch(function () {});
  }

  function submitPushed(modal, button) {
    var form = modal.querySelector("form");
    var image = form && form.querySelector("[name=image]");
    if (!image) return;
    image.value = button.dataset.imageReference;
    if (form.requestSubmit) form.requestSubmit();
    else send(form);
  }

  function explainReference(input) {
    var line = document.getElementById(input.dataset.whereId);
    var typed = input.value.trim();
    if (!line) return;
    if (!typed) {
      line.textContent = "";
      return;
    }
    var url = input.dataset.referenceUrl + "?image=" + encodeURIComponent(typed);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (payload) { return { ok: response.ok, payload: payload }; });
      })
      .then(function (result) {
        if (input.value.trim() !== typed) return;  // a newer keystroke asks again
        line.classList.toggle("text-danger", !result.ok);
        line.textContent = result.ok ? "Will be pulled from " + result.payload.where + "."
          : firstMessage((result.payload.errors || {}).image || result.payload.error);
      })
      .catch(function () { line.textContent = ""; });
  }

  function bindReference(input) {
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { explainReference(input); }, 250);
    });
  }

  function init() {
    document.querySelectorAll("input[data-reference-url]").forEach(function (input) {
      if (input.dataset.evalboxBound) return;
      input.dataset.evalboxBound = "1";
      bindReference(input);
    });
    document.querySelectorAll("form[data-evalbox-submit]").forEach(function (form) {
      if (form.dataset.evalboxBound) return;
      form.dataset.evalboxBound = "1";
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        send(form);
      });
    });
    var modal = document.getElementById("submit-docker-modal");
    if (modal && !modal.dataset.evalboxBound) {
      modal.dataset.evalboxBound = "1";
      modal.addEventListener("shown.bs.modal", function () {
        var image = modal.querySelector("[name=image]");
        if (image) image.focus();
        var section = modal.querySelector("[data-role=registry]");
        if (section) refreshImages(section);
      });
      modal.addEventListener("click", function (event) {
        var button = event.target.closest("[data-image-reference]");
        if (button) submitPushed(modal, button);
      });
      modal.addEventListener("hidden.bs.modal", function () {
        var form = modal.querySelector("form");
        if (form) clearErrors(form);
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
