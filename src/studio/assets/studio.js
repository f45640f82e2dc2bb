// Herald Studio's one script. Pages work without it; it adds local times,
// the schedule's UTC instant, confirmations, the composer's live analysis
// and preview, and live updates of the posts list from the change feed.
"use strict";

(() => {
  const prefix = document.body.dataset.prefix || "/studio";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  // Times: the server writes UTC; readers see their own zone.
  const localise = (root) => {
    const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    for (const el of root.querySelectorAll("time[data-local]")) {
      const at = new Date(el.getAttribute("datetime"));
      if (!Number.isNaN(at.getTime())) {
        el.textContent = format.format(at);
        el.title = el.getAttribute("datetime");
      }
    }
  };
  localise(document);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  for (const el of document.querySelectorAll("[data-time-zone]")) el.textContent = zone;

  // A stored schedule, shown in the reader's zone.
  const pad = (n) => String(n).padStart(2, "0");
  for (const picker of document.querySelectorAll("input[data-utc-value]")) {
    const at = new Date(picker.dataset.utcValue);
    if (!Number.isNaN(at.getTime()) && !picker.value) {
      picker.value = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // The picker holds a local time; the server stores the instant in UTC.
    for (const hidden of form.querySelectorAll("input[data-utc-of]")) {
      const picker = document.getElementById(hidden.dataset.utcOf);
      const at = picker && picker.value ? new Date(picker.value) : null;
      hidden.value = at && !Number.isNaN(at.getTime()) ? at.toISOString() : "";
    }
  });

  const post = (path, params) =>
    fetch(prefix + path, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: params,
      credentials: "same-origin",
    });

  // A fragment for a panel, or null after the session ended (the page
  // reloads to the sign-in) or for a refusal (the panel says so).
  const fragment = async (response, panel) => {
    if (response.redirected || response.status === 401) { window.location.reload(); return null; }
    if (response.status === 403) { panel.textContent = "This page has expired: reload it."; return null; }
    return response.text();
  };

  // The composer: analysis and preview follow the text, a moment after
  // the author stops typing; an answer to an older text is dropped.
  const composer = document.getElementById("composer");
  if (composer) {
    const analysis = document.getElementById("analysis");
    const summary = document.getElementById("analysis-summary");
    const preview = document.getElementById("preview");
    let timer = null;
    let asked = 0;
    const refresh = async () => {
      const ask = ++asked;
      const params = new URLSearchParams();
      params.set("body", composer.elements.body.value);
      for (const box of composer.querySelectorAll('input[name="platforms"]:checked')) params.append("platforms", box.value);
      try {
        const [a, p] = await Promise.all([post("/live/analysis", params), post("/live/preview", params)]);
        if (ask !== asked) return;
        const [aText, pText] = [await fragment(a, analysis), await fragment(p, preview)];
        if (aText === null || pText === null) return;
        analysis.innerHTML = aText;
        preview.innerHTML = pText;
        const over = [...analysis.querySelectorAll("tr.over")].map((row) => `${row.dataset.platform}: ${row.querySelector("strong")?.textContent || "over the limit"}`);
        summary.textContent = over.length ? over.join("; ") : "Fits every chosen platform.";
        composer.dataset.analysed = String(ask);
      } catch (_) {
        analysis.textContent = "The analysis is unavailable right now.";
      }
    };
    composer.addEventListener("input", (event) => {
      if (!event.target.matches("[data-live-source]")) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    if (composer.elements.body.value.trim() !== "") refresh();

    // Generation: the brief with the composer's platforms; "Insert" puts a
    // variant's text into the body (and so into the analysis).
    const variants = document.getElementById("variants");
    document.addEventListener("click", async (event) => {
      const insert = event.target.closest("[data-insert-text]");
      if (insert) {
        const body = composer.elements.body.value.trim();
        if (body && body !== insert.dataset.insertText.trim() && !window.confirm("Replace the body with this variant?")) return;
        composer.elements.body.value = insert.dataset.insertText;
        composer.elements.body.dispatchEvent(new Event("input", { bubbles: true }));
        composer.elements.body.focus();
        return;
      }
      if (!event.target.closest("[data-generate]")) return;
      const params = new URLSearchParams();
      for (const field of document.querySelectorAll("#brief input, #brief select")) params.set(field.name, field.value);
      for (const box of composer.querySelectorAll('input[name="platforms"]:checked')) params.append("platforms", box.value);
      variants.textContent = "Generating…";
      try {
        const answer = await post("/live/generate", params);
        const text = await fragment(answer, variants);
        if (text !== null) variants.innerHTML = text;
      } catch (_) {
        variants.textContent = "Generation is unavailable right now.";
      }
    });
  }

  // The posts list: when a post changes anywhere, reload the rows.
  const rows = document.querySelector("[data-live-list]");
  if (rows && "EventSource" in window) {
    const feed = new EventSource(prefix + "/live/events");
    let pending = null;
    const reload = () => {
      clearTimeout(pending);
      pending = setTimeout(async () => {
        const response = await fetch(window.location.href, { credentials: "same-origin" });
        if (!response.ok) return;
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.querySelector("[data-live-list]");
        const current = document.querySelector("[data-live-list]");
        if (fresh && current) {
          // Keyboard focus stays on the same post's link.
          const focused = document.activeElement?.closest("tr[data-post-id]")?.dataset.postId;
          localise(fresh);
          current.replaceWith(document.importNode(fresh, true));
          if (focused) document.querySelector(`tr[data-post-id="${focused}"] a`)?.focus();
        }
      }, 200);
    };
    for (const type of ["created", "updated", "published", "scheduled", "unscheduled", "archived", "restored", "deleted"]) {
      feed.addEventListener("post." + type, reload);
    }
  }
})();
