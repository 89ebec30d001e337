/**
 * Weights IO without tfjs-node: named variables, optimizer state and JSON metadata in the
 * standard TensorFlow.js layout, written with node:fs.
 *
 * Layout of a checkpoint directory (readable by any code that can parse JSON and little-endian
 * binary, no TensorFlow.js model class needed):
 *
 *   model.json
 *     format              "assemblenet-weights" (or the model's own format for a saved tf model)
 *     generatedBy         "AssembleNet-TS (TensorFlow.js <version>)"
 *     convertedBy         null
 *     modelTopology       only for tf.LayersModel saves through `weightsSaveHandler`
 *     weightsManifest     [{ paths: ["weights.bin"], weights: [{ name, shape, dtype, group? }] }]
 *                         entries in the order their bytes follow each other in weights.bin;
 *                         group "optimizer" marks optimizer slots (as tfjs-layers does)
 *     userDefinedMetadata the caller's JSON (genome, step, RNG state, ...)
 *     optimizer           { className, config, iterations } when optimizer state is included
 *     weightsSha256       hex SHA-256 of weights.bin (detects a torn or swapped pair)
 *   weights.bin           the values back to back, row-major, little-endian: float32 and int32
 *                         4 bytes per element, bool 1 byte
 *
 * Optimizer slots are named `<weight name>/<slot>` (for example `conv1/kernel/momentum`, or
 * `iter` for the step counter), with the weight names of the checkpoint rather than the
 * process-specific tf.Variable names, so a checkpoint restores into freshly created variables.
 *
 * Writes are atomic per file (temporary file, fsync, rename; weights.bin first): a reader sees
 * the old or the new file, and a crash between the two renames is caught by the checksum.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from './tf.ts';
import type { Variable } from './tf.ts';
import { InputError } from '../errors.ts';
import { writeFileAtomicAsync } from '../util/atomicFile.ts';

type Tensor = import('@tensorflow/tfjs').Tensor;
type NamedTensorMap = import('@tensorflow/tfjs').NamedTensorMap;
type Optimizer = import('@tensorflow/tfjs').Optimizer;
type ModelArtifacts = import('@tensorflow/tfjs').io.ModelArtifacts;
type WeightsManifestEntry = import('@tensorflow/tfjs').io.WeightsManifestEntry;

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const WEIGHTS_FORMAT = 'assemblenet-weights';

/** A named tensor as optimizers' getWeights()/setWeights() use it. */
export interface OptimizerSlot {
  name: string;
  tensor: Tensor;
}

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** What model.json says about the optimizer whose slots are stored. */
export interface OptimizerDescriptor {
  className: string;
  config: JsonObject;
  iterations: number;
}

export interface SaveCheckpointOptions {
  /** Tensors to store, by stable name (for example `block3/conv_t/kernel`). */
  weights: Record<string, Tensor>;
  /** Optimizer whose state (`getWeights()`) is stored; every slot must belong to a weight. */
  optimizer?: Optimizer;
  /** JSON stored as model.json's `userDefinedMetadata`. */
  metadata?: JsonObject;
}

export interface LoadedCheckpoint {
  /** Stored weights by name; the caller owns them (see `dispose`). */
  weights: NamedTensorMap;
  /** Optimizer slots in their saved order, names `<weight name>/<slot>` and `iter`. */
  optimizerWeights: OptimizerSlot[];
  optimizer?: OptimizerDescriptor;
  metadata: JsonObject;
  /** Disposes every tensor of the checkpoint. */
  dispose(): void;
}

