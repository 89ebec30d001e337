import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAssembleNet,
  createStudent,
  genomeToJSON,
  parseStudent,
  selectBackend,
  tf,
  type Genome,
  type NetworkOptions,
} from '../../src/index.ts';
import {
  checkpointNetworkKinds,
  loadNetworkFromCheckpoint,
  type StoredRunOptions,
} from '../../src/networks/checkpointNetwork.ts';
import { clipTemplate } from '../../src/data/clipBatches.ts';
import { saveTrainingCheckpoint, type NamedVariables } from '../../src/train/checkpoint.ts';
import { parseRunConfig, templateFor } from '../../src/networks/runConfig.ts';
import { Rng } from '../../src/util/random.ts';
import { TINY_RGB_GENOME } from '../pipelines/fixtures/tinyRun.ts';

// Checkpoints written through the library's own saveTrainingCheckpoint, with weights moved away
// from their seeded initial values, so a network that was rebuilt but not restored fails.
const GENOME: Genome = TINY_RGB_GENOME;
const CONFIG = parseRunConfig({ frames: 2, size: 16, width: 0.125, fps: 8 });
const CLASSES = ['left', 'right', 'spin'];
const NETWORK: NetworkOptions = {
  numClasses: CLASSES.length,
  frames: CONFIG.frames,
  widthMultiplier: CONFIG.width,
  modulesPerLevel: CONFIG.modules,
  temporalModules: 'even',
  norm: { momentum: CONFIG.bnMomentum },
  seed: CONFIG.seed,
};
const STUDENT = {
  name: 'registry-student',
  frames: 2,
  resolution: 16,
  stem: { filters: 8 },
  stages: [{ repeats: 1, filters: 8, stride: 2, expand: 2, kernels: [3], temporalKernel: 3 }],
};

const dir = mkdtempSync(join(tmpdir(), 'anet-ckpt-network-'));
const cacheDir = join(dir, 'cache');

/** Shifts every weight by a distinct amount and returns the values written. */
function perturb(variables: ReadonlyMap<string, tf.Variable>): Map<string, number[]> {
  const written = new Map<string, number[]>();
  let index = 0;
  for (const [name, variable] of variables) {
    index += 1;
    variable.assign(tf.tidy(() => tf.add(variable, 0.25 + index / 1000)));
    written.set(name, Array.from(variable.dataSync()));
  }
  return written;
}

async function save(
  out: string,
  variables: NamedVariables,
  meta: { genome?: unknown; options: unknown; classes: string[] },
): Promise<string> {
  const optimizer = tf.train.sgd(0.1);
  try {
    return await saveTrainingCheckpoint(join(out, 'checkpoints'), {
      variables,
      optimizer,
      progress: {
        step: 3,
        epoch: 1,
        batchInEpoch: 0,
        rng: Rng.fromSeed(1).state(),
        epochSeed: null,
        epochTotals: { steps: 0, lossSum: 0, metricSum: 0, examples: 0 },
        epochs: [],
        lastStep: null,
      },
      schedule: { kind: 'constant', lr: 0.1 },
      meta,
    });
  } finally {
    optimizer.dispose();
  }
}

let assembleWeights: Map<string, number[]>;
let assembleCheckpoint: string;
let studentWeights: Map<string, number[]>;

