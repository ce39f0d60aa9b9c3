// Writing pages: "Copy" buttons copy a block of text (the conflict page's "Copy your text").
// The buttons are hidden until this script shows them, so without JavaScript nobody meets a
// button that does nothing; the text can still be selected and copied by hand.
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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent).then(
          function () { say("Your text is copied."); },
          function () { say("Copying did not work: select the text and copy it by hand."); }
        );
      });
    });
  });
})();