/** Saves named tensors, optional optimizer state and metadata to `dir` (created if needed). */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<void> {
  const weightNames = Object.keys(options.weights);
  const model = await tf.io.encodeWeights(options.weights, 'model');
  let weightData = model.data;
  const weightSpecs = model.specs;
  let optimizer: OptimizerDescriptor | undefined;
  if (options.optimizer) {
    const slots = await options.optimizer.getWeights();
    try {
      const named = slots.map((slot) => ({
        name: slotNameForCheckpoint(slot.name, options.weights),
        tensor: slot.tensor,
      }));
      const encoded = await tf.io.encodeWeights(named, 'optimizer');
      weightSpecs.push(...encoded.specs);
      weightData = tf.io.concatenateArrayBuffers([
        weightData as ArrayBuffer,
        encoded.data as ArrayBuffer,
      ]);
    } finally {
      // getWeights() makes a fresh `iter` scalar; the other slots are the optimizer's variables
      for (const slot of slots) if (!(slot.tensor instanceof tf.Variable)) slot.tensor.dispose();
    }
    optimizer = {
      className: options.optimizer.getClassName(),
      config: options.optimizer.getConfig() as JsonObject,
      iterations: options.optimizer.iterations,
    };
  }
  if (weightNames.length === 0 && !optimizer) {
    throw new InputError(`weights: expected at least one tensor to save in ${dir}, got none`);
  }
  const artifacts: ModelArtifacts = {
    format: WEIGHTS_FORMAT,
    generatedBy: `AssembleNet-TS (TensorFlow.js ${tf.version.tfjs})`,
    convertedBy: null,
    weightSpecs,
    weightData,
    // tfjs types this as {[key]: {}}, which excludes null: JSON values all serialise fine
    userDefinedMetadata: (options.metadata ?? {}) as ModelArtifacts['userDefinedMetadata'],
  };
  await writeArtifacts(dir, artifacts, optimizer ? { optimizer } : {});
}

/** Reads a checkpoint written by `saveCheckpoint` (or any model.json + weights.bin pair). */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const { artifacts, modelJson } = await readArtifacts(dir);
  const specs = artifacts.weightSpecs ?? [];
  const data = artifacts.weightData as ArrayBuffer;
  const modelNames = specs.filter((s) => s.group !== 'optimizer').map((s) => s.name);
  const repeated = modelNames.filter((name, i) => modelNames.indexOf(name) !== i);
  if (repeated.length > 0) {
    throw new InputError(
      `weights: expected unique weight names in ${join(dir, MODEL_JSON)}, got repeats of ${repeated.join(', ')}`,
    );
  }
  // decode weight by weight: optimizer slot names may repeat weight names
  const weights: NamedTensorMap = {};
  const optimizerWeights: OptimizerSlot[] = [];
  let offset = 0;
  for (const spec of specs) {
    const bytes = specByteLength(spec, dir);
    const decoded = tf.io.decodeWeights(data.slice(offset, offset + bytes), [spec]);
    const tensor = decoded[spec.name]!;
    if (spec.group === 'optimizer') optimizerWeights.push({ name: spec.name, tensor });
    else weights[spec.name] = tensor;
    offset += bytes;
  }
  const checkpoint: LoadedCheckpoint = {
    weights,
    optimizerWeights,
    metadata: (artifacts.userDefinedMetadata ?? {}) as JsonObject,
    dispose() {
      for (const tensor of Object.values(weights)) tensor.dispose();
      for (const slot of optimizerWeights) slot.tensor.dispose();
    },
  };
  const optimizer = modelJson.optimizer as OptimizerDescriptor | undefined;
  if (optimizer) checkpoint.optimizer = optimizer;
  return checkpoint;
}

export interface AssignWeightsOptions {
  /** Where the weights came from, for messages. */
  source?: string;
  /** Accept variables that the checkpoint lacks (they keep their values). */
  allowMissing?: boolean;
  /** Accept checkpoint weights that no variable takes. */
  allowUnexpected?: boolean;
}

/**
 * Copies `weights` into `variables` by name. Any missing or unexpected name, or any shape or
 * dtype difference, is reported in one InputError listing what was expected and what was found.
 */
export function assignWeights(
  variables: Record<string, Variable>,
  weights: NamedTensorMap,
  options: AssignWeightsOptions = {},
): void {
  const source = options.source ?? 'the checkpoint';
  const expected = Object.keys(variables);
  const found = Object.keys(weights);
  const problems: string[] = [];
  const missing = expected.filter((name) => !(name in weights));
  const unexpected = found.filter((name) => !(name in variables));
  if (missing.length > 0 && !options.allowMissing) {
    problems.push(`missing (expected by the model, not in ${source}): ${missing.join(', ')}`);
  }
  if (unexpected.length > 0 && !options.allowUnexpected) {
    problems.push(`unexpected (in ${source}, not in the model): ${unexpected.join(', ')}`);
  }
  for (const name of expected) {
    const stored = weights[name];
    if (!stored) continue;
    const variable = variables[name]!;
    if (!sameShape(variable.shape, stored.shape)) {
      problems.push(`${name}: expected shape [${variable.shape}], got [${stored.shape}]`);
    } else if (variable.dtype !== stored.dtype) {
      problems.push(`${name}: expected dtype ${variable.dtype}, got ${stored.dtype}`);
    }
  }
  if (problems.length > 0) {
    throw new InputError(
      `weights: ${source} does not match the model (${expected.length} weights expected, ` +
        `${found.length} found):\n  ${problems.join('\n  ')}`,
    );
  }
  for (const name of expected) {
    const stored = weights[name];
    if (stored) variables[name]!.assign(stored);
  }
}