beforeAll(async () => {
  await selectBackend('cpu');
  const network = createAssembleNet(GENOME, NETWORK);
  try {
    assembleWeights = perturb(network.variables);
    const stored: StoredRunOptions = { network: NETWORK, config: CONFIG, streams: ['rgb'] };
    assembleCheckpoint = await save(join(dir, 'assemblenet'), network.variables, {
      genome: genomeToJSON(GENOME),
      options: stored,
      classes: CLASSES,
    });
  } finally {
    network.dispose();
  }
  const student = createStudent(parseStudent(STUDENT), { numClasses: 3, seed: 5 });
  try {
    studentWeights = perturb(student.variables);
    await save(join(dir, 'student'), student.variables, {
      options: {
        kind: 'student',
        arch: STUDENT,
        network: { ...NETWORK, seed: 5 },
        config: CONFIG,
        streams: ['rgb'],
      },
      classes: CLASSES,
    });
  } finally {
    student.dispose();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectWeights(
  variables: ReadonlyMap<string, tf.Variable>,
  expected: Map<string, number[]>,
): void {
  expect([...variables.keys()]).toEqual([...expected.keys()]);
  for (const [name, values] of expected) {
    expect(Array.from(variables.get(name)!.dataSync()), name).toEqual(values);
  }
}

describe('loadNetworkFromCheckpoint', () => {
  it('knows the assemblenet and student kinds', () => {
    expect(checkpointNetworkKinds()).toEqual(['assemblenet', 'student']);
  });

  it('rebuilds an AssembleNet from a run folder and restores its saved weights', async () => {
    const loaded = await loadNetworkFromCheckpoint(join(dir, 'assemblenet'));
    try {
      expect(loaded.kind).toBe('assemblenet');
      expect(loaded.classes).toEqual(CLASSES);
      expect(loaded.streams).toEqual(['rgb']);
      expect(loaded.step).toBe(3);
      expect(loaded.checkpointPath).toBe(assembleCheckpoint);
      expect(loaded.checkpointRoot).toBe(join(dir, 'assemblenet', 'checkpoints'));
      expect(loaded.config).toEqual(CONFIG);
      expect(loaded.genome?.name).toBe(GENOME.name);
      expect(loaded.template(cacheDir)).toEqual(templateFor(GENOME, CONFIG, cacheDir));
      expectWeights(loaded.network.variables, assembleWeights);
    } finally {
      loaded.network.dispose();
    }
  });

  it('rebuilds a student (options.kind "student") with its arch clip shape and weights', async () => {
    const loaded = await loadNetworkFromCheckpoint(join(dir, 'student', 'checkpoints'));
    try {
      expect(loaded.kind).toBe('student');
      expect(loaded.genome).toBeUndefined();
      expect(loaded.streams).toEqual(['rgb']);
      expect(loaded.template(cacheDir)).toEqual(
        clipTemplate({
          streams: ['rgb'],
          frames: 2,
          size: 16,
          fps: 8,
          flow: CONFIG.flow,
          flowBound: CONFIG.flowBound,
          cacheDir,
        }),
      );
      expectWeights(loaded.network.variables, studentWeights);
    } finally {
      loaded.network.dispose();
    }
  });

  it('says clearly when a folder is not a checkpoint or its options are wrong', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    await expect(loadNetworkFromCheckpoint(empty)).rejects.toThrow(
      /expected .*empty to be a checkpoint or to contain step-\* checkpoints, got none/,
    );
    await expect(loadNetworkFromCheckpoint(join(dir, 'nowhere'))).rejects.toThrow(/does not exist/);
    const state = JSON.parse(readFileSync(join(assembleCheckpoint, 'checkpoint.json'), 'utf8'));
    const variant = (name: string, options: unknown, classes = state.classes): string => {
      const folder = join(dir, name, 'step-00000001');
      mkdirSync(folder, { recursive: true });
      writeFileSync(
        join(folder, 'checkpoint.json'),
        JSON.stringify({ ...state, options, classes }),
      );
      return folder;
    };
    await expect(
      loadNetworkFromCheckpoint(variant('odd', { ...state.options, kind: 'mystery' })),
    ).rejects.toThrow(/expected a network kind of assemblenet, student, got "mystery"/);
    await expect(
      loadNetworkFromCheckpoint(variant('bare', { network: state.options.network })),
    ).rejects.toThrow(/expected "options" with network, config and streams/);
    await expect(
      loadNetworkFromCheckpoint(
        variant('badConfig', { ...state.options, config: { ...CONFIG, frames: 0 } }),
      ),
    ).rejects.toThrow(/options\.config: expected valid run settings, got: frames/);
    await expect(
      loadNetworkFromCheckpoint(variant('fewClasses', state.options, ['left'])),
    ).rejects.toThrow(/expected 3 class names, got 1/);
  });
});
