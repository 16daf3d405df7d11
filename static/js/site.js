// htmx requests carry the CSRF token in the X-CSRFToken header, taken from the page's form field.
document.addEventListener("htmx:configRequest", function (event) {
  var field = document.querySelector("input[name=_csrf_token]");
  if (field) {
    event.detail.headers["X-CSRFToken"] = field.value;
  }
});
