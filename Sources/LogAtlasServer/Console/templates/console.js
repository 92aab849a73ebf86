// Enhancement only: every page works without it. Shows times in the reader's time zone.
document.querySelectorAll("time[datetime]").forEach((element) => {
  const date = new Date(element.getAttribute("datetime"));
  if (!isNaN(date)) {
    element.textContent = date.toLocaleString(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
  }
});

// Uploads: the file itself is the body, streamed with a progress bar; the server answers with its SHA-256.
document.querySelectorAll("form[data-upload]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = form.querySelector("input[type=file]").files[0];
    if (!file) return;
    const progress = form.querySelector("progress"), output = form.querySelector("output"), reload = form.querySelector("a.reload");
    const request = new XMLHttpRequest();
    request.open("POST", form.dataset.upload + "?name=" + encodeURIComponent(file.name));
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    progress.hidden = false;
    request.upload.addEventListener("progress", (e) => { if (e.lengthComputable) progress.value = Math.round((100 * e.loaded) / e.total); });
    request.addEventListener("load", () => {
      if (request.status === 201) {
        const stored = JSON.parse(request.responseText);
        progress.value = 100;
        output.innerHTML = "";
        output.append(output.dataset.stored + " ");
        const code = document.createElement("code");
        code.className = "sha256";
        code.textContent = stored.sha256;
        output.append(code);
        reload.hidden = false;
      } else {
        output.textContent = output.dataset.failed + " " + request.status;
      }
    });
    request.addEventListener("error", () => { output.textContent = output.dataset.failed; });
    request.send(file);
  });
});
