// The chat page: send a rep turn to the API's SSE route and render the events as they arrive.
// Protocol: app/roleplay/sse.py (coaching, token*, customer_turn, done | error).
// The customer "types": a typing bubble shows until the first words, and the reply is revealed
// at a reading pace (REVEAL_PER_SECOND characters per second, by the conversation's language)
// however fast the tokens arrive. The newest message stays in view above the composer.
(function () {
  "use strict";

  var root = document.getElementById("chat");
  if (!root) return;
  var strings = JSON.parse(document.getElementById("chat-strings").textContent);
  var sessionId = root.dataset.session;
  var convLang = root.dataset.language === "zh" ? "zh-CN" : "en";
  var personaName = root.dataset.personaName;
  var transcript = document.getElementById("transcript");
  var form = document.getElementById("composer");
  var textarea = document.getElementById("turn-text");
  // The CSRF cookie is HttpOnly; the page carries the same token in its forms.
  var csrf = formToken();
  var sendButton = document.getElementById("send");
  var errorBox = document.getElementById("chat-error");
  var errorText = document.getElementById("chat-error-text");
  var retryButton = document.getElementById("retry");
  var statusLine = document.getElementById("chat-status");
  var endedBox = document.getElementById("chat-ended");
  var talk = document.getElementById("talk");
  var finishForm = document.getElementById("finish-form");
  var SPIN_ORDER = ["situation", "problem", "implication", "need_payoff"];
  var REVEAL_PER_SECOND = root.dataset.language === "zh" ? 18 : 55;
  var MAX_REVEAL_MS = 6000;  // a long reply speeds up rather than keep the rep waiting
  var THINKING_MS = 500;     // the typing bubble shows at least this long
  var counted = {};  // rep turn seqs already in the SPIN tracker (a retry repeats its coaching)
  var busy = false;
  var lastText = null;
  var pendingRep = null;  // the rep turn's <li> whose answer is outstanding

  document.querySelectorAll("#transcript .turn-rep").forEach(function (li) {
    counted[li.dataset.seq] = true;
  });

  function t(key, values) {
    var text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function formToken() {
    var field = form && form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // Follow the newest message unless the rep has scrolled up to read (then leave them there).
  var follow = true;

  function nearBottom() {
    return talk.scrollHeight - talk.scrollTop - talk.clientHeight < 40;
  }

  function scrollToNewest() {
    talk.scrollTop = talk.scrollHeight;
  }

  function keepInView() {
    if (follow) scrollToNewest();
  }

  talk.addEventListener("scroll", function () { follow = nearBottom(); }, { passive: true });

  function turnItem(speaker, text) {
    var li = el("li", { "class": "turn turn-" + speaker, "data-testid": "turn", "data-speaker": speaker });
    var bubble = el("div", { "class": "bubble" }, [
      el("span", { "class": "speaker", text: speaker === "rep" ? t("chat.you") : personaName }),
      el("p", { "class": "text", lang: convLang, text: text })
    ]);
    li.appendChild(bubble);
    var typing = transcript.querySelector(".typing");
    transcript.insertBefore(li, typing && speaker === "customer" ? typing : null);
    var hint = document.getElementById("empty-hint");
    if (hint) hint.remove();
    return li;
  }

  function showTyping() {
    if (transcript.querySelector(".typing")) return;
    var li = el("li", { "class": "typing", "aria-hidden": "true" }, [
      el("span", { "class": "bubble" }, [
        el("span", { "class": "speaker", text: t("chat.typing.bubble", { name: personaName }) }),
        el("span", { "class": "dots" }, [el("span"), el("span"), el("span")])
      ])
    ]);
    transcript.appendChild(li);
    keepInView();
  }

  function hideTyping() {
    var li = transcript.querySelector(".typing");
    if (li) li.remove();
  }

  // Reveals the customer's words at a reading pace; `target` grows as tokens arrive.
  function Reveal(li, startAfter) {
    this.li = li;
    this.node = li.querySelector(".text");
    this.target = "";
    this.shown = 0;
    this.startAt = startAfter;
    this.last = null;
    this.complete = false;
    this.waiters = [];
    this.frame = null;
  }
  Reveal.prototype.add = function (text, complete) {
    if (complete) this.target = text; else this.target += text;
    this.complete = this.complete || !!complete;
    if (!this.frame) this.frame = requestAnimationFrame(this.step.bind(this));
  };
  Reveal.prototype.step = function (now) {
    this.frame = null;
    if (now < this.startAt) {
      this.frame = requestAnimationFrame(this.step.bind(this));
      return;
    }
    if (this.last === null) {
      this.last = now;
      hideTyping();
      this.li.hidden = false;
    }
    var rate = Math.max(REVEAL_PER_SECOND, this.target.length * 1000 / MAX_REVEAL_MS);
    var due = Math.floor((now - this.last) * rate / 1000);
    if (due > 0 || this.shown === 0) {
      this.shown = Math.min(this.target.length, this.shown + Math.max(due, 1));
      this.last = now;
      this.node.textContent = this.target.slice(0, this.shown);
      keepInView();
    }
    if (this.shown < this.target.length) {
      this.frame = requestAnimationFrame(this.step.bind(this));
    } else if (this.complete) {
      this.li.querySelector(".bubble").classList.remove("streaming");
      this.waiters.forEach(function (resolve) { resolve(); });
      this.waiters = [];
    }
  };
  Reveal.prototype.done = function () {
    var self = this;
    if (self.complete && self.shown >= self.target.length) return Promise.resolve();
    return new Promise(function (resolve) { self.waiters.push(resolve); });
  };
  Reveal.prototype.cancel = function () {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.waiters.forEach(function (resolve) { resolve(); });
    this.waiters = [];
  };

  function numberTurn(li, seq) {
    li.id = "turn-" + seq;
    li.dataset.seq = seq;
    var speaker = li.querySelector(".speaker");
    if (!speaker.querySelector(".seq")) {
      speaker.appendChild(document.createTextNode(" "));
      speaker.appendChild(el("a", { "class": "seq", href: "#turn-" + seq, text: "#" + seq }));
    }
  }

  function flagLabel(flag) {
    var key = "flag." + flag;
    return Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : t("flag.other");
  }

  function coachingBlock(c) {
    var chips = el("div", { "class": "chips" }, [
      el("span", {
        "class": "chip spin spin-" + (c.spin || "none"),
        "data-spin": c.spin || "none",
        text: c.spin ? t("spin." + c.spin) : t("coach.spin.none")
      }),
      c.question ? el("span", { "class": "chip question question-" + c.question, text: t("coach.question." + c.question) }) : null
    ]);
    (c.flags || []).forEach(function (flag) {
      chips.appendChild(el("span", { "class": "chip flag", "data-flag": flag, text: flagLabel(flag) }));
    });
    var block = el("div", { "class": "coaching", "data-testid": "coaching", "aria-label": t("coach.label") }, [chips]);
    if (c.tip) {
      block.appendChild(el("p", { "class": "tip" }, [
        el("strong", { text: t("coach.tip") + ":" }),
        document.createTextNode(" "),
        el("span", { lang: convLang, text: c.tip })
      ]));
    }
    return block;
  }

  function updateTracker(c) {
    if (!c.spin) return;
    var item = document.querySelector('#spin-tracker li[data-spin="' + c.spin + '"]');
    if (!item) return;
    var count = Number(item.dataset.count || 0) + 1;
    item.dataset.count = count;
    item.querySelector(".count").textContent = count;
    item.classList.add("reached");
    var stage = null;
    SPIN_ORDER.forEach(function (spin) {
      var li = document.querySelector('#spin-tracker li[data-spin="' + spin + '"]');
      if (li && Number(li.dataset.count) > 0) stage = spin;
    });
    document.getElementById("spin-stage").textContent = stage ? t("spin." + stage) : t("tracker.stage.none");
  }

  function updateOpener(opener) {
    var list = document.getElementById("opener-checklist");
    if (!opener || !list) return;
    list.querySelectorAll("li[data-check]").forEach(function (li) {
      if (opener[li.dataset.check] && !li.classList.contains("met")) {
        li.classList.remove("missing");
        li.classList.add("met");
        li.querySelector(".tick").textContent = "✓";
        li.querySelector(".state").textContent = t("opener.met");
      }
    });
    var seconds = document.getElementById("opener-seconds");
    if (seconds && !seconds.textContent.trim() && typeof opener.estimated_seconds === "number") {
      seconds.textContent = t("opener.seconds", { seconds: Math.round(opener.estimated_seconds * 10) / 10 });
    }
  }

  function updatePatience(value) {
    var meter = document.getElementById("patience");
    var label = document.getElementById("patience-text");
    if (!meter || typeof value !== "number") return;
    meter.value = value;
    label.textContent = t("patience.value", { value: value, max: label.dataset.max });
  }

  function showError(detail, canRetry) {
    if (Array.isArray(detail)) detail = detail.map(function (e) { return e.msg || String(e); }).join("; ");
    errorText.textContent = detail ? t("chat.error", { detail: detail }) : t("chat.error.network");
    retryButton.hidden = !canRetry;
    errorBox.hidden = false;
    statusLine.textContent = "";
  }

  function hideError() {
    errorBox.hidden = true;
    retryButton.hidden = true;
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value || root.dataset.status !== "active";
    retryButton.disabled = value;
    transcript.setAttribute("aria-busy", value ? "true" : "false");
    sendButton.textContent = value ? t("chat.sending") : t("chat.send");
  }

  function endConversation() {
    root.dataset.status = "ended";
    textarea.disabled = true;
    sendButton.disabled = true;
    form.hidden = true;
    if (finishForm) finishForm.hidden = true;
    retryButton.hidden = true;
    endedBox.hidden = false;
    scrollToNewest();
  }

  function parseEvent(block) {
    var name = "message";
    var data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) name = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    return { name: name, data: data.length ? JSON.parse(data.join("\n")) : {} };
  }

  async function send(text) {
    if (busy || !text) return;
    hideError();
    setBusy(true);
    lastText = text;
    if (!pendingRep) pendingRep = turnItem("rep", text);
    var brief = document.querySelector(".brief");
    if (brief) brief.open = false;  // the conversation needs the room now
    follow = true;
    scrollToNewest();
    var customer = null;
    var reveal = null;
    var finished = false;
    var sentAt = performance.now();
    showTyping();
    statusLine.textContent = t("chat.typing", { name: personaName });
    function startCustomer() {
      if (customer) return;
      customer = turnItem("customer", "");
      customer.hidden = true;  // shown by the reveal, when the typing bubble goes
      customer.querySelector(".bubble").classList.add("streaming");
      reveal = new Reveal(customer, sentAt + THINKING_MS);
    }
    function dropCustomer() {
      if (reveal) reveal.cancel();
      if (customer) customer.remove();
      hideTyping();
    }
    try {
      var response = await fetch("/api/v1/sessions/" + encodeURIComponent(sessionId) + "/turns", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "text/event-stream", "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ text: text })
      });
      if (!response.ok || !response.body) {
        var body = {};
        try { body = await response.json(); } catch (ignored) { body = {}; }
        hideTyping();
        showError(body.detail || response.statusText, response.status >= 500);
        if (response.status === 409) endConversation();
        return;
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
        var cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          var event = parseEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (event.name === "coaching") {
            numberTurn(pendingRep, event.data.seq);
            var old = pendingRep.querySelector(".coaching");
            if (old) old.remove();
            pendingRep.appendChild(coachingBlock(event.data));
            if (!counted[event.data.seq]) {
              counted[event.data.seq] = true;
              updateTracker(event.data);
              updateOpener(event.data.opener);
            }
            keepInView();
          } else if (event.name === "token") {
            startCustomer();
            reveal.add(event.data.text, false);
          } else if (event.name === "customer_turn") {
            startCustomer();
            numberTurn(customer, event.data.seq);
            reveal.add(event.data.text, true);
          } else if (event.name === "done") {
            finished = true;
            pendingRep = null;
            if (reveal) await reveal.done();
            hideTyping();
            updatePatience(event.data.patience);
            statusLine.textContent = t("chat.answered", { name: personaName });
            if (event.data.status === "ended") endConversation();
          } else if (event.name === "error") {
            finished = true;
            dropCustomer();
            showError(event.data.detail, event.data.status_code !== 409);
            if (event.data.status_code === 409) endConversation();
          }
        }
      }
      if (!finished) {
        dropCustomer();
        showError(null, true);
      }
    } catch (err) {
      dropCustomer();
      showError(null, true);
    } finally {
      setBusy(false);
      if (root.dataset.status === "active") textarea.focus({ preventScroll: true });
    }
  }

  if (!form) {  // an ended call has no composer
    scrollToNewest();
    return;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = textarea.value.trim();
    if (!text || busy) return;
    // A new text while an earlier one is unanswered starts a new rep turn; a turn the server
    // never stored (no seq) is dropped from view.
    if (pendingRep && !pendingRep.dataset.seq) pendingRep.remove();
    pendingRep = null;
    textarea.value = "";
    send(text);
  });

  textarea.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter breaks the line; Enter that confirms an IME composition does neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  retryButton.addEventListener("click", function () {
    if (lastText) send(lastText);
  });

  scrollToNewest();
  if (root.dataset.status === "active") textarea.focus({ preventScroll: true });
})();
