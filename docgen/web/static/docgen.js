// docgen web: optional enhancement. Without JavaScript every form works by plain POST.
// Live checking: after a change the form is saved (autosave, with its version) and checked by the
// server with the library's own rules; the messages appear beside each field and in the summary.
(function () {
  "use strict";
  var form = document.getElementById("formular");
  function focusTarget(id) {
    var el = document.getElementById(id);
    if (!el) { return; }
    if (!el.matches("input,select,textarea,button")) {
      el = el.querySelector("input:not([type=hidden]),select,textarea") || el;
      if (!el.hasAttribute("tabindex") && !el.matches("input,select,textarea")) { el.setAttribute("tabindex", "-1"); }
    }
    el.focus();
  }
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("#zusammenfassung a[href^='#']");
    if (link) { ev.preventDefault(); focusTarget(link.getAttribute("href").slice(1)); }
  });
  if (!form || !window.fetch) { return; }
  var timer = null, running = false, again = false;
  var live = document.getElementById("live");
  function esc(s) { var d = document.createElement("div"); d.textContent = s; return d.innerHTML; }
  function show(result) {
    document.querySelectorAll(".fehlertext").forEach(function (p) { p.hidden = true; p.innerHTML = ""; });
    document.querySelectorAll(".feld-fehler").forEach(function (b) { b.classList.remove("feld-fehler"); });
    document.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
    var summary = document.getElementById("zusammenfassung");
    var items = [];
    result.probleme.forEach(function (p) {
      if (p.ziel) {
        var slot = document.querySelector(".fehlertext[data-pfad='" + CSS.escape(p.ziel) + "']");
        if (slot) {
          slot.hidden = false;
          slot.insertAdjacentHTML("beforeend", "<span class='fehlerzeile'><span class='unsichtbar'>Fehler: </span>" + esc(p.meldung) + "</span>");
          if (slot.parentElement) { slot.parentElement.classList.add("feld-fehler"); }
        }
        var control = p.anker && document.getElementById(p.anker);
        if (control && control.matches("input,select,textarea")) { control.setAttribute("aria-invalid", "true"); }
      }
      var text = esc(p.feld + ": " + p.meldung);
      items.push("<li>" + (p.anker ? "<a href='#" + esc(p.anker) + "'>" + text + "</a>" : text) +
                 " <span class='pfad'>(" + esc(p.pfad || "/") + ")</span></li>");
    });
    if (items.length) {
      summary.hidden = false;
      summary.className = "meldung meldung-fehler fehlerliste";
      summary.innerHTML = "<h2>" + items.length + " Fehler – bitte korrigieren</h2><ul>" + items.join("") + "</ul>";
      live.textContent = "Gespeichert. " + items.length + " Fehler.";
    } else {
      summary.hidden = true; summary.innerHTML = "";
      live.textContent = "Gespeichert. Keine Fehler gefunden.";
    }
  }
  function check() {
    if (running) { again = true; return; }
    running = true;
    var data = new FormData(form);
    data.delete("_aktion");
    form.querySelectorAll("input[type=file]").forEach(function (f) { data.delete(f.name); });
    fetch(form.getAttribute("data-pruefen"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
      .then(function (res) {
        if (res.status === 409) { live.textContent = res.body.meldung; return; }
        if (res.body.version) { document.getElementById("version").value = res.body.version; }
        if (res.body.probleme) { show(res.body); }
      })
      .catch(function () { live.textContent = "Automatisches Speichern fehlgeschlagen; bitte „Speichern und prüfen“ wählen."; })
      .finally(function () { running = false; if (again) { again = false; check(); } });
  }
  form.addEventListener("change", function (ev) {
    if (ev.target.type === "file") { return; }
    clearTimeout(timer); timer = setTimeout(check, 150);
  });
})();
