// The live preview on the preferences page: as density, contrast and motion change in the form,
// the sample takes them on (its data-* attributes switch the design tokens inside it).
// Without JavaScript the saved page shows the result instead.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-preferences-form]");
    var preview = document.querySelector("[data-preview]");
    if (!form || !preview) return;

    function text(selector, value) {
      var node = preview.querySelector(selector);
      if (node) node.textContent = value;
    }

    function update() {
      var density = form.querySelector("input[name=visual_density]:checked");
      var contrast = form.querySelector("input[name=high_contrast]");
      var motion = form.querySelector("input[name=reduced_motion]");
      if (density) preview.setAttribute("data-density", density.value);
      var contrastValue = contrast && contrast.checked ? "high" : "normal";
      preview.setAttribute("data-contrast", contrastValue);
      var reduced = motion && motion.checked;
      preview.setAttribute("data-motion", reduced ? "reduce" : "full");
      text("[data-preview-density]", density ? density.value : "");
      text("[data-preview-contrast]", contrastValue);
      text("[data-preview-motion]", reduced ? "reduced" : "on");
      // The dot moves to the other end on each change: motion made visible (or not).
      preview.toggleAttribute("data-moved");
    }

    form.addEventListener("change", function (event) {
      var name = event.target && event.target.name;
      if (name === "visual_density" || name === "high_contrast" || name === "reduced_motion") {
        update();
      }
    });
  });
})();
