/**
 * Do the learned connection weights of a proxy-trained candidate say which connections matter?
 * The test behind guided evolution, without retraining: for every input of every multi-input
 * block of a trained candidate, set that connection's weight to 0 (its logit to -30), score the
 * val split, and put it back. An input whose removal costs much matters; guided pruning assumes
 * those are the ones with high learned weights. Reported: the change in val cross-entropy and
 * top-1 per connection, and the Spearman correlation between learned weight and loss increase
 * (per candidate and pooled), and the mean loss increase of the connections the guided rule
 * would drop (weight < 0.5, not the block's strongest) against those it keeps.
 *
 *   node --import tsx pipelines/experiments/edge-ablation.ts \
 *     --dataset runs/streams/dataset/synthetic-streams-proxy25.csv \
 *     --candidates runs/exp-search/guided-s1/candidates/candidate-0,... \
 *     --json docs/results/edge-ablation.json
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readManifest } from '../../datasets/index.ts';
import { ClipPool, defaultCacheDir, selectBackend, tf } from '../../src/index.ts';
import { loadNetworkFromCheckpoint } from '../../src/networks/checkpointNetwork.ts';
import { sampleSd, spearman } from '../../src/util/stats.ts';
import { runEvalJob } from '../jobs/eval.ts';
import { mean, parseList, readJson, writeJsonAtomic } from './common.ts';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string' },
    candidates: { type: 'string' },
    split: { type: 'string', default: 'val' },
    json: { type: 'string' },
    // recompute the summary from --json's connections (after a change to the summary)
    resummarize: { type: 'boolean', default: false },
  },
});
if (!values.resummarize && !values.dataset)
  throw new Error('edge-ablation: expected --dataset MANIFEST (with the split)');
if (!values.resummarize && !values.candidates)
  throw new Error('edge-ablation: expected --candidates DIR,DIR,...');
if (!values.json) throw new Error('edge-ablation: expected --json docs/results/NAME.json');

/** A connection's logit when ablated: sigmoid(-30) < 1e-13. */
const ABLATED_LOGIT = -30;
const GUIDED_THRESHOLD = 0.5;

interface EdgeResult {
  candidate: string;
  variable: string;
  input: number;
  weight: number;
  /** Dropped by the guided rule (below the threshold and not the block's strongest). */
  guidedDrops: boolean;
  lossIncrease: number;
  top1Change: number;
}

interface CandidateResult {
  candidate: string;
  base: { loss: number; top1: number };
  spearman: number;
}

/** Ablates every connection of every candidate, one at a time. */
async function ablate(): Promise<{ results: EdgeResult[]; perCandidate: CandidateResult[] }> {
  await selectBackend('wasm', { threads: 1 });
  const { manifest } = readManifest(values.dataset!);
  const labelOf = new Map(manifest.items.map((item) => [item.id, item.labels[0]!]));
  const pool = new ClipPool({ workers: 1 });
  const cacheDir = defaultCacheDir();
  const results: EdgeResult[] = [];
  const perCandidate: CandidateResult[] = [];
  try {
    for (const candidate of parseList(values.candidates!, '--candidates')) {
      const model = await loadNetworkFromCheckpoint(join(candidate, 'checkpoints'));
      try {
        const score = async () => {
          const run = await runEvalJob({
            checkpoint: model,
            manifest,
            split: values.split!,
            cacheDir,
            pool,
            out: false,
            progress: false,
            log: () => {},
          });
          const losses = [...run.scores].map(
            ([id, scores]) => -Math.log(Math.max(scores[labelOf.get(id)!]!, 1e-7)),
          );
          return { loss: mean(losses), top1: run.top1! };
        };
        const base = await score();
        const mine: EdgeResult[] = [];
        for (const [name, variable] of model.network.variables) {
          if (!name.endsWith('/edge_weights')) continue;
          const logits = Array.from(variable.dataSync());
          const weights = logits.map((v) => 1 / (1 + Math.exp(-v)));
          const strongest = weights.indexOf(Math.max(...weights));
          for (let input = 0; input < logits.length; input++) {
            const ablated = logits.map((v, i) => (i === input ? ABLATED_LOGIT : v));
            variable.assign(tf.tensor1d(ablated));
            const scored = await score();
            variable.assign(tf.tensor1d(logits));
            mine.push({
              candidate,
              variable: name,
              input,
              weight: weights[input]!,
              guidedDrops: input !== strongest && weights[input]! < GUIDED_THRESHOLD,
              lossIncrease: scored.loss - base.loss,
              top1Change: scored.top1 - base.top1,
            });
          }
        }
        const correlation = spearman(
          mine.map((e) => e.weight),
          mine.map((e) => e.lossIncrease),
        );
        perCandidate.push({ candidate, base, spearman: correlation });
        results.push(...mine);
        process.stderr.write(
          `${candidate}: base loss ${base.loss.toFixed(3)}, top-1 ${(100 * base.top1).toFixed(1)}%, ${mine.length} connections, spearman(weight, loss increase) ${correlation.toFixed(2)}\n`,
        );
      } finally {
        model.network.dispose();
      }
    }
  } finally {
    await pool.destroy();
  }
  return { results, perCandidate };
}

