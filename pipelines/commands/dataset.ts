import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { InputError, formatDuration } from '../../src/index.ts';
import {
  builtinSpecPath,
  generateSyntheticDataset,
  loadSyntheticSpec,
  planDataset,
  readManifest,
  type Manifest,
} from '../../datasets/index.ts';
import { writeJsonLine } from '../output.ts';
import { positiveInt } from '../options.ts';
import { createCountProgress } from '../countProgress.ts';

function integer(name: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed))
      throw new InvalidArgumentError(`${name}: expected an integer, got "${value}"`);
    return parsed;
  };
}

/** A spec argument: a JSON file, or the name of a spec shipped in datasets/ ("synthetic-motion"). */
function resolveSpecPath(spec: string): string {
  if (existsSync(spec)) return spec;
  const builtin = builtinSpecPath(spec);
  if (existsSync(builtin)) return builtin;
  throw new InputError(
    `dataset generate: expected a spec JSON file or a shipped spec name (synthetic-motion, synthetic-charades), got "${spec}"`,
  );
}

/** Videos per split and per class, for `dataset inspect`. */
export function countManifest(manifest: Manifest): {
  splits: Record<string, number>;
  perClass: Record<string, Record<string, number>>;
  unlabelled: number;
} {
  const splits: Record<string, number> = {};
  const perClass: Record<string, Record<string, number>> = {};
  let unlabelled = 0;
  for (const item of manifest.items) {
    splits[item.split] = (splits[item.split] ?? 0) + 1;
    if (item.labels.length === 0) unlabelled++;
    for (const label of item.labels) {
      const name = manifest.classes[label];
      perClass[name] ??= {};
      perClass[name][item.split] = (perClass[name][item.split] ?? 0) + 1;
    }
  }
  return { splits, perClass, unlabelled };
}

function registerGenerate(dataset: Command): void {
  dataset
    .command('generate')
    .description(
      'generate a synthetic dataset (real H.264 videos + Kinetics/Charades CSV) from a spec',
    )
    .argument('<spec>', 'spec JSON file, or a shipped spec: synthetic-motion | synthetic-charades')
    .requiredOption('--out <dir>', 'output folder (videos, CSV, class file, generation.json)')
    .option('--seed <n>', "seed (default: the spec's)", integer('--seed'))
    .option('--concurrency <n>', 'videos encoded at once', positiveInt('--concurrency'), 2)
    .option('--json', 'end with one JSON object on the last line')
    .action(
      async (
        specArg: string,
        flags: { out: string; seed?: number; concurrency: number; json?: boolean },
      ) => {
        const specPath = resolveSpecPath(specArg);
        const spec = loadSyntheticSpec(specPath);
        const total = planDataset(spec, flags.seed).videos.length;
        const progress = createCountProgress({ label: 'generate', unit: 'videos', total });
        const summary = await generateSyntheticDataset(spec, {
          out: flags.out,
          seed: flags.seed,
          concurrency: flags.concurrency,
          onProgress: ({ done, file }) => progress.tick(done - progress.done, file),
        });
        progress.stop();
        const splitText = Object.entries(summary.splits)
          .map(([split, n]) => `${split} ${n}`)
          .join(', ');
        const lines = [
          `dataset     ${summary.name} (${summary.kind}, seed ${summary.seed}) from ${relative(process.cwd(), specPath) || specPath}`,
          `videos      ${summary.videos} (${summary.generated} generated, ${summary.skipped} cached) in ${formatDuration(summary.seconds)}`,
          `classes     ${summary.classes.length}: ${summary.classes.join(', ')}`,
          `splits      ${splitText}`,
          ...summary.manifests.map((path) => `manifest    ${path}`),
          `classes     ${summary.classesFile}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        if (flags.json) writeJsonLine(summary);
      },
    );
}

function registerInspect(dataset: Command): void {
  dataset
    .command('inspect')
    .description(
      'read a manifest (Kinetics CSV, Charades CSV, class folders, list) and count videos per class and split',
    )
    .argument('<manifest>', 'CSV, list file or folder')
    .option('--root <dir>', 'confine every path to this folder (default: beside the manifest)')
    .option('--classes <file>', 'class list file')
    .option('--split <name>', 'split for sources that do not state one')
    .option('--json', 'end with one JSON object on the last line')
    .action(
      (
        path: string,
        flags: { root?: string; classes?: string; split?: string; json?: boolean },
      ) => {
        const { manifest, reader, reason } = readManifest(path, {
          root: flags.root,
          classes: flags.classes,
          split: flags.split,
          missing: 'skip', // inspect lists rows without a video instead of failing on them
        });
        const counts = countManifest(manifest);
        const splitNames = Object.keys(counts.splits).sort();
        const width = Math.max(5, ...manifest.classes.map((name) => name.length));
        const lines = [
          `reader      ${reader} (${reason})`,
          `root        ${manifest.root}`,
          `videos      ${manifest.items.length} (${manifest.missing.length} rows without a video file, ${counts.unlabelled} unlabelled)`,
          `classes     ${manifest.classes.length}${manifest.multiLabel ? ', multi-label' : ''}`,
          ...manifest.notes.map((note) => `note        ${note}`),
          '',
          `${'class'.padEnd(width)}  ${splitNames.map((s) => s.padStart(6)).join(' ')}`,
          ...manifest.classes.map(
            (name) =>
              `${name.padEnd(width)}  ${splitNames.map((s) => String(counts.perClass[name]?.[s] ?? 0).padStart(6)).join(' ')}`,
          ),
          `${'total'.padEnd(width)}  ${splitNames.map((s) => String(counts.splits[s]).padStart(6)).join(' ')}`,
        ];
        if (manifest.missing.length)
          lines.push('', `missing (first 5): ${manifest.missing.slice(0, 5).join('; ')}`);
        process.stdout.write(`${lines.join('\n')}\n`);
        if (flags.json) {
          writeJsonLine({
            reader,
            root: manifest.root,
            videos: manifest.items.length,
            missing: manifest.missing.length,
            classes: manifest.classes,
            multiLabel: manifest.multiLabel,
            ...counts,
          });
        }
      },
    );
}

/** `assemblenet dataset generate|inspect`. */
export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('synthetic datasets and manifests');
  registerGenerate(dataset);
  registerInspect(dataset);
}