/**
 * Restores optimizer state from a checkpoint into a fresh optimizer of the same class.
 * tfjs optimizers match slots to variables BY POSITION (the order of the variable list given
 * to `minimize`/`applyGradients`), so `variables` must list the trained variables in the order
 * they were trained in when the checkpoint was saved; this is checked against the saved slots.
 */
export async function restoreOptimizer(
  optimizer: Optimizer,
  checkpoint: Pick<LoadedCheckpoint, 'optimizerWeights' | 'optimizer'>,
  variables: Record<string, Variable>,
  source = 'the checkpoint',
): Promise<void> {
  const saved = checkpoint.optimizer;
  if (!saved) throw new InputError(`weights: expected optimizer state in ${source}, got none`);
  if (saved.className !== optimizer.getClassName()) {
    throw new InputError(
      `weights: expected optimizer state for ${optimizer.getClassName()}, got ${saved.className} in ${source}`,
    );
  }
  const slotOrder: string[] = [];
  const unknown: string[] = [];
  const slots = checkpoint.optimizerWeights.map((slot, index) => {
    if (index === 0 && slot.name === 'iter') return slot;
    const cut = slot.name.lastIndexOf('/');
    const weightName = slot.name.slice(0, cut);
    const variable = variables[weightName];
    if (cut < 0 || !variable) unknown.push(slot.name);
    else if (!slotOrder.includes(weightName)) slotOrder.push(weightName);
    const name = variable ? `${variable.name}${slot.name.slice(cut)}` : slot.name;
    return { name, tensor: slot.tensor };
  });
  const trainOrder = Object.keys(variables).filter((name) => slotOrder.includes(name));
  const problem =
    unknown.length > 0
      ? `slots of weights not given: ${unknown.join(', ')}`
      : trainOrder.join() !== slotOrder.join()
        ? `variables in the saved training order [${slotOrder.join(', ')}], got [${trainOrder.join(', ')}]`
        : undefined;
  if (problem) {
    throw new InputError(
      `weights: cannot restore ${saved.className} state from ${source}: expected ${problem}`,
    );
  }
  // setWeights makes variables that share the slot tensors' data; the checkpoint still owns them
  await optimizer.setWeights(slots);
}

/**
 * Loads a checkpoint into `variables` (and `optimizer`, when given) and returns its metadata.
 * The checkpoint's tensors are disposed before returning.
 */
export async function restoreCheckpoint(
  dir: string,
  variables: Record<string, Variable>,
  optimizer?: Optimizer,
  options: Omit<AssignWeightsOptions, 'source'> = {},
): Promise<JsonObject> {
  const checkpoint = await loadCheckpoint(dir);
  try {
    const source = join(dir, MODEL_JSON);
    assignWeights(variables, checkpoint.weights, { ...options, source });
    if (optimizer) await restoreOptimizer(optimizer, checkpoint, variables, source);
    return checkpoint.metadata;
  } finally {
    checkpoint.dispose();
  }
}

/**
 * An IOHandler for `model.save(handler)` of TensorFlow.js models (tf.LayersModel included,
 * `includeOptimizer` too) that writes the same directory layout with node:fs.
 */
export function weightsSaveHandler(dir: string): import('@tensorflow/tfjs').io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    await writeArtifacts(dir, artifacts, {});
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        weightDataBytes: (artifacts.weightData as ArrayBuffer | undefined)?.byteLength ?? 0,
      },
    };
  });
}

/** An IOHandler for `tf.loadLayersModel(handler)` reading a directory written by this module. */
export function weightsLoadHandler(dir: string): import('@tensorflow/tfjs').io.IOHandler {
  return { load: async () => (await readArtifacts(dir)).artifacts };
}

// ---- files ----------------------------------------------------------------------------------

