/**
 * The evolution job: cache the clips once, then run the connectivity search with every
 * candidate proxy-trained in its own process (one per worker), journaled for --resume.
 *
 *   out/journal.jsonl            header + one line per finished evaluation
 *   out/candidates/candidate-N/  each candidate's proxy run (checkpoints, metrics.jsonl, eval.json);
 *                                with settings.proxySeeds K > 1: seed-k/ per training and
 *                                seed-k.json (its outcome, reused when a killed search resumes)
 *                                (with reuseFrom: a copy of the search whose evaluation it took over)
 *   out/weights/N/               with settings.inheritWeights: candidate N's trained weights, which
 *                                its children start from (model.json + weights.bin)
 *   out/best-genome.json         the best genome (JSON) and out/best-genome.official.json (flat list)
 *   out/summary.json             best, final population, counts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ClipPool,
  InputError,
  genomeToJSON,
  runInChildProcess,
  toOfficial,
  type Genome,
} from '../../src/index.ts';
import { readManifest } from '../../datasets/index.ts';
import {
  evaluateOverSeeds,
  fileSeedOutcomeStore,
  runSearch,
  type Candidate,
  type EvaluationRecord,
  type SearchProgress,
  type SearchResult,
  type SearchSettings,
  type SearchSpace,
} from '../../evolution/index.ts';
import type { CandidateRequest, CandidateResult } from '../evolve/candidateTask.ts';
import { candidateWeightsDir } from '../evolve/inheritWeights.ts';
import { reusingEvaluator } from '../evolve/reuse.ts';
import { createCountProgress } from '../countProgress.ts';
import { templateFor, type RunConfig } from '../../src/networks/runConfig.ts';
import { prepareClips } from './train.ts';

/** Proxy-training defaults of a candidate: short, so a search fits in minutes on 2 cores. */
export const PROXY_DEFAULTS: Partial<RunConfig> = { epochs: 3, testClips: 1 };

const CANDIDATE_TASK = new URL('../evolve/candidateTask.ts', import.meta.url);

export interface EvolveJobInput {
  space: SearchSpace;
  manifest: string;
  classes?: string;
  /** Proxy training of every candidate. */
  config: RunConfig;
  settings: SearchSettings;
  out: string;
  workers: number;
  cacheDir: string;
  resume: boolean;
  /**
   * Output folders of other searches (same manifest) whose finished evaluations of the same
   * random genomes this search takes over instead of training them again (evolve/reuse.ts).
   */
  reuseFrom?: string[];
  /** redis:// URL: candidates are trained by queue workers (pipelines/queue), not here. */
  queue?: string;
  signal?: AbortSignal;
  progress?: boolean;
  log?: (line: string) => void;
}

export interface EvolveJobResult extends SearchResult {
  bestGenome: Genome;
  bestFile: string;
}

/** A genome using every stem of the space: its clips are the union every candidate needs. */
function spaceProbeGenome(space: SearchSpace): Genome {
  return {
    name: 'space-stems',
    modulesPerLevel: [...space.modulesPerLevel],
    fusion: space.fusion,
    nodes: [
      ...space.stems.map((stem) => ({ ...stem })),
      { level: 3, inputs: space.stems.map((_, i) => i), filters: 1, dilation: 1, stride: 1 },
    ],
  };
}

function inheritRequest(
  out: string,
  candidate: Candidate,
): NonNullable<CandidateRequest['inherit']> {
  const parent = candidate.parent;
  return {
    index: candidate.index,
    keys: candidate.keys,
    parent: parent
      ? {
          index: parent.index,
          genome: parent.genome,
          keys: parent.keys,
          dir: candidateWeightsDir(out, parent.index),
        }
      : null,
    saveTo: candidateWeightsDir(out, candidate.index),
  };
}

