// A link marked data-print prints the page (no inline handler: the Content-Security-Policy forbids them).
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-print]");
  if (link) {
    event.preventDefault();
    window.print();
  }
});
