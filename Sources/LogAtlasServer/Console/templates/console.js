// Enhancement only: every page works without it. Shows times in the reader's time zone.
document.querySelectorAll("time[datetime]").forEach((element) => {
  const date = new Date(element.getAttribute("datetime"));
  if (!isNaN(date)) {
    element.textContent = date.toLocaleString(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
  }
});
