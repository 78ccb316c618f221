/* IntentService web chat widget: <script src="https://bot.example.com/widget.js" data-site="shop" defer></script>
   No dependencies, no cookies: the visitor id lives in this page's localStorage. Every text from the
   server or the visitor is set with textContent, never parsed as markup. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__intentWebChat) return;
  window.__intentWebChat = true;
  var site = script.getAttribute("data-site") || "";
  var base = new URL(script.src, location.href).origin + "/v1/webchat/" + encodeURIComponent(site);
  var storeKey = "intent-webchat:" + site + ":visitor";

  var words = {
    en: { open: "Chat with us", close: "Close chat", title: "Chat", placeholder: "Type your question", send: "Send", offline: "Connection lost, retrying…", busy: "Too many messages; wait a moment.", failed: "Not sent; try again." },
    zh: { open: "在线咨询", close: "关闭聊天", title: "在线咨询", placeholder: "请输入您的问题", send: "发送", offline: "连接中断，正在重试…", busy: "消息太频繁，请稍候。", failed: "发送失败，请重试。" },
    es: { open: "Chatea con nosotros", close: "Cerrar el chat", title: "Chat", placeholder: "Escribe tu pregunta", send: "Enviar", offline: "Conexión perdida, reintentando…", busy: "Demasiados mensajes; espera un momento.", failed: "No se envió; inténtalo de nuevo." },
    fr: { open: "Discuter avec nous", close: "Fermer la discussion", title: "Discussion", placeholder: "Posez votre question", send: "Envoyer", offline: "Connexion perdue, nouvelle tentative…", busy: "Trop de messages ; patientez un instant.", failed: "Non envoyé ; réessayez." },
    pt: { open: "Fale conosco", close: "Fechar o chat", title: "Chat", placeholder: "Digite sua pergunta", send: "Enviar", offline: "Conexão perdida, tentando de novo…", busy: "Mensagens demais; aguarde um momento.", failed: "Não enviado; tente de novo." },
    de: { open: "Chatten Sie mit uns", close: "Chat schließen", title: "Chat", placeholder: "Ihre Frage", send: "Senden", offline: "Verbindung verloren, neuer Versuch…", busy: "Zu viele Nachrichten; bitte kurz warten.", failed: "Nicht gesendet; bitte erneut versuchen." }
  };
  var lang = (document.documentElement.lang || navigator.language || "en").toLowerCase().split("-")[0];
  var t = words[lang] || words.en;

  var visitor = null;
  try { visitor = localStorage.getItem(storeKey); } catch (e) { /* storage off: a visitor per page view */ }
  var shown = {};
  var lastOut = "out:0";
  var stream = null, poller = null, streamFailures = 0;

  var host = document.createElement("div");
  host.id = "intent-webchat";
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent =
    ":host{all:initial;font:15px/1.4 system-ui,sans-serif;color:#1c1c1e}" +
    ".bubble{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;background:#0b63ce;color:#fff;font-size:26px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".panel{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:360px;max-width:calc(100vw - 24px);height:520px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden}" +
    ".panel[hidden]{display:none}" +
    "header{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;background:#0b63ce;color:#fff;font-weight:600}" +
    "header button{background:none;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f4f5f7}" +
    ".msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".msg.pending{opacity:.6}" +
    ".in{align-self:flex-end;background:#0b63ce;color:#fff}.out{align-self:flex-start;background:#fff;border:1px solid #dde}" +
    ".choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}" +
    ".choices button{border:1px solid #0b63ce;background:#fff;color:#0b63ce;border-radius:14px;padding:5px 10px;font:inherit;cursor:pointer}" +
    ".choices button:disabled{opacity:.5;cursor:default}" +
    ".note{align-self:center;font-size:13px;color:#8a4b00}" +
    "form{display:flex;gap:6px;padding:8px;border-top:1px solid #e3e3e8}" +
    "textarea{flex:1;resize:none;height:40px;padding:8px;border:1px solid #c7c7cc;border-radius:8px;font:inherit}" +
    "form button{border:0;border-radius:8px;background:#0b63ce;color:#fff;padding:0 14px;font:inherit;cursor:pointer}" +
    "button:focus-visible,textarea:focus-visible{outline:3px solid #ffbf47;outline-offset:1px}" +
    "@media (max-width:480px){.panel{right:0;left:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}";
  root.appendChild(style);

  function element(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  var bubble = element("button", "bubble", "💬");
  bubble.type = "button";
  bubble.setAttribute("aria-label", t.open);
  bubble.setAttribute("aria-expanded", "false");
  var panel = element("div", "panel");
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", t.title);
  var header = element("header", null);
  header.appendChild(element("span", null, t.title));
  var close = element("button", "close", "×");
  close.type = "button";
  close.setAttribute("aria-label", t.close);
  header.appendChild(close);
  var log = element("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var form = element("form", null);
  var input = element("textarea", null);
  input.setAttribute("aria-label", t.placeholder);
  input.placeholder = t.placeholder;
  input.maxLength = 2000;
  var send = element("button", null, t.send);
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(bubble);

  function itemNumber(id) { return id && id.indexOf("out:") === 0 ? parseInt(id.slice(4), 10) || 0 : 0; }

  function note(text) {
    var n = element("div", "note", text);
    log.appendChild(n);
    log.scrollTop = log.scrollHeight;
    return n;
  }

  function render(m) {
    if (!m || !m.id || shown[m.id]) return;
    shown[m.id] = true;
    var row = element("div", "msg " + (m.direction === "in" ? "in" : "out"), m.text || "");
    row.dataset.id = m.id;
    if (m.direction === "out") {
      if (itemNumber(m.id) > itemNumber(lastOut)) lastOut = m.id;
      if (m.buttons && m.buttons.length) {
        var choices = element("div", "choices");
        m.buttons.forEach(function (b) {
          var button = element("button", null, b.title);
          button.type = "button";
          button.dataset.choice = b.id;
          button.addEventListener("click", function () {
            var all = choices.querySelectorAll("button");
            all.forEach(function (x) { x.disabled = true; });
            post({ choice: b.id }, b.title).then(function (ok) { if (!ok) all.forEach(function (x) { x.disabled = false; }); });
          });
          choices.appendChild(button);
        });
        row.appendChild(choices);
      }
    }
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function forget() {
    visitor = null;
    try { localStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
  }

  function load() {
    if (!visitor) return Promise.resolve();
    return fetch(base + "/messages?visitor=" + encodeURIComponent(visitor), { credentials: "omit" }).then(function (r) {
      if (r.status === 404) { forget(); return; }
      if (!r.ok) return;
      return r.json().then(function (body) { (body.messages || []).forEach(render); });
    }).catch(function () { /* the next poll or stream tries again */ });
  }

  function listen() {
    if (!visitor || stream || poller || panel.hidden) return;
    if (!window.EventSource || streamFailures > 3) { poll(); return; }
    stream = new EventSource(base + "/events?visitor=" + encodeURIComponent(visitor) + "&after=" + encodeURIComponent(lastOut));
    stream.addEventListener("message", function (e) {
      streamFailures = 0;
      try { render(JSON.parse(e.data)); } catch (x) { /* not ours */ }
    });
    stream.onerror = function () {
      // EventSource reconnects by itself (resuming with Last-Event-ID); one that keeps failing,
      // or a proxy that buffers events, is replaced by polling.
      streamFailures++;
      if (stream.readyState === 2 || streamFailures > 3) {
        stream.close();
        stream = null;
        load().then(listen);
      }
    };
  }

  function poll() {
    poller = setInterval(function () { if (!panel.hidden) load(); }, 3000);
  }

  // The visitor's words show at once, marked pending until the server has them: the answer can
  // stream in before the POST's own response, and must not appear above the question it answers.
  function post(body, echo, row) {
    if (visitor) body.visitor = visitor;
    var sending = body.text != null ? body.text : echo;
    if (!row) {
      row = element("div", "msg in pending", sending);
      log.appendChild(row);
      log.scrollTop = log.scrollHeight;
    }
    function failed(words) {
      log.removeChild(row);
      note(words);
      return false;
    }
    return fetch(base + "/messages", {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (answer) {
        if (r.status === 404 && body.visitor && answer.error && answer.error.code === "unknown_visitor") {
          forget();
          delete body.visitor;
          delete body.choice;
          body.text = sending;
          return post(body, echo, row);
        }
        if (r.status === 429) return failed(t.busy);
        if (!r.ok) return failed(t.failed);
        var fresh = !visitor;
        visitor = answer.visitor;
        try { localStorage.setItem(storeKey, visitor); } catch (e) { /* kept for this page only */ }
        if (shown[answer.message_id]) {
          log.removeChild(row);  // a reload of the messages showed it meanwhile
        } else {
          shown[answer.message_id] = true;
          row.dataset.id = answer.message_id;
          row.className = "msg in";
        }
        if (fresh) listen();
        return true;
      });
    }).catch(function () { return row.parentNode ? failed(t.failed) : false; });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    post({ text: text }).then(function (ok) { if (!ok) input.value = text; });
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });

  function toggle(open) {
    panel.hidden = !open;
    bubble.setAttribute("aria-expanded", String(open));
    bubble.setAttribute("aria-label", open ? t.close : t.open);
    if (open) {
      load().then(listen);
      input.focus();
    } else {
      if (stream) { stream.close(); stream = null; }
      if (poller) { clearInterval(poller); poller = null; }
      bubble.focus();
    }
  }
  bubble.addEventListener("click", function () { toggle(panel.hidden); });
  close.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });

  (document.body || document.documentElement).appendChild(host);
})();
