/* AssistDesk console: live SLA countdowns and the browser's time zone.
 *
 * Each <time class="sla" data-due data-start> shows the time left to its target as
 * "H:MM" ("−H:MM" once late, "N d" beyond two days) and is coloured ok / warn / late:
 * warn in the target's last quarter or last hour. The server renders the same at page
 * load; this keeps it ticking between htmx refreshes. Same rules as console_tags.py.
 */
(function () {
  "use strict";
  var WARN_SHARE = 0.25, WARN_MS = 3600 * 1000;

  function rememberZone() {
    try {
      // IANA names ("Europe/Rome") are cookie-safe as they are: written unencoded.
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && /^[A-Za-z0-9_+\-\/]+$/.test(zone) && document.cookie.indexOf("tz=" + zone) === -1) {
        document.cookie = "tz=" + zone + ";path=/;max-age=31536000;samesite=lax";
      }
    } catch (e) { /* no Intl: the server keeps UTC */ }
  }

  function text(ms, dayUnit) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var sign = ms < 0 ? "\u2212" : "";
    if (minutes >= 2 * 24 * 60) { return sign + Math.floor(minutes / 1440) + " " + dayUnit; }
    var mm = String(minutes % 60);
    return sign + Math.floor(minutes / 60) + ":" + (mm.length < 2 ? "0" + mm : mm);
  }

  function state(left, span) {
    if (left < 0) { return "late"; }
    if (left <= WARN_MS || (span > 0 && left <= WARN_SHARE * span)) { return "warn"; }
    return "ok";
  }

  function tick() {
    var now = Date.now();
    var dayUnit = document.body.getAttribute("data-day-unit") || "d";
    var clocks = document.querySelectorAll("time.sla[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Number(el.getAttribute("data-due"));
      var start = Number(el.getAttribute("data-start") || 0);
      var left = due - now;
      el.textContent = text(left, dayUnit);
      var cls = "sla-" + state(left, start ? due - start : 0);
      if (!el.classList.contains(cls)) {
        el.classList.remove("sla-ok", "sla-warn", "sla-late");
        el.classList.add(cls);
      }
    }
  }

  rememberZone();
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  window.setInterval(tick, 20000);

  // Selects that filter the queue submit on change when htmx is not there to do it.
  document.addEventListener("change", function (event) {
    var form = event.target && event.target.form;
    if (form && form.hasAttribute("data-autosubmit") && !window.htmx) { form.submit(); }
  });
  // The language selector has no submit button once scripts run.
  document.addEventListener("change", function (event) {
    var form = event.target && event.target.form;
    if (form && form.classList.contains("language")) { form.submit(); }
  });
})();
