// Accessibility fixes for what the quiz package does not do itself (checked by axe-core in
// tests/test_book.py): jupyterquiz draws a numeric answer box after a <label> that is not tied
// to it, so screen readers announce an unlabelled input. Tie each label to its input as quizzes
// appear (they are drawn by scripts after the page loads).
(function () {
  function labelQuizInputs(root) {
    root.querySelectorAll(".InpLabel").forEach(function (label) {
      var input = label.nextElementSibling;
      if (input && input.tagName === "INPUT" && input.id && !label.htmlFor) {
        label.htmlFor = input.id;
      }
    });
  }
  function start() {
    labelQuizInputs(document);
    new MutationObserver(function () { labelQuizInputs(document); })
      .observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
