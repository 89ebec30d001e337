/**
 * Every report kind opened from disk in a real browser (Debian's chromium via playwright-core):
 * no console error, no request but the page itself, and the picture matches the data it was
 * drawn from: one genome node per block and one edge per connection (with the learned weights,
 * read here straight from the checkpoint), one fitness mark per journal record, the Pareto marks
 * on exactly the non-dominated students, the confusion matrix of the classify rows.
 * The output folders come from one tiny `assemblenet run` (test/report/fixtures/tinyOutputs.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../datasets/index.ts';
import { readJournal } from '../../evolution/index.ts';
import { launchChromium, type Browser } from '../../pipelines/report/browser.ts';
import { writeReport } from '../../pipelines/report/index.ts';
import type { DistillJobResult } from '../../pipelines/jobs/distill.ts';
import { latestCheckpoint, loadCheckpoint, readGenome, selectBackend } from '../../src/index.ts';
import { buildTinyOutputs, CLI, type TinyOutputs } from './fixtures/tinyOutputs.ts';
import { runProcess } from '../fixtures/runProcess.ts';

const dir = mkdtempSync(join(tmpdir(), 'anet-report-browser-'));
let outputs: TinyOutputs;
let browser: Browser;
const reports: Record<string, string> = {};

beforeAll(async () => {
  await selectBackend('wasm');
  outputs = await buildTinyOutputs(dir);
  reports.run = join(outputs.run, 'report.html'); // written by `assemblenet run`
  const cli = await runProcess(process.execPath, [
    CLI,
    'report',
    outputs.evolve,
    '--out',
    join(dir, 'evolve.html'),
  ]);
  expect(cli.status, cli.stderr).toBe(0);
  expect(cli.stdout).toBe(`report: ${join(dir, 'evolve.html')}\n`);
  reports.evolve = join(dir, 'evolve.html');
  reports.train = await writeReport(outputs.train);
  reports.eval = await writeReport(outputs.eval);
  reports.distill = await writeReport(outputs.distill);
  browser = await launchChromium();
}, 900_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a report from disk; fails on any console error, page error or request but the page's own. */
async function open(file: string, check: (page: Page) => Promise<void>): Promise<void> {
  const page = await browser.context.newPage();
  const url = pathToFileURL(file).href;
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  try {
    await page.goto(url, { waitUntil: 'load' });
    await check(page);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
  } finally {
    await page.close();
  }
}

const labels = (page: Page, selector: string) =>
  page.$$eval(selector, (nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? ''));

/** "key: value; key: value" (Vega's aria-label of a mark) -> value of `key`. */
function field(label: string, key: string): string {
  return new RegExp(`(?:^|; )${key}: ([^;]*)`).exec(label)?.[1] ?? '';
}

function edgesOf(genome: { nodes: ({ inputs: number[] } | object)[] }): string[] {
  return genome.nodes
    .flatMap((node, to) => ('inputs' in node ? node.inputs.map((from) => `${from}-${to}`) : []))
    .sort();
}

async function graph(page: Page, id: string) {
  return {
    nodes: await page.$$eval(`svg#${id} g.node`, (nodes) =>
      nodes.map((n) => Number(n.getAttribute('data-node'))),
    ),
    edges: (
      await page.$$eval(`svg#${id} path.edge`, (paths) =>
        paths.map((p) => `${p.getAttribute('data-from')}-${p.getAttribute('data-to')}`),
      )
    ).sort(),
    pruned: (
      await page.$$eval(`svg#${id} path.edge.pruned`, (paths) =>
        paths.map((p) => `${p.getAttribute('data-from')}-${p.getAttribute('data-to')}`),
      )
    ).sort(),
    weights: await page.$$eval(`svg#${id} path.edge`, (paths) =>
      Object.fromEntries(
        paths.map((p) => [
          `${p.getAttribute('data-from')}-${p.getAttribute('data-to')}`,
          Number(p.getAttribute('data-weight')),
        ]),
      ),
    ),
  };
}

