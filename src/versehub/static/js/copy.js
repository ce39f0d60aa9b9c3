// Copy buttons (API keys, recovery codes, the conflict page): <button data-copy="id"
// data-copied="message" hidden> copies the text of the
// element with that id. The button is hidden until this script runs (nothing to press without
// JavaScript: the text can still be selected and copied by hand); the result is shown in the
// #status live region, never by sound.
(function () {
  "use strict";
  function say(message) {
    var status = document.getElementById("status");
    if (!status) return;
    var note = document.createElement("p");
    note.className = "notice notice--success";
    note.textContent = message;
    status.replaceChildren(note);
  }

  function textOf(node) {
    var items = node.querySelectorAll("li");
    if (items.length) {
      return Array.prototype.map.call(items, function (item) { return item.textContent.trim(); }).join("\n");
    }
    return node.textContent.trim();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!navigator.clipboard) return;
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(textOf(target)).then(
          function () { say(button.getAttribute("data-copied") || "Copied."); },
          function () { say("Copying did not work here: select the text and copy it by hand."); }
        );
      });
    });
  });
})();
