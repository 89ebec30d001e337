/**
 * The README's report screenshots: opens each output folder's report.html from disk in Debian's
 * chromium (writing it first when the folder has none, e.g. a run's own report is kept with the
 * command and backend it records) and saves a PNG of the top of the page.
 *
 *   npx tsx pipelines/scripts/report-screenshots.ts --out docs/report NAME=FOLDER ...
 *   e.g. run=runs/demo evolve=runs/demo/evolve train=runs/demo/train-evolved
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium } from '../report/browser.ts';
import { writeReport } from '../report/index.ts';

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/report' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '1400' },
    rebuild: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const out = resolve(values.out!);
mkdirSync(out, { recursive: true });
const browser = await launchChromium();
try {
  for (const arg of positionals) {
    const [name, folder] = arg.includes('=') ? arg.split('=', 2) : [arg.split('/').at(-1)!, arg];
    const own = join(folder!, 'report.html');
    const html = existsSync(own) && !values.rebuild ? resolve(own) : await writeReport(folder!);
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: Number(values.width), height: Number(values.height) });
    await page.goto(pathToFileURL(html).href);
    const file = join(out, `${name}.png`);
    // The top of the page, down to --height pixels (shorter pages whole).
    const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
    await page.screenshot({
      path: file,
      fullPage: true,
      clip: {
        x: 0,
        y: 0,
        width: Number(values.width),
        height: Math.min(height, Number(values.height)),
      },
    });
    await page.close();
    process.stdout.write(`${file} (from ${html})\n`);
  }
} finally {
  await browser.close();
}
