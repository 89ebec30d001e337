/**
 * Training checkpoints. A checkpoint is a folder `<root>/step-<8 digits>/` holding
 *
 *   model.json + weights.bin   model weights by stable name and the optimizer's slots
 *                              (group "optimizer"), written by src/engine/weightsIO.ts
 *   checkpoint.json            genome, options, classes, schedule, optimizer config, and the
 *                              run's position (step, epoch, batch in epoch, RNG state, metrics)
 *
 * A save writes a `.tmp-*` folder and renames it into place, so a reader (or a resume after a
 * crash) sees either a whole checkpoint or none. Only the newest `keep` checkpoints are kept.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { tf, Variable } from '../engine/tf.ts';
import {
  assignWeights,
  loadCheckpoint,
  saveCheckpoint,
  type LoadedCheckpoint,
  type JsonObject,
} from '../engine/weightsIO.ts';
import { InputError } from '../errors.ts';
import type { ScheduleConfig } from './schedule.ts';
import type { TrainProgress } from './records.ts';

export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_FORMAT = 'assemblenet-ts/checkpoint@1';
const STEP_DIR = /^step-(\d+)$/;

/** Variables by the stable name they are saved under. */
export type NamedVariables = ReadonlyMap<string, Variable> | Readonly<Record<string, Variable>>;

/** What the user's side of a run wants stored with it. */
export interface CheckpointMeta {
  /** The genome the network was built from (JSON). */
  genome?: unknown;
  /** Training/model options of the run (JSON). */
  options?: unknown;
  /** Dataset class names, index = label. */
  classes?: string[];
  /** Anything else JSON-serialisable. */
  extra?: Record<string, unknown>;
}

/** Contents of checkpoint.json. */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  createdAt: string;
  step: number;
  epoch: number;
  progress: TrainProgress;
  schedule: ScheduleConfig;
  optimizer: { className: string; config: Record<string, unknown>; iterations: number };
  genome: unknown;
  options: unknown;
  classes: string[] | null;
  extra: Record<string, unknown>;
}

export interface SaveTrainingCheckpointInput {
  variables: NamedVariables;
  optimizer: tf.Optimizer;
  progress: TrainProgress;
  schedule: ScheduleConfig;
  meta?: CheckpointMeta;
}

export interface CheckpointEntry {
  step: number;
  path: string;
}

export function toRecord(variables: NamedVariables): Record<string, Variable> {
  return variables instanceof Map
    ? Object.fromEntries(variables)
    : { ...(variables as Record<string, Variable>) };
}

export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Checkpoints under `root`, oldest first (unfinished `.tmp-*` folders are ignored). */
export async function listCheckpoints(root: string): Promise<CheckpointEntry[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries: CheckpointEntry[] = [];
  for (const name of names) {
    const match = STEP_DIR.exec(name);
    if (!match) continue;
    const path = join(root, name);
    if (await exists(join(path, CHECKPOINT_JSON))) entries.push({ step: Number(match[1]), path });
  }
  return entries.sort((a, b) => a.step - b.step);
}

/** The newest checkpoint under `root`, if any. */
export async function latestCheckpoint(root: string): Promise<string | undefined> {
  return (await listCheckpoints(root)).at(-1)?.path;
}

/**
 * A checkpoint folder from `path`: the folder itself when it holds checkpoint.json, else the
 * newest checkpoint under it.
 */
export async function resolveCheckpoint(path: string): Promise<string> {
  if (await exists(join(path, CHECKPOINT_JSON))) return path;
  const latest = await latestCheckpoint(path);
  if (!latest) {
    throw new InputError(
      `checkpoint: expected ${path} to be a checkpoint or to contain step-* checkpoints, got none`,
    );
  }
  return latest;
}

