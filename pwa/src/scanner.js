// The camera QR scanner: frames go to a Web Worker running zxing-wasm (its .wasm served from our
// own origin, so scanning works offline). The camera stops as soon as the page is hidden or the
// scanner is closed: a running camera is a privacy and battery cost.
/* global __QR_WORKER_URL__ */

export function cameraAvailable() {
  return !!navigator.mediaDevices?.getUserMedia;
}

/**
 * Start scanning into `video`; calls onResult(text) once and stops.
 * @returns {{stop: () => void}}
 */
export function startScanner(video, {onResult, onError}) {
  let stream = null;
  let stopped = false;
  let busy = false;
  let timer = null;
  const worker = new Worker(__QR_WORKER_URL__);
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', {willReadFrequently: true});

  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    stream?.getTracks().forEach((tr) => tr.stop());
    video.srcObject = null;
    worker.terminate();
    document.removeEventListener('visibilitychange', onHidden);
  };
  const onHidden = () => { if (document.hidden) stop(); };
  document.addEventListener('visibilitychange', onHidden);

  worker.onmessage = ({data}) => {
    busy = false;
    if (stopped) return;
    if (data.error) { stop(); onError?.(new Error(data.error)); return; }
    if (data.text) { stop(); onResult(data.text); }
  };

  const grab = () => {
    if (stopped || busy || video.readyState < 2 || !video.videoWidth) return;
    const w = video.videoWidth;
    const h = video.videoHeight;
    canvas.width = w;
    canvas.height = h;
    g.drawImage(video, 0, 0, w, h);
    const frame = g.getImageData(0, 0, w, h);
    busy = true;
    worker.postMessage({width: w, height: h, buffer: frame.data.buffer}, [frame.data.buffer]);
  };

  navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}, audio: false})
    .then((s) => {
      if (stopped) { s.getTracks().forEach((tr) => tr.stop()); return; }
      stream = s;
      video.srcObject = s;
      video.play().catch(() => {});
      timer = setInterval(grab, 150);
    })
    .catch((e) => { stop(); onError?.(e); });

  return {stop};
}
