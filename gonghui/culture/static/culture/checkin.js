// The check-in page's scanner (culture/session_checkin.html): reads QR codes from the phone's
// camera (jsQR decodes each frame) and posts the token through the same form as typing it;
// one token is posted once per few seconds.
(function () {
  const video = document.getElementById("camera");
  const canvas = document.getElementById("frame");
  const token = document.getElementById("token");
  const form = document.getElementById("checkin-form");
  const start = document.getElementById("start-camera");
  if (!video || !canvas || !token || !form || !start) return;
  let last = "";
  let lastAt = 0;
  function tick() {
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      const now = Date.now();
      if (code && code.data && (code.data !== last || now - lastAt > 4000)) {
        last = code.data;
        lastAt = now;
        token.value = code.data;
        htmx.trigger(form, "submit");
      }
    }
    requestAnimationFrame(tick);
  }
  start.addEventListener("click", async function () {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      await video.play();
      requestAnimationFrame(tick);
    } catch (e) {
      document.getElementById("checkin-result").textContent = start.dataset.cameraError;
    }
  });
  form.addEventListener("htmx:afterRequest", function () {
    token.value = "";
    token.focus();
  });
})();
