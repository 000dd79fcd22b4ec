// Draws the PNG icons from the SVG sources (src/icons/*.svg) with resvg: no binary images in git.
import {readFile, writeFile, mkdir} from 'node:fs/promises';
import {Resvg} from '@resvg/resvg-js';

const render = (svg, size) => new Resvg(svg, {fitTo: {mode: 'width', value: size}}).render().asPng();

/** Write icon-192/512, maskable-192/512 and apple-touch-icon (180) into `outDir`. */
export async function buildIcons(srcDir, outDir) {
  await mkdir(outDir, {recursive: true});
  const any = await readFile(new URL('icon.svg', srcDir));
  const maskable = await readFile(new URL('maskable.svg', srcDir));
  const jobs = [
    ['icon-192.png', any, 192], ['icon-512.png', any, 512],
    ['maskable-192.png', maskable, 192], ['maskable-512.png', maskable, 512],
    ['apple-touch-icon.png', maskable, 180],
  ];
  await Promise.all(jobs.map(([name, svg, size]) => writeFile(new URL(name, outDir), render(svg, size))));
  return jobs.map(([name]) => name);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = new URL('../', import.meta.url);
  const names = await buildIcons(new URL('src/icons/', root), new URL('dist/icons/', root));
  console.log('icons:', names.join(', '));
}
