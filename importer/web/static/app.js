// Live progress of a job: poll its state, update the bar, reload when it is over.
(function () {
  const box = document.getElementById("progress");
  if (!box) return;
  const url = box.dataset.state;
  const bar = document.getElementById("bar");
  const text = document.getElementById("stage");
  async function tick() {
    try {
      const answer = await fetch(url, { credentials: "same-origin" });
      if (answer.ok) {
        const s = await answer.json();
        if (s.state === "done" || s.state === "failed") { window.location.reload(); return; }
        if (s.state === "waiting" && s.ahead > 0) {
          text.textContent = "Waiting: " + s.ahead + " job(s) on this site first";
        } else {
          text.textContent = s.stage + (s.total ? ": " + s.done.toLocaleString() + " of " + s.total.toLocaleString() : "");
        }
        bar.max = s.total || 1;
        bar.value = s.total ? s.done : 0;
      }
    } catch (e) { /* the server may restart; try again */ }
    setTimeout(tick, 700);
  }
  tick();
})();