describe('reports in chromium', () => {
  it('run: `assemblenet run` printed the path of its report; models, evolution, training, per-class and distillation sections', async () => {
    expect(outputs.stdout).toContain(`report: ${reports.run}\n`);
    expect(existsSync(reports.run)).toBe(true);
    await open(reports.run, async (page) => {
      const header = await page.textContent('header');
      expect(header).toContain('assemblenet run');
      expect(header).toContain('wasm');
      const models = await labels(page, '.models .models_marks path');
      expect(models.map((l) => field(l, 'model'))).toEqual(
        outputs.result.models.map((m) => m.name),
      );
      expect(await page.$$('section.evolve')).toHaveLength(1);
      expect(await page.$$('section.train')).toHaveLength(outputs.result.models.length);
      expect(await page.$$('section.distill')).toHaveLength(1);
      // The confusion matrix against the classify rows and the manifest's labels, counted here.
      const { manifest } = readManifest(outputs.result.manifest!);
      const truth = new Map(
        manifest.items.map((item) => [item.id, manifest.classes[item.labels[0]!]!]),
      );
      const expected = new Map<string, number>();
      for (const line of readFileSync(join(outputs.run, 'classify-evolved.jsonl'), 'utf8')
        .trim()
        .split('\n')) {
        const row = JSON.parse(line) as { id: string; scores: number[] };
        const predicted = manifest.classes[row.scores.indexOf(Math.max(...row.scores))]!;
        const key = `${truth.get(row.id)}>${predicted}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      const cells = await labels(page, '.confusion .mark-rect.role-mark path');
      expect(cells).toHaveLength(manifest.classes.length ** 2);
      const drawn = new Map(
        cells.map((l) => [
          `${field(l, 'true class')}>${field(l, 'predicted')}`,
          Number(field(l, 'videos')),
        ]),
      );
      for (const t of manifest.classes)
        for (const p of manifest.classes)
          expect(drawn.get(`${t}>${p}`)).toBe(expected.get(`${t}>${p}`) ?? 0);
    });
  });

  it('evolve: one fitness mark per journal record, lineage segments, the best genome node for node', async () => {
    const { header, evaluations } = readJournal(join(outputs.evolve, 'journal.jsonl'));
    await open(reports.evolve, async (page) => {
      const marks = await labels(page, '.fitness .evaluations_marks path');
      expect(marks.map((l) => Number(field(l, 'index')))).toEqual(evaluations.map((r) => r.index));
      expect(await page.$$('.fitness .lineage_marks line')).toHaveLength(
        evaluations.filter((r) => r.parent !== null).length,
      );
      const best = evaluations
        .filter((r) => r.status === 'ok')
        .reduce((a, b) => (b.fitness! > a.fitness! ? b : a));
      const drawn = await graph(page, 'genome-best');
      expect(drawn.nodes).toEqual(best.genome.nodes.map((_, i) => i));
      expect(drawn.edges).toEqual(edgesOf(best.genome));
      const threshold = Number(header!.settings.pruneThreshold);
      const below = best.genome.nodes.flatMap((node, to) =>
        'inputs' in node && node.inputs.length > 1
          ? node.inputs
              .filter((_, k) => best.connectionWeights![to]![k]! < threshold)
              .map((from) => `${from}-${to}`)
          : [],
      );
      expect(drawn.pruned).toEqual(below.sort());
      const reference = readGenome(
        join(import.meta.dirname, '../../evolution/assemblenet-50.json'),
      );
      const anet = await graph(page, 'genome-assemblenet50');
      expect(anet.nodes).toHaveLength(reference.nodes.length);
      expect(anet.edges).toEqual(edgesOf(reference));
      if (best.parent !== null) {
        const parent = evaluations.find((r) => r.index === best.parent)!;
        expect((await graph(page, 'genome-parent')).edges).toEqual(edgesOf(parent.genome));
      }
    });
  });

  it('train: one epoch mark per epoch record, the genome with the weights stored in the checkpoint', async () => {
    const records = readFileSync(join(outputs.train, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; loss: number });
    const genome = readGenome(join(outputs.train, 'genome.json'));
    // Learned sigmoid weights, decoded here from weights.bin without building the network.
    const checkpoint = await loadCheckpoint(
      (await latestCheckpoint(join(outputs.train, 'checkpoints')))!,
    );
    const learned = new Map<string, number>();
    genome.nodes.forEach((node, to) => {
      if (!('inputs' in node) || node.inputs.length < 2) return;
      const raw = checkpoint.weights[`node${to}/fusion/edge_weights`]!.dataSync();
      node.inputs.forEach((from, k) => learned.set(`${from}-${to}`, 1 / (1 + Math.exp(-raw[k]!))));
    });
    checkpoint.dispose();
    expect(learned.size).toBeGreaterThan(0);
    await open(reports.train, async (page) => {
      const epochs = await labels(page, '.curve-loss .epochs_loss_marks path');
      expect(epochs).toHaveLength(records.filter((r) => r.kind === 'epoch').length);
      const steps = await page.$$('.curve-loss .steps_loss_marks path');
      expect(steps).toHaveLength(1);
      const svg = await page.$eval('svg.genome-graph', (node) => node.id);
      const drawn = await graph(page, svg);
      expect(drawn.nodes).toEqual(genome.nodes.map((_, i) => i));
      expect(drawn.edges).toEqual(edgesOf(genome));
      for (const [edge, weight] of learned) expect(drawn.weights[edge]).toBeCloseTo(weight, 3);
    });
  });

  it('eval: the metrics of eval-test.json as table and bars', async () => {
    const summary = JSON.parse(readFileSync(join(outputs.eval, 'eval-test.json'), 'utf8')) as {
      top1: number;
    };
    await open(reports.eval, async (page) => {
      expect(await page.$$('table.eval tbody tr')).toHaveLength(1);
      const bars = await labels(page, '.eval-metrics .eval_bars_marks path');
      expect(bars.map((l) => field(l, 'metric'))).toEqual(['top-1', 'top-5', 'mean class acc']);
      expect(await page.textContent('table.eval')).toContain(`${(100 * summary.top1).toFixed(1)}%`);
    });
  });

  it('distill: Pareto marks on exactly the non-dominated students, every candidate, the chosen one', async () => {
    const result = JSON.parse(
      readFileSync(join(outputs.distill, 'distill.json'), 'utf8'),
    ) as DistillJobResult;
    const front = result.records
      .filter(
        (p) =>
          !result.records.some(
            (q) =>
              q.accuracy >= p.accuracy &&
              q.latencyMs <= p.latencyMs &&
              (q.accuracy > p.accuracy || q.latencyMs < p.latencyMs),
          ),
      )
      .map((r) => r.arch.name);
    await open(reports.distill, async (page) => {
      const candidates = await labels(page, '.pareto .candidates_marks path');
      expect(candidates.map((l) => field(l, 'name'))).toEqual(
        result.records.map((r) => r.arch.name),
      );
      const pareto = await labels(page, '.pareto .pareto_marks path');
      expect(pareto.map((l) => field(l, 'name')).sort()).toEqual(front.sort());
      expect(pareto.map((l) => field(l, 'name')).sort()).toEqual(
        result.pareto.map((r) => r.arch.name).sort(),
      );
      expect(
        (await labels(page, '.pareto .chosen_marks path')).map((l) => field(l, 'name')),
      ).toEqual([result.chosen.arch.name]);
      expect(await page.$$('.pareto .target_marks line')).toHaveLength(2); // target and teacher
    });
  });
});
