#!/usr/bin/env node
// `npm run bench -- NAME [--json] [...]`: runs bench/NAME.ts (TypeScript through tsx).
// Each benchmark measures the project and its baseline in the same run and prints the ratio;
// with --json its last line is one JSON object (bench, ratio, project_ms, baseline_ms, baseline, shapes).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(
    `bench: expected one of ${available.join(', ') || '(none yet)'}, got ${name ?? 'nothing'}\n`,
  );
  process.exit(2);
}
register();
const bench = await import(join(here, `${name}.ts`));
await bench.main(rest);
