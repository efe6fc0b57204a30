// AssistDesk portal: the little the pages need beyond htmx. No inline handlers anywhere
// (the Content-Security-Policy runs only files of ours), so they are wired here.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit")) {
    field.form.requestSubmit();
  }
});
