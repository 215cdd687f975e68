// Autosave feedback and retry for the respondent's pages. htmx does the saving (see
// templates/_macros/questions.html); this file only makes sure a failed save is shown and tried
// again, never dropped, and that leaving the page with unsaved changes asks first.
(function () {
  "use strict";
  var pending = new Set();
  var RETRY_MS = [2000, 5000, 10000, 30000];
  // The page's <html lang> is the municipality's målform.
  var TEXTS = {
    nb: {
      saving: "Lagrer …",
      expired: "Ikke lagret: økten er utløpt. Åpne invitasjonslenken på nytt i en ny fane; det du har skrevet her, står fortsatt i feltet.",
      retry: "Ikke lagret ennå – prøver igjen om {s} sekunder. Det du har skrevet, står fortsatt i feltet.",
      tooLarge: "Ikke lagret: svaret er for langt. Kort det ned; det du har skrevet, står fortsatt i feltet.",
      refused: "Ikke lagret: svaret ble avvist. Last siden på nytt og prøv igjen; kopier gjerne teksten først."
    },
    nn: {
      saving: "Lagrar …",
      expired: "Ikkje lagra: økta er gått ut. Opne invitasjonslenka på nytt i ei ny fane; det du har skrive her, står framleis i feltet.",
      retry: "Ikkje lagra enno – prøver igjen om {s} sekund. Det du har skrive, står framleis i feltet.",
      tooLarge: "Ikkje lagra: svaret er for langt. Kort det ned; det du har skrive, står framleis i feltet.",
      refused: "Ikkje lagra: svaret vart avvist. Last sida på nytt og prøv igjen; kopier gjerne teksten først."
    }
  };
  var text = TEXTS[document.documentElement.lang] || TEXTS.nb;

  function questionOf(elt) {
    return elt && elt.closest ? elt.closest(".question") : null;
  }
  function statusOf(question) {
    return question ? question.querySelector(".save-status") : null;
  }
  function say(question, cls, text) {
    var status = statusOf(question);
    if (!status) return;
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    status.replaceChildren(p);
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var q = questionOf(evt.detail.elt);
    if (!q || evt.detail.requestConfig.verb !== "post") return;
    pending.add(q.id);
    say(q, "pending-note", text.saving);
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var q = questionOf(evt.detail.elt);
    if (!q) return;
    if (evt.detail.successful) {
      pending.delete(q.id);
      q.removeAttribute("data-retries");
      return;
    }
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (status === 401 || status === 403) {
      say(q, "failed-note", text.expired);
      return;
    }
    // Another refusal will not go away by trying again (only a timeout or "too many" might).
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      say(q, "failed-note", status === 413 ? text.tooLarge : text.refused);
      return;
    }
    var tries = parseInt(q.getAttribute("data-retries") || "0", 10);
    var wait = RETRY_MS[Math.min(tries, RETRY_MS.length - 1)];
    q.setAttribute("data-retries", String(tries + 1));
    say(q, "failed-note", text.retry.replace("{s}", String(Math.round(wait / 1000))));
    window.setTimeout(function () {
      if (document.body.contains(q)) htmx.trigger(q, "innspill:retry");
    }, wait);
  });

  // Keep aria-invalid on the inputs in step with the message the server sent back.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var status = evt.detail.target;
    if (!status || !status.classList || !status.classList.contains("save-status")) return;
    var q = questionOf(status);
    var invalid = !!status.querySelector("[data-invalid]");
    q.querySelectorAll("input:not([type=hidden]), textarea").forEach(function (input) {
      if (invalid) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
    q.classList.toggle("has-error", invalid);
  });

  window.addEventListener("beforeunload", function (evt) {
    if (pending.size > 0) {
      evt.preventDefault();
      evt.returnValue = "";
    }
  });

  // A table wider than the page scrolls sideways in its .table-scroll box. While it does, the box is a
  // focusable region named by the table's caption, so the keyboard can scroll it too (WCAG 2.1.1); when
  // the table fits, the box stays out of the tab order. A questionnaire matrix is left alone: every one
  // of its columns holds radios that are already in the tab order and scroll into view.
  var scrollBoxes = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { markScrollable(entry.target); });
  });
  var captions = 0;
  function markScrollable(box) {
    var caption = box.querySelector("caption");
    // A box may name a visible hint («rull sideveis …», data-scroll-hint): shown only while the table scrolls.
    var hintId = box.getAttribute("data-scroll-hint");
    var hint = hintId ? document.getElementById(hintId) : null;
    var scrolls = box.scrollWidth > box.clientWidth;
    if (hint) hint.hidden = !scrolls;
    if (scrolls) {
      if (caption && !caption.id) caption.id = "tabelltekst-" + (++captions);
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      if (caption) box.setAttribute("aria-labelledby", caption.id);
      if (hint) box.setAttribute("aria-describedby", hint.id);
      box.classList.add("ds-focus");
    } else {
      ["tabindex", "role", "aria-labelledby", "aria-describedby"].forEach(function (name) { box.removeAttribute(name); });
      box.classList.remove("ds-focus");
    }
  }
  // htmx:load comes for the page when htmx starts, and for every piece of content it swaps in.
  document.addEventListener("htmx:load", function (evt) {
    var root = evt.detail.elt;
    var boxes = root.matches && root.matches(".table-scroll") ? [root] : root.querySelectorAll(".table-scroll");
    boxes.forEach(function (box) {
      if (box.querySelector("table.matrix")) return;
      markScrollable(box);
      scrollBoxes.observe(box);
    });
  });

  // Coding free text by keyboard (the keys are documented on templates/staff/coding.html). They work only
  // inside an answer's form, so everywhere else a single letter stays the screen reader's (WCAG 2.1.4).
  function codingForms() {
    return Array.prototype.slice.call(document.querySelectorAll("form.coding"));
  }
  function focusAnswer(form) {
    var first = form ? form.querySelector("input[type=checkbox]") : null;
    if (!first) return false;
    first.focus({ preventScroll: true });
    form.scrollIntoView({ block: "nearest" });
    return true;
  }
  var confirming = null; // the id of the form confirmed by the Enter key, until htmx has swapped it
  function nextAnswer(form, step) {
    var forms = codingForms();
    return forms[forms.indexOf(form) + step] || null;
  }
  document.addEventListener("keydown", function (evt) {
    var form = evt.target.closest ? evt.target.closest("form.coding") : null;
    if (!form || evt.ctrlKey || evt.metaKey || evt.altKey || evt.isComposing) return;
    var key = evt.key;
    if (/^[1-9]$/.test(key)) {
      var box = form.querySelectorAll("input[type=checkbox][name=codes]")[Number(key) - 1];
      if (!box) return;
      box.click(); // toggles it as a click would, with its change event
      box.focus();
      evt.preventDefault();
    } else if (key === "Enter" && evt.target.type === "checkbox") {
      // Enter on a checkbox submits in some browsers and not in others: here it always confirms, and the
      // person goes on to the next answer. (Enter or a click on «Bekreft» keeps the focus where it was.)
      evt.preventDefault();
      confirming = form.id;
      form.requestSubmit();
    } else if (key === "n" || key === "N" || key === "f" || key === "F") {
      if (focusAnswer(nextAnswer(form, key.toLowerCase() === "n" ? 1 : -1))) evt.preventDefault();
    }
  });
  // After a confirm by the Enter key, htmx swaps the form for the confirmed one; the person carries on with
  // the next answer (or, after the page's last, the link that fetches more).
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (!evt.detail.successful && evt.detail.elt.id === confirming) confirming = null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!confirming) return;
    var swapped = document.getElementById(confirming);
    confirming = null;
    var active = document.activeElement;
    // htmx puts focus back on the element of the same id in the confirmed form; if the person has moved on
    // to something else meanwhile, it stays there.
    if (!swapped || (active && active !== document.body && !swapped.contains(active))) return;
    if (!focusAnswer(nextAnswer(swapped, 1))) {
      var more = document.getElementById("neste-ukodede") || document.querySelector("nav.ds-pagination a");
      if (more) more.focus();
    }
  });

  // Sessions end after a while without contact with the server. A few minutes before, say so and offer to
  // continue (a request refreshes the session cookie); when it has ended, say what to do. Saved answers are
  // never at risk: a respondent comes back through the invitation link to the same draft.
  var meta = document.querySelector('meta[name="session-max-age"]');
  var maxAge = meta ? parseInt(meta.content, 10) * 1000 : 0;
  var warnBefore = Math.min(5 * 60 * 1000, maxAge / 3);
  var SESSION_TEXTS = {
    nb: {
      warn: "Økten din avsluttes snart fordi det er en stund siden du gjorde noe. Det som er lagret, er trygt.",
      keep: "Fortsett økten",
      ended: "Økten er avsluttet. Det som var lagret, er trygt. Åpne invitasjonslenken eller logg inn på nytt for å fortsette."
    },
    nn: {
      warn: "Økta di vert snart avslutta fordi det er ei stund sidan du gjorde noko. Det som er lagra, er trygt.",
      keep: "Hald fram økta",
      ended: "Økta er avslutta. Det som var lagra, er trygt. Opne invitasjonslenka eller logg inn på nytt for å halde fram."
    }
  };
  var sessionText = SESSION_TEXTS[document.documentElement.lang] || SESSION_TEXTS.nb;
  var warnTimer = 0;
  var endTimer = 0;
  function sessionNotice(message, withButton) {
    var notice = document.getElementById("okt-varsel");
    if (!notice) {
      notice = document.createElement("div");
      notice.id = "okt-varsel";
      notice.className = "ds-alert session-notice";
      notice.setAttribute("data-color", "warning");
      notice.setAttribute("role", "alert");
      var main = document.getElementById("innhold");
      if (!main) return;
      main.prepend(notice);
    }
    var p = document.createElement("p");
    p.className = "ds-paragraph";
    p.textContent = message;
    notice.replaceChildren(p);
    if (withButton) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ds-button";
      button.setAttribute("data-variant", "secondary");
      button.textContent = sessionText.keep;
      button.addEventListener("click", function () {
        fetch(meta.getAttribute("data-keepalive"), { credentials: "same-origin" }).then(function (r) {
          if (r.ok) restartSessionClock();
        });
      });
      notice.appendChild(button);
    }
  }
  function restartSessionClock() {
    if (!maxAge) return;
    var notice = document.getElementById("okt-varsel");
    if (notice) notice.remove();
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(function () { sessionNotice(sessionText.warn, true); }, maxAge - warnBefore);
    endTimer = window.setTimeout(function () { sessionNotice(sessionText.ended, false); }, maxAge);
  }
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.successful) restartSessionClock();
  });
  restartSessionClock();

  // Move focus to an error summary when a page shows one, so it is read first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("feiloppsummering");
    if (summary) summary.focus();
    // The receipt's «Skriv ut» button (data-print): the CSP allows no onclick in the page, so it is wired up
    // here and shown only then; without script the page says to use the browser's print (Ctrl+P).
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