function slotNameForCheckpoint(slotName: string, weights: Record<string, Tensor>): string {
  if (slotName === 'iter') return slotName;
  const cut = slotName.lastIndexOf('/');
  const variableName = slotName.slice(0, cut);
  for (const [name, tensor] of Object.entries(weights)) {
    if (tensor instanceof tf.Variable && tensor.name === variableName)
      return `${name}${slotName.slice(cut)}`;
  }
  throw new InputError(
    `weights: expected every optimizer slot to belong to a saved weight, got slot "${slotName}" ` +
      `of variable "${variableName}", which is not among the weights (${Object.keys(weights).join(', ')})`,
  );
}

async function writeArtifacts(
  dir: string,
  artifacts: ModelArtifacts,
  extra: Record<string, unknown>,
): Promise<void> {
  if (artifacts.weightData !== undefined && !(artifacts.weightData instanceof ArrayBuffer)) {
    artifacts = { ...artifacts, weightData: tf.io.concatenateArrayBuffers(artifacts.weightData) };
  }
  const data = new Uint8Array(
    (artifacts.weightData as ArrayBuffer | undefined) ?? new ArrayBuffer(0),
  );
  // the fields of tfjs-core's getModelJSONForModelArtifacts (not exported), then ours
  const modelJson: Record<string, unknown> = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
  };
  for (const key of [
    'signature',
    'userDefinedMetadata',
    'modelInitializer',
    'initializerSignature',
    'trainingConfig',
  ] as const) {
    if (artifacts[key] != null) modelJson[key] = artifacts[key];
  }
  Object.assign(modelJson, extra, { weightsSha256: sha256(data) });
  await mkdir(dir, { recursive: true });
  await writeFileAtomicAsync(join(dir, WEIGHTS_BIN), data);
  await writeFileAtomicAsync(
    join(dir, MODEL_JSON),
    new TextEncoder().encode(`${JSON.stringify(modelJson, null, 1)}\n`),
  );
}

interface ModelJsonFile {
  weightsManifest?: { paths: string[]; weights: WeightsManifestEntry[] }[];
  weightsSha256?: string;
  [key: string]: unknown;
}

async function readArtifacts(
  dir: string,
): Promise<{ artifacts: ModelArtifacts; modelJson: ModelJsonFile }> {
  const jsonPath = join(dir, MODEL_JSON);
  let modelJson: ModelJsonFile;
  try {
    modelJson = JSON.parse(await readExisting(jsonPath, 'utf8')) as ModelJsonFile;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new InputError(
      `weights: expected JSON in ${jsonPath}, got a parse error: ${error.message}`,
    );
  }
  if (!Array.isArray(modelJson.weightsManifest)) {
    throw new InputError(
      `weights: expected a weightsManifest list in ${jsonPath}, got ${typeof modelJson.weightsManifest}`,
    );
  }
  const chunks: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const path of group.paths) chunks.push(await readExisting(join(dir, path)));
  }
  const data = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const describedBytes = specs.reduce((sum, spec) => sum + specByteLength(spec, dir), 0);
  if (describedBytes !== data.byteLength) {
    throw new InputError(
      `weights: expected ${describedBytes} bytes of weights as ${jsonPath} describes, ` +
        `got ${data.byteLength} in ${modelJson.weightsManifest.flatMap((g) => g.paths).join(', ')}`,
    );
  }
  if (modelJson.weightsSha256 && modelJson.weightsSha256 !== sha256(data)) {
    throw new InputError(
      `weights: expected ${WEIGHTS_BIN} to match the checksum in ${jsonPath}, got different bytes ` +
        `(a save was interrupted or the files come from different checkpoints)`,
    );
  }
  const artifacts = tf.io.getModelArtifactsForJSONSync(
    modelJson as unknown as import('@tensorflow/tfjs').io.ModelJSON,
    specs,
    data.buffer,
  );
  return { artifacts, modelJson };
}

async function readExisting(path: string): Promise<Uint8Array>;
async function readExisting(path: string, encoding: 'utf8'): Promise<string>;
async function readExisting(path: string, encoding?: 'utf8'): Promise<Uint8Array | string> {
  try {
    return encoding ? await readFile(path, encoding) : new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(`weights: expected a checkpoint file ${path}, got no such file`);
    }
    throw error;
  }
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

function specByteLength(spec: WeightsManifestEntry, dir: string): number {
  const elements = spec.shape.reduce((product, size) => product * size, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES_PER_ELEMENT[dtype];
  if (bytes === undefined) {
    throw new InputError(
      `weights: expected dtype float32|int32|bool for ${spec.name} in ${join(dir, MODEL_JSON)}, got ${dtype}`,
    );
  }
  return elements * bytes;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
