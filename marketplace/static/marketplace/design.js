// The design page (/design/). Each token is shown applied to a sample: a style="" attribute
// would need 'unsafe-inline' in the Content-Security-Policy (settings: CONTENT_SECURITY_POLICY);
// a style set from this file does not.
document.querySelectorAll("[data-sample][data-custom-property]").forEach(function (sample) {
  sample.style.setProperty(sample.dataset.sample, "var(" + sample.dataset.customProperty + ")");
});

// The specimen forms show their states; sending one would leave the page for nothing.
document.querySelectorAll("form[data-demo]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });
});
