/* The Widget page: the embed tag and the preview follow the options as they are typed,
 * and the copy button copies the tag. Without JavaScript the form's button does the same. */
(function () {
  "use strict";
  var form = document.getElementById("widget-options");
  var tag = document.getElementById("embed-tag");
  var frame = document.getElementById("widget-preview");
  var copy = document.getElementById("copy-tag");
  var status = document.getElementById("copy-status");
  if (!form || !tag || !frame) return;

  function escapeAttribute(value) {
    return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  var timer = null;
  function update() {
    var attributes = "";
    var query = new URLSearchParams();
    Array.prototype.forEach.call(form.querySelectorAll("[data-attribute]"), function (field) {
      var value = field.value.trim().replace(/\s+/g, " ");
      if (value) query.set(field.name, value);
      if (value && value !== field.dataset.default) {
        attributes += " " + field.dataset.attribute + '="' + escapeAttribute(value) + '"';
      }
    });
    tag.textContent = '<script src="' + form.dataset.assistant + '/webhooks/widget/widget.js" defer' +
      attributes + "></" + "script>";
    clearTimeout(timer);
    timer = setTimeout(function () { frame.src = "/widget/preview?" + query.toString(); }, 400);
    if (window.history && window.history.replaceState) window.history.replaceState(null, "", "/widget?" + query.toString());
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);

  if (copy) {
    copy.addEventListener("click", function () {
      var text = tag.textContent;
      function done(ok) { status.textContent = ok ? "Copied." : "Select the tag and copy it (Ctrl+C)."; }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallback(text)); });
      } else {
        done(fallback(text));
      }
    });
  }

  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
})();