/** Writes a checkpoint atomically and prunes old ones; returns its folder. */
export async function saveTrainingCheckpoint(
  root: string,
  input: SaveTrainingCheckpointInput,
  options: { keep?: number } = {},
): Promise<string> {
  const keep = options.keep ?? 3;
  if (!Number.isInteger(keep) || keep < 1)
    throw new InputError(`checkpoint: expected keep >= 1, got ${keep}`);
  const { progress, meta = {} } = input;
  await mkdir(root, { recursive: true });
  const finalPath = join(root, checkpointDirName(progress.step));
  const tmpPath = join(
    root,
    `.tmp-${checkpointDirName(progress.step)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const variables = toRecord(input.variables);
  const state: CheckpointState = {
    format: CHECKPOINT_FORMAT,
    createdAt: new Date().toISOString(),
    step: progress.step,
    epoch: progress.epoch,
    progress,
    schedule: input.schedule,
    optimizer: {
      className: input.optimizer.getClassName(),
      config: input.optimizer.getConfig() as Record<string, unknown>,
      iterations: input.optimizer.iterations,
    },
    genome: meta.genome ?? null,
    options: meta.options ?? null,
    classes: meta.classes ?? null,
    extra: meta.extra ?? {},
  };
  try {
    await saveCheckpoint(tmpPath, {
      weights: variables,
      optimizer: input.optimizer,
      metadata: JSON.parse(
        JSON.stringify({
          checkpoint: CHECKPOINT_JSON,
          step: state.step,
          epoch: state.epoch,
          genome: state.genome,
          classes: state.classes,
        }),
      ) as JsonObject,
    });
    await writeDurable(join(tmpPath, CHECKPOINT_JSON), JSON.stringify(state, null, 1));
    if (await exists(finalPath)) {
      const displaced = `${tmpPath}-old`;
      await rename(finalPath, displaced);
      await rename(tmpPath, finalPath);
      await rm(displaced, { recursive: true, force: true });
    } else {
      await rename(tmpPath, finalPath);
    }
  } catch (error) {
    await rm(tmpPath, { recursive: true, force: true });
    throw error;
  }
  const all = await listCheckpoints(root);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    if (old.path !== finalPath) await rm(old.path, { recursive: true, force: true });
  }
  return finalPath;
}

export interface LoadedTrainingCheckpoint extends LoadedCheckpoint {
  path: string;
  state: CheckpointState;
}

/** Reads a checkpoint (a folder, or the newest under a root); the caller disposes it. */
export async function loadTrainingCheckpoint(path: string): Promise<LoadedTrainingCheckpoint> {
  const folder = await resolveCheckpoint(path);
  const state = await readCheckpointState(folder);
  const checkpoint = await loadCheckpoint(folder);
  return Object.assign(checkpoint, { path: folder, state });
}

export async function readCheckpointState(folder: string): Promise<CheckpointState> {
  const file = join(folder, CHECKPOINT_JSON);
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as CheckpointState;
  } catch (error) {
    throw new InputError(
      `checkpoint: expected readable JSON, got ${(error as Error).message}`,
      file,
    );
  }
  if (state?.format !== CHECKPOINT_FORMAT || typeof state.progress?.step !== 'number') {
    throw new InputError(
      `checkpoint: expected format "${CHECKPOINT_FORMAT}", got ${JSON.stringify(state?.format)}`,
      file,
    );
  }
  return state;
}

/**
 * Loads a checkpoint into `variables` (by stable name) and `optimizer` (slots matched by
 * variable, not by position), and returns its state.
 */
export async function restoreTrainingCheckpoint(
  path: string,
  target: { variables: NamedVariables; optimizer?: tf.Optimizer },
): Promise<CheckpointState & { path: string }> {
  const loaded = await loadTrainingCheckpoint(path);
  try {
    const variables = toRecord(target.variables);
    assignWeights(variables, loaded.weights, { source: loaded.path });
    if (target.optimizer) {
      const className = loaded.optimizer?.className ?? loaded.state.optimizer.className;
      if (className !== target.optimizer.getClassName()) {
        throw new InputError(
          `checkpoint: expected optimizer state for ${target.optimizer.getClassName()}, got ${className} in ${loaded.path}`,
        );
      }
      const slots = loaded.optimizerWeights.map(({ name, tensor }) => {
        if (name === 'iter') return { name, tensor };
        const cut = name.lastIndexOf('/');
        const variable = variables[name.slice(0, cut)];
        if (cut < 0 || !variable) {
          throw new InputError(
            `checkpoint: optimizer slot "${name}" belongs to no model variable (${loaded.path})`,
          );
        }
        return { name: variable.name + name.slice(cut), tensor };
      });
      await target.optimizer.setWeights(slots);
    }
    return { ...loaded.state, path: loaded.path };
  } finally {
    loaded.dispose();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeDurable(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
