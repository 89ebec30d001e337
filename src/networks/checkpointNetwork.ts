/**
 * A trained network back from a checkpoint folder, for `eval` and `classify`:
 *
 *   checkpoint.json {genome, options: StoredRunOptions, classes}
 *     -> builder[options.kind ?? 'assemblenet'] -> network + clip template
 *     -> model weights restored by stable name (the optimizer's slots are not read)
 *
 * The builder table is keyed by `options.kind` so that other network families stored by the
 * training job (distilled students) can add their builder: 'assemblenet' and 'student'.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clipTemplate, type ClipTemplate } from '../data/clipBatches.ts';
import { parseStudent, studentStreams } from '../distill/student.ts';
import { createStudent } from '../distill/studentNetwork.ts';
import { InputError } from '../errors.ts';
import { parseGenome, type Genome } from '../model/genome.ts';
import { createAssembleNet, type AssembleNetwork, type NetworkOptions } from '../model/network.ts';
import {
  readCheckpointState,
  resolveCheckpoint,
  restoreTrainingCheckpoint,
  type CheckpointState,
} from '../train/checkpoint.ts';
import { parseRunConfig, templateFor, type RunConfig } from './runConfig.ts';

/** What a checkpoint must hold to rebuild the network and its inputs (`eval`, `classify`). */
export interface StoredRunOptions {
  network: NetworkOptions;
  config: RunConfig;
  streams: ('rgb' | 'flow')[];
}

/** What eval and classify need of a network: the shared interface of AssembleNet and students. */
export type ClassifierNetwork = Pick<
  AssembleNetwork,
  'numClasses' | 'frames' | 'multiLabel' | 'variables' | 'apply' | 'probabilities' | 'dispose'
>;

export interface CheckpointNetwork {
  /** Network family that rebuilt it ('assemblenet'). */
  kind: string;
  network: ClassifierNetwork;
  /** Run settings of training (clip frames, size, fps, flow, test clips, batch, ...). */
  config: RunConfig;
  /** Input streams the network reads. */
  streams: ('rgb' | 'flow')[];
  /** Class names, index = label. */
  classes: string[];
  multiLabel: boolean;
  /** The step folder that was loaded. */
  checkpointPath: string;
  /** The folder holding the step-* checkpoints (eval writes its metrics there). */
  checkpointRoot: string;
  step: number;
  genome?: Genome;
  /** The clip requests of training (same streams, size, fps, flow): cached clips are reused. */
  template(cacheDir: string): ClipTemplate;
}

interface BuiltNetwork {
  network: ClassifierNetwork;
  streams: ('rgb' | 'flow')[];
  genome?: Genome;
  template(cacheDir: string): ClipTemplate;
}

type NetworkBuilder = (
  state: CheckpointState,
  stored: StoredRunOptions,
  source: string,
) => BuiltNetwork;

const BUILDERS: Readonly<Record<string, NetworkBuilder>> = Object.freeze({
  assemblenet: (state, stored, source) => {
    if (!state.genome)
      throw new InputError(`checkpoint: expected a genome in checkpoint.json, got none`, source);
    const genome = parseGenome(state.genome, source);
    const network = createAssembleNet(genome, stored.network);
    return {
      network,
      streams: stored.streams,
      genome,
      template: (cacheDir) => templateFor(genome, stored.config, cacheDir),
    };
  },
  // Distilled students (`assemblenet distill`): options.arch holds the student architecture.
  student: (state, stored, source) => {
    const arch = parseStudent((state.options as { arch?: unknown }).arch, `${source} options.arch`);
    const { numClasses, multiLabel, norm, seed } = stored.network;
    const network = createStudent(arch, {
      numClasses,
      ...(multiLabel !== undefined ? { multiLabel } : {}),
      ...(norm ? { norm } : {}),
      ...(seed !== undefined ? { seed } : {}),
    });
    const streams = studentStreams(arch);
    const { fps, flow, flowBound } = stored.config;
    return {
      network,
      streams,
      template: (cacheDir) =>
        clipTemplate({
          streams,
          frames: arch.frames,
          size: arch.resolution,
          fps,
          flow,
          flowBound,
          cacheDir,
        }),
    };
  },
});

/** Network kinds `loadNetworkFromCheckpoint` can rebuild. */
export function checkpointNetworkKinds(): string[] {
  return Object.keys(BUILDERS);
}

/**
 * A checkpoint from `path`: a step folder, a folder of step-* checkpoints, or a training run's
 * `--out` folder (its `checkpoints/`); the newest step wins.
 */
export async function resolveCheckpointPath(path: string): Promise<string> {
  if (!existsSync(path))
    throw new InputError(
      `checkpoint: expected a checkpoint folder, got a path that does not exist: ${path}`,
    );
  const runCheckpoints = join(path, 'checkpoints');
  if (!existsSync(join(path, 'checkpoint.json')) && existsSync(runCheckpoints))
    return resolveCheckpoint(runCheckpoints);
  return resolveCheckpoint(path);
}

function storedOptions(
  state: CheckpointState,
  source: string,
): StoredRunOptions & { kind: string } {
  const options = state.options as (Partial<StoredRunOptions> & { kind?: unknown }) | null;
  if (
    !options ||
    typeof options !== 'object' ||
    !options.network ||
    !options.config ||
    !Array.isArray(options.streams)
  ) {
    throw new InputError(
      'checkpoint: expected "options" with network, config and streams (written by the train job), got ' +
        JSON.stringify(options)?.slice(0, 80),
      source,
    );
  }
  const kind = options.kind === undefined ? 'assemblenet' : String(options.kind);
  const config = parseRunConfig(options.config, `${source} options.config`);
  const network = options.network as NetworkOptions;
  if (!Number.isInteger(network.numClasses) || network.numClasses < 1) {
    throw new InputError(
      `checkpoint: expected options.network.numClasses >= 1, got ${network.numClasses}`,
      source,
    );
  }
  return { kind, network, config, streams: options.streams };
}

/** Rebuilds the network of a checkpoint and restores its weights; the caller disposes `network`. */
export async function loadNetworkFromCheckpoint(path: string): Promise<CheckpointNetwork> {
  const folder = await resolveCheckpointPath(path);
  const source = join(folder, 'checkpoint.json');
  const state = await readCheckpointState(folder);
  const stored = storedOptions(state, source);
  const builder = BUILDERS[stored.kind];
  if (!builder) {
    throw new InputError(
      `checkpoint: expected a network kind of ${checkpointNetworkKinds().join(', ')}, got "${stored.kind}"`,
      source,
    );
  }
  const classes = state.classes ?? [];
  if (classes.length !== stored.network.numClasses) {
    throw new InputError(
      `checkpoint: expected ${stored.network.numClasses} class names, got ${classes.length}`,
      source,
    );
  }
  const built = builder(state, stored, source);
  try {
    await restoreTrainingCheckpoint(folder, { variables: built.network.variables });
  } catch (error) {
    built.network.dispose();
    throw error;
  }
  return {
    kind: stored.kind,
    network: built.network,
    config: stored.config,
    streams: built.streams,
    classes,
    multiLabel: built.network.multiLabel,
    checkpointPath: folder,
    checkpointRoot: dirname(folder),
    step: state.step,
    ...(built.genome ? { genome: built.genome } : {}),
    template: built.template,
  };
}
