// Live validation in the document editor: while the content is being typed, the unsaved JSON is
// sent to /console/documents/check and the CSAF findings are shown. Nothing is saved. Without
// this script the editor still works through its "Check and preview" button.
"use strict";
(function () {
  const form = document.querySelector("form[data-live-check]");
  const content = document.getElementById("content");
  const live = document.getElementById("live-check");
  if (!form || !content || !live) return;
  let timer = null;
  let sequence = 0;

  function show(lines, ok) {
    live.replaceChildren();
    live.className = ok ? "notice" : "error";
    for (const line of lines) {
      const item = document.createElement("div");
      item.textContent = line;
      live.appendChild(item);
    }
  }

  async function check() {
    const mine = ++sequence;
    const body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    body.set("content", content.value);
    body.set("id", form.dataset.documentId || "");
    body.set("kind", form.elements.kind ? form.elements.kind.value : "");
    let result;
    try {
      const response = await fetch("/console/documents/check", { method: "POST", body, credentials: "same-origin" });
      result = await response.json();
    } catch (e) {
      return;
    }
    if (mine !== sequence) return;
    if (result.problem) {
      show(["Cannot check yet: " + result.problem], false);
    } else if (result.valid) {
      show(["Valid CSAF 2.0" + (result.warnings ? " (" + result.warnings + " warnings)" : "")], true);
    } else if (result.errors) {
      show(["Not publishable:"].concat(result.errors.map((p) => p.test + " at " + p.path + ": " + p.message)), false);
    } else if (result.error) {
      show([result.error.message], false);
    }
  }

  content.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  });
  check();
})();
