// Web Worker: decode QR codes in camera frames with zxing-wasm, off the main thread.
/* global __ZXING_WASM_URL__ */
import {prepareZXingModule, readBarcodes} from 'zxing-wasm/reader';

// Never the CDN default: the .wasm is one of our own precached assets.
prepareZXingModule({
  overrides: {locateFile: (path, prefix) => (path.endsWith('.wasm') ? __ZXING_WASM_URL__ : prefix + path)},
});

self.onmessage = async ({data}) => {
  try {
    const image = new ImageData(new Uint8ClampedArray(data.buffer), data.width, data.height);
    const results = await readBarcodes(image, {formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 1});
    const hit = results.find((r) => r.isValid && r.text);
    self.postMessage({text: hit ? hit.text : null});
  } catch (e) {
    self.postMessage({error: String(e?.message ?? e)});
  }
};