export async function runEvolveJob(input: EvolveJobInput): Promise<EvolveJobResult> {
  const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const out = resolve(input.out);
  mkdirSync(join(out, 'candidates'), { recursive: true });
  const { manifest } = readManifest(
    input.manifest,
    input.classes ? { classes: input.classes } : {},
  );
  const evalSplit = manifest.items.some((item) => item.split === 'val') ? 'val' : undefined;
  if (!evalSplit)
    throw new InputError(
      `evolve: expected a val split in ${input.manifest} to score candidates on, got none`,
    );

  // Clips for every candidate, computed once here, read from the cache by the candidates.
  const rows = manifest.items.filter((item) => item.split === 'train' || item.split === evalSplit);
  const pool = new ClipPool({ workers: input.workers });
  let failures: Map<string, string>;
  try {
    failures = await prepareClips(
      rows,
      templateFor(spaceProbeGenome(input.space), input.config, input.cacheDir),
      input.config,
      pool,
      input.signal,
    );
    for (const [id, reason] of failures)
      log(`evolve: video ${id} cannot be decoded and is left out: ${reason}`);
  } finally {
    await pool.destroy();
  }

  const bar =
    input.progress === false
      ? undefined
      : createCountProgress({ label: 'evolve', unit: 'evaluations', total: input.settings.budget });
  const request = (candidate: Candidate): CandidateRequest => ({
    genome: candidate.genome,
    manifest: resolve(input.manifest),
    ...(input.classes ? { classes: resolve(input.classes) } : {}),
    config: input.config,
    cacheDir: resolve(input.cacheDir),
    out: join(out, 'candidates', `candidate-${candidate.index}`),
    evalSplit,
    failed: [...failures.keys()],
    ...(input.settings.inheritWeights ? { inherit: inheritRequest(out, candidate) } : {}),
  });
  const proxySeeds = input.settings.proxySeeds ?? 1;
  if (input.queue && proxySeeds > 1)
    throw new InputError(
      'evolve: expected --proxy-seeds 1 with --queue (several seeds run locally only)',
    );
  // after every check that can throw: an open queue connection keeps the process alive
  const coordinator = input.queue
    ? new (await import('../queue/coordinator.ts')).Coordinator({ url: input.queue, log })
    : undefined;
  const trained = coordinator
    ? (await import('../queue/evolve.ts')).queueCandidateEvaluator(coordinator, out, request)
    : evaluateOverSeeds(
        (candidate, seed, signal) =>
          runInChildProcess<CandidateRequest, CandidateResult>(
            CANDIDATE_TASK,
            seededRequest(request(candidate), seed, proxySeeds),
            {
              signal,
              label:
                proxySeeds > 1
                  ? `candidate ${candidate.index} seed ${seed}`
                  : `candidate ${candidate.index}`,
            },
          ),
        proxySeeds,
        proxySeeds > 1 ? fileSeedOutcomeStore((candidate) => request(candidate).out) : undefined,
      );
  const evaluate = input.reuseFrom?.length
    ? reusingEvaluator(
        trained,
        input.reuseFrom.map((folder) => resolve(folder)),
        { settings: input.settings, config: input.config },
        (candidate) => request(candidate).out,
        input.settings.inheritWeights
          ? (candidate) => candidateWeightsDir(out, candidate.index)
          : undefined,
      )
    : trained;
  let result: SearchResult;
  try {
    result = await runSearch({
      space: input.space,
      settings: input.settings,
      journalFile: join(out, 'journal.jsonl'),
      resume: input.resume,
      // through the queue, a whole batch is in flight: the workers decide how many run at once
      workers: coordinator
        ? Math.max(input.settings.populationSize, input.settings.batchSize)
        : input.workers,
      evaluate,
      ...(input.signal ? { signal: input.signal } : {}),
      onEvaluation: (progress: SearchProgress) => {
        const last = progress.last;
        const best = progress.best?.fitness ?? null;
        bar?.tick(
          1,
          `#${last.index} ${last.status === 'ok' ? `fitness ${last.fitness?.toFixed(3)}` : `failed`}, best ${best === null ? '-' : best.toFixed(3)}`,
        );
        if (last.status === 'failed') log(`evolve: candidate ${last.index} failed: ${last.error}`);
        if (last.inheritance?.skipped)
          log(`evolve: candidate ${last.index} trained from scratch: ${last.inheritance.skipped}`);
      },
    });
  } finally {
    bar?.stop();
    await coordinator?.close();
  }
  const best = result.best;
  if (!best || best.status !== 'ok')
    throw new InputError('evolve: expected at least one candidate to train successfully, got none');
  const bestGenome = {
    ...best.genome,
    name: `evolved-${input.settings.strategy}-seed${input.settings.seed}`,
  };
  const bestFile = join(out, 'best-genome.json');
  writeFileSync(bestFile, `${JSON.stringify(genomeToJSON(bestGenome), null, 2)}\n`);
  writeFileSync(
    join(out, 'best-genome.official.json'),
    `${JSON.stringify(toOfficial(bestGenome))}\n`,
  );
  writeFileSync(
    join(out, 'summary.json'),
    `${JSON.stringify({ best: summarizeRecord(best), population: result.population.map(summarizeRecord), evaluations: result.evaluations.length, failed: result.evaluations.filter((r) => r.status === 'failed').length }, null, 2)}\n`,
  );
  return { ...result, bestGenome, bestFile };
}

/**
 * Training seed k of K: the run's seed + k, in its own folder under the candidate's; every seed
 * starts from the parent's weights, and the first seed's trained weights are the ones kept for
 * the children. With K = 1 the request is unchanged.
 */
function seededRequest(base: CandidateRequest, seed: number, seeds: number): CandidateRequest {
  if (seeds === 1) return base;
  const dir = join(base.out, `seed-${seed}`);
  return {
    ...base,
    config: { ...base.config, seed: base.config.seed + seed },
    out: dir,
    ...(base.inherit && seed > 0
      ? { inherit: { ...base.inherit, saveTo: join(dir, 'weights') } }
      : {}),
  };
}

export function summarizeRecord(record: EvaluationRecord) {
  return {
    index: record.index,
    parent: record.parent,
    mutation: record.mutation.join(', '),
    ...(record.inheritance
      ? { inherited: `${record.inheritance.copiedValues}/${record.inheritance.totalValues}` }
      : {}),
    status: record.status,
    fitness: record.fitness,
    ...(record.seedFitness ? { seedFitness: record.seedFitness } : {}),
    nodes: record.genome.nodes.length,
    edges: record.genome.nodes.reduce(
      (sum, node) => sum + ('inputs' in node ? node.inputs.length : 0),
      0,
    ),
    seconds: Math.round(record.seconds),
  };
}
