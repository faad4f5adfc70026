/*
 * Clinic chat widget. Embed with one line:
 *   <script src="https://BOT-HOST/webhooks/widget/widget.js" defer></script>
 * Optional attributes on that tag: data-title, data-accent, data-position ("right" | "left"),
 * and the interface strings data-placeholder, data-send-label, data-open-label,
 * data-close-label, data-new-label, data-offline-text, data-retry-label.
 * The greeting and its suggested questions are domain.yml's utter_greet (GET greeting):
 * the same words a visitor's "hi" gets.
 *
 * It lives in a shadow root (the host page's CSS cannot reach it), defines no
 * globals but a guard flag, and renders every message as text, never as HTML.
 */
(function () {
  "use strict";
  if (window.__clinicChatWidgetLoaded) return;
  window.__clinicChatWidgetLoaded = true;

  var script = document.currentScript ||
    document.querySelector('script[src*="/webhooks/widget/widget.js"]');
  if (!script) return;
  var base = new URL(".", script.src).href; // .../webhooks/widget/
  var data = script.dataset || {};
  var storageKey = "clinicChat:" + base;

  var text = {
    title: data.title || "Ask about micro-needling",
    placeholder: data.placeholder || "Type your question…",
    send: data.sendLabel || "Send",
    open: data.openLabel || "Open chat",
    close: data.closeLabel || "Close chat",
    restart: data.newLabel || "New conversation",
    offline: data.offlineText || "Sorry, the assistant can't be reached right now. Check your connection and try again.",
    unavailable: data.unavailableText || "Sorry, the chat is unavailable on this page.",
    retry: data.retryLabel || "Retry",
    typing: "The assistant is typing",
    tooLong: "Your message is too long: at most {max} characters (it has {n})."
  };
  // Buttons whose payload confirms or cancels (domain.yml: "Send it", "Yes, please" are
  // /affirm; "Cancel" is /cancel) look like a primary and a destructive action.
  var BUTTON_KINDS = { "/affirm": "primary", "/cancel": "destructive" };

  var state = load();
  var maxLength = state.maxLength || 1000;
  var greeting = null; // domain.yml's utter_greet, fetched once per page
  var busy = false;
  var restored = false;
  var focusWanted = false;
  var generation = 0; // bumped by "New conversation": late replies of the old one are dropped

  function load() {
    try { return JSON.parse(window.localStorage.getItem(storageKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { window.localStorage.setItem(storageKey, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  // --- DOM --------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  var host = el("clinic-chat-widget", {});
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var stylesheet = el("link", { rel: "stylesheet", href: base + "widget.css" });
  var launcher = el("button", {
    type: "button", "class": "launcher", "aria-label": text.open, "aria-expanded": "false",
    "aria-controls": "chat-panel"
  });
  launcher.innerHTML = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  var title = el("h2", { id: "chat-title" });
  // A hyphenated word stays whole ("micro-needling", never "micro-" / "needling").
  text.title.split(/(\s+)/).forEach(function (part) {
    title.appendChild(part.indexOf("-") > 0 ? el("span", { "class": "nowrap", text: part }) : document.createTextNode(part));
  });
  var restartButton = el("button", { type: "button", "class": "restart", "aria-label": text.restart, title: text.restart });
  restartButton.innerHTML = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z"/></svg>';
  var closeButton = el("button", { type: "button", "class": "close", "aria-label": text.close, text: "\u00d7" });
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
  var alertBox = el("div", { "class": "alert", role: "alert", hidden: "" });
  var input = el("textarea", { rows: "1", placeholder: text.placeholder, "aria-label": text.placeholder });
  var sendButton = el("button", { type: "submit", "class": "send", text: text.send });
  var form = el("form", { "class": "composer" }, [input, sendButton]);
  var panel = el("div", {
    id: "chat-panel", "class": "panel", role: "dialog", "aria-labelledby": "chat-title", hidden: ""
  }, [el("div", { "class": "header" }, [title, restartButton, closeButton]), log, alertBox, form]);
  var container = el("div", { "class": "widget " + (data.position === "left" ? "left" : "right") }, [panel, launcher]);
  if (data.accent) container.style.setProperty("--accent", data.accent);
  root.appendChild(stylesheet);
  root.appendChild(container);

  // --- rendering (always as text) ------------------------------------------------------------
  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"')]+/g;

  function appendTextWithLinks(node, value) {
    var last = 0;
    String(value).replace(URL_PATTERN, function (match, offset) {
      node.appendChild(document.createTextNode(value.slice(last, offset)));
      var link = el("a", { href: match, target: "_blank", rel: "noopener noreferrer nofollow", text: match });
      node.appendChild(link);
      last = offset + match.length;
      return match;
    });
    node.appendChild(document.createTextNode(String(value).slice(last)));
  }

  function clearQuickReplies() {
    Array.prototype.forEach.call(log.querySelectorAll(".quick-replies"), function (n) { n.remove(); });
  }

  function addMessage(from, value, buttons) {
    if (from === "visitor") clearQuickReplies(); // answered: older suggestions are stale
    var bubble = el("div", { "class": "msg " + from });
    var label = el("span", { "class": "sr-only", text: from === "bot" ? "Assistant: " : "You: " });
    bubble.appendChild(label);
    appendTextWithLinks(bubble, value);
    log.appendChild(bubble);
    if (buttons && buttons.length) {
      clearQuickReplies();
      var group = el("div", { "class": "quick-replies", role: "group", "aria-label": "Suggested replies" });
      buttons.forEach(function (b) {
        var kind = BUTTON_KINDS[b.payload];
        var button = el("button", { type: "button", "class": "quick-reply" + (kind ? " " + kind : ""), text: b.title });
        button.addEventListener("click", function () { send(b.title, b.payload); });
        group.appendChild(button);
      });
      log.appendChild(group);
    }
    log.scrollTop = log.scrollHeight;
    return bubble;
  }

  function loadGreeting() {
    if (greeting) return Promise.resolve(greeting);
    return request("GET", "greeting").then(function (json) {
      greeting = (json.messages || [])[0] || { text: "" };
      return greeting;
    });
  }
  function showGreeting(message) {
    if (message.text) addMessage("bot", message.text, message.buttons);
  }

  var typing = el("div", { "class": "msg bot typing", "aria-label": text.typing, role: "status" },
    [el("span"), el("span"), el("span")]);
  function setTyping(on) {
    if (on) { log.appendChild(typing); log.scrollTop = log.scrollHeight; } else if (typing.parentNode) { typing.remove(); }
  }

  function showAlert(message, retry) {
    alertBox.textContent = "";
    alertBox.appendChild(document.createTextNode(message + " "));
    if (retry) {
      var button = el("button", { type: "button", "class": "retry", text: text.retry });
      button.addEventListener("click", retry);
      alertBox.appendChild(button);
    }
    alertBox.hidden = false;
  }
  function hideAlert() { alertBox.hidden = true; alertBox.textContent = ""; }

  // --- server ----------------------------------------------------------------------------------
  var refusedHere = false; // the server does not allow this site (credentials.yml allowed_origins)
  // A refused site: a neutral message for the visitor, no Retry (retrying cannot help).
  function showFailure(failure, fallback, retry) {
    if (failure && failure.code === "origin_not_allowed") {
      showAlert(text.unavailable);
      input.disabled = sendButton.disabled = true;
      return true;
    }
    showAlert(fallback, retry);
    return false;
  }

  function request(method, path, body) {
    return fetch(base + path, {
      method: method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
      mode: "cors"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var failure = new Error(json.message || ("HTTP " + response.status));
          failure.status = response.status;
          failure.code = json.error;
          if (failure.code === "origin_not_allowed" && !refusedHere) {
            refusedHere = true; // for the site's IT: which site, and where to allow it
            if (window.console) console.error("Chat widget: " + failure.message);
          }
          throw failure;
        }
        return json;
      });
    });
  }

  function ensureSession() {
    if (state.session) return Promise.resolve(state.session);
    return request("POST", "session").then(function (json) {
      state.session = json.session;
      state.maxLength = maxLength = json.max_message_length || maxLength;
      save();
      return state.session;
    });
  }

  // Every answer names the session to use next: renewed, or a fresh one after a
  // consultation request was sent or cancelled (that conversation is never replayed).
  function adoptSession(json) {
    if (json && typeof json.session === "string" && json.session !== state.session) {
      state.session = json.session;
      save();
    }
  }

  function loadHistory() {
    if (!state.session) return Promise.resolve([]);
    return request("POST", "history", { session: state.session }).then(function (json) {
      adoptSession(json);
      return json.messages || [];
    }, function (failure) {
      if (failure.status !== 401) throw failure;
      delete state.session; save(); // expired or from another server: start afresh
      return [];
    });
  }

  function restoreHistory() {
    if (restored) return Promise.resolve();
    restored = true;
    var conversation = generation;
    // Until the greeting and the history are back, nothing can be sent (it would land above them).
    input.disabled = sendButton.disabled = true;
    setTyping(true);
    return Promise.all([loadGreeting(), loadHistory()]).then(function (loaded) {
      if (conversation !== generation) return; // "New conversation" was pressed meanwhile
      setTyping(false);
      showGreeting(loaded[0]);
      loaded[1].forEach(function (m) { addMessage(m.from, m.text, m.buttons); });
    }).catch(function (failure) {
      if (conversation !== generation) return;
      restored = false;
      log.textContent = "";
      showFailure(failure, text.offline, function () { hideAlert(); restoreHistory(); });
    }).then(function () {
      if (refusedHere) return;
      input.disabled = sendButton.disabled = false;
      if (focusWanted && !panel.hidden) input.focus();
      focusWanted = false;
    });
  }

  // message: what the visitor typed or the button's title; payload: a button's payload.
  function send(message, payload) {
    message = String(message || "").trim();
    if (!message || busy) return;
    if (message.length > maxLength) {
      showAlert(text.tooLong.replace("{max}", maxLength).replace("{n}", message.length));
      return;
    }
    hideAlert();
    clearQuickReplies();
    busy = true;
    var fromInput = payload === undefined;
    var conversation = generation;
    var pending = addMessage("visitor", message);
    if (fromInput) input.value = "";
    setTyping(true);
    var attempt = function (retried) {
      return ensureSession().then(function (session) {
        var body = { session: session, message: message };
        if (!fromInput && payload) body.payload = payload;
        return request("POST", "message", body);
      }).catch(function (failure) {
        if (failure.status === 401 && !retried) {
          // The session expired (idle, or too old): its messages are not shown any longer.
          delete state.session; save();
          log.textContent = ""; showGreeting(greeting || { text: "" }); clearQuickReplies(); log.appendChild(pending); setTyping(true);
          return attempt(true);
        }
        throw failure;
      });
    };
    attempt(false).then(function (json) {
      if (conversation !== generation) return; // the visitor started a new conversation meanwhile
      adoptSession(json);
      (json.messages || []).forEach(function (m) { addMessage("bot", m.text, m.buttons); });
    }).catch(function (failure) {
      if (conversation !== generation) return;
      // Nothing typed is lost: the text goes back into the box, and Retry resends it.
      pending.remove();
      if (fromInput && !input.value) input.value = message;
      var retry = function () { hideAlert(); send(message, payload); };
      if (failure.status === 413 || failure.status === 429 || failure.status === 400) showAlert(failure.message, retry);
      else showFailure(failure, text.offline, retry);
    }).then(function () {
      busy = false;
      setTyping(false);
      input.focus();
    });
  }

  // --- open / close / keyboard -------------------------------------------------------------------
  function open(restoring) {
    panel.hidden = false;
    container.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", text.close);
    state.open = true; save();
    restoreHistory();
    if (!restoring) { focusWanted = true; input.focus(); } // never steal focus on navigation
  }
  function close() {
    panel.hidden = true;
    container.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", text.open);
    state.open = false; save();
    launcher.focus();
  }
  function restart() {
    generation += 1;
    busy = false;
    setTyping(false);
    delete state.session; save();
    log.textContent = "";
    hideAlert();
    restored = false;
    input.value = "";
    focusWanted = true;
    restoreHistory(); // the greeting again (no session: no history)
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(false); else close(); });
  closeButton.addEventListener("click", close);
  restartButton.addEventListener("click", restart);
  form.addEventListener("submit", function (event) { event.preventDefault(); send(input.value); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(input.value); }
  });
  container.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { event.stopPropagation(); close(); }
  });

  function mount() {
    document.body.appendChild(host);
    if (state.open) open(true);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
