// npm run build: pwa/src → pwa/dist (index.html, hashed bundles, sw.js, manifest, icons, wasm).
import {readFile, writeFile, rm, mkdir, copyFile} from 'node:fs/promises';
import {createHash} from 'node:crypto';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import * as esbuild from 'esbuild';
import {injectManifest} from 'workbox-build';
import {buildIcons} from './icons.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const require = createRequire(import.meta.url);
const dev = process.argv.includes('--dev');

const hash8 = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 8);

await rm(dist, {recursive: true, force: true});
await mkdir(path.join(dist, 'assets'), {recursive: true});

// 1. zxing's reader wasm, under a content-hashed name on our own origin (never the CDN).
const wasmSrc = require.resolve('zxing-wasm/reader/zxing_reader.wasm');
const wasm = await readFile(wasmSrc);
const wasmName = `assets/zxing_reader-${hash8(wasm)}.wasm`;
await copyFile(wasmSrc, path.join(dist, wasmName));

// 2. The QR worker (a classic worker: works in every browser that has workers).
const common = {bundle: true, minify: !dev, sourcemap: true, target: ['es2022'], legalComments: 'none',
                logLevel: 'warning', metafile: true};
const worker = await esbuild.build({
  ...common, entryPoints: {'qr-worker': path.join(src, 'qr-worker.js')}, format: 'iife',
  outdir: path.join(dist, 'assets'), entryNames: '[name]-[hash]',
  define: {__ZXING_WASM_URL__: JSON.stringify(`/${wasmName}`)},
});
const workerFile = outputFor(worker, 'qr-worker');

// 3. The app and its stylesheet.
const app = await esbuild.build({
  ...common, entryPoints: {app: path.join(src, 'main.js'), styles: path.join(src, 'styles.css')},
  format: 'esm', splitting: false, outdir: path.join(dist, 'assets'), entryNames: '[name]-[hash]',
  define: {__QR_WORKER_URL__: JSON.stringify(`/${workerFile}`)},
});
const appJs = outputFor(app, 'app', '.js');
const appCss = outputFor(app, 'styles', '.css');

// 4. index.html, the manifest, the icons.
const html = (await readFile(path.join(src, 'index.html'), 'utf8'))
  .replace('%APP_JS%', appJs).replace('%APP_CSS%', appCss);
await writeFile(path.join(dist, 'index.html'), html);
await buildIcons(new URL(`file://${src}/icons/`), new URL(`file://${dist}/icons/`));
const manifest = {
  id: '/',
  name: 'Sổ Sức Khỏe',
  short_name: 'Sổ Sức Khỏe',
  description: 'Hồ sơ tiêm chủng và mã QR cá nhân của bạn và gia đình.',
  lang: 'vi',
  dir: 'ltr',
  start_url: '/#/',
  scope: '/',
  display: 'standalone',
  orientation: 'portrait',
  background_color: '#f4f7f6',
  theme_color: '#0b5c50',
  categories: ['health', 'medical'],
  icons: [
    {src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any'},
    {src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any'},
    {src: '/icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable'},
    {src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable'},
  ],
};
await writeFile(path.join(dist, 'manifest.webmanifest'), JSON.stringify(manifest, null, 2));

// 5. The service worker: bundle workbox into it, then inject the precache manifest.
const swTmp = path.join(root, '.sw-build', 'sw.js');
await esbuild.build({
  ...common, metafile: false, sourcemap: false, entryPoints: [path.join(src, 'sw.js')], format: 'iife',
  outfile: swTmp, define: {__APP_VERSION__: JSON.stringify(pkg.version),
                           'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production')},
});
const {count, size, warnings} = await injectManifest({
  swSrc: swTmp,
  swDest: path.join(dist, 'sw.js'),
  globDirectory: dist,
  globPatterns: ['index.html', 'manifest.webmanifest', 'assets/*.{js,css,wasm}', 'icons/*.png'],
  // Hashed names are their own revision.
  dontCacheBustURLsMatching: /-[A-Za-z0-9]{8}\.(js|css|wasm)$/,
  maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
});
await rm(path.join(root, '.sw-build'), {recursive: true, force: true});

// The API's interactive docs page (/api/v1/docs) loads Swagger UI from our own origin, not a CDN.
const swaggerDir = path.join(dist, 'vendor', 'swagger-ui');
await mkdir(swaggerDir, {recursive: true});
for (const f of ['swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-ui.css']) {
  await copyFile(path.join(root, 'node_modules', 'swagger-ui-dist', f), path.join(swaggerDir, f));
}
warnings.forEach((w) => console.warn('workbox:', w));
console.log(`pwa/dist: ${appJs}, ${appCss}, ${workerFile}, ${wasmName}; sw.js precaches ${count} files (${(size / 1024).toFixed(0)} KiB)`);

function outputFor(result, name, ext = '.js') {
  const out = Object.keys(result.metafile.outputs)
    .find((f) => path.basename(f).startsWith(`${name}-`) && f.endsWith(ext));
  if (!out) throw new Error(`no output for ${name}`);
  return path.relative(dist, path.resolve(root, out)).split(path.sep).join('/');
}