/**
 * Pooled numbers. Per block, the guided rule's drops are also compared with what plain
 * evolution's random drops of the same count would remove on average (the block's mean over all
 * of its inputs): `guidedMinusRandom` < 0 means guided removes connections that matter less;
 * `guidedMinusRandomPerCandidate` averages it within each genome first.
 */
function summarize(connections: EdgeResult[]) {
  const dropped = connections.filter((e) => e.guidedDrops);
  const kept = connections.filter((e) => !e.guidedDrops);
  const blocks = new Map<string, EdgeResult[]>();
  for (const e of connections) {
    const key = `${e.candidate}#${e.variable}`;
    blocks.set(key, [...(blocks.get(key) ?? []), e]);
  }
  const withDrops = [...blocks.values()].filter((inputs) => inputs.some((e) => e.guidedDrops));
  const differenceOf = (inputs: EdgeResult[]) =>
    mean(inputs.filter((e) => e.guidedDrops).map((e) => e.lossIncrease)) -
    mean(inputs.map((e) => e.lossIncrease));
  const perBlock = withDrops.map(differenceOf);
  // the blocks of one genome are not independent: the genome is the conservative unit
  const byCandidate = new Map<string, number[]>();
  for (const inputs of withDrops) {
    const candidate = inputs[0]!.candidate;
    byCandidate.set(candidate, [...(byCandidate.get(candidate) ?? []), differenceOf(inputs)]);
  }
  const perCandidate = [...byCandidate.values()].map((differences) => mean(differences));
  return {
    connections: connections.length,
    spearmanPooled: spearman(
      connections.map((e) => e.weight),
      connections.map((e) => e.lossIncrease),
    ),
    guidedDrops: {
      count: dropped.length,
      meanLossIncrease: mean(dropped.map((e) => e.lossIncrease)),
    },
    guidedKeeps: { count: kept.length, meanLossIncrease: mean(kept.map((e) => e.lossIncrease)) },
    blocksWithDrops: perBlock.length,
    guidedMinusRandom: { mean: mean(perBlock), sd: sampleSd(perBlock) },
    blocksWhereGuidedDropsLess: perBlock.filter((d) => d < 0).length,
    guidedMinusRandomPerCandidate: {
      candidates: perCandidate.length,
      mean: mean(perCandidate),
      sd: sampleSd(perCandidate),
      below0: perCandidate.filter((d) => d < 0).length,
    },
  };
}

/** The connections of an earlier run (--resummarize), or a new ablation. */
async function connections(): Promise<{
  results: EdgeResult[];
  perCandidate: CandidateResult[];
  command: string;
}> {
  const command = `node --import tsx pipelines/experiments/edge-ablation.ts ${process.argv.slice(2).join(' ')}`;
  if (!values.resummarize) return { ...(await ablate()), command };
  const old = readJson<{
    connections: EdgeResult[];
    perCandidate: CandidateResult[];
    command: string;
  }>(values.json!);
  return { results: old.connections, perCandidate: old.perCandidate, command: old.command };
}

const { results, perCandidate, command } = await connections();
const summary = {
  ...summarize(results),
  spearmanPerCandidateMean: mean(perCandidate.map((c) => c.spearman)),
};
writeJsonAtomic(values.json, {
  experiment: 'edge-ablation',
  command,
  split: values.split,
  summary,
  perCandidate,
  connections: results,
});
process.stdout.write(`${JSON.stringify(summary)}\n`);
