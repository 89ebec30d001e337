/**
 * Weight inheritance at run time: a finished candidate's trained variables are stored in
 * `<out>/weights/<evaluation index>/` (model.json + weights.bin, src/engine/weightsIO.ts), and a
 * child network is initialised from its parent's folder following evolution's inheritance plan.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  MODEL_JSON,
  loadCheckpoint,
  saveCheckpoint,
  tf,
  type AssembleNetwork,
  type Genome,
  type JsonObject,
} from '../../src/index.ts';
import {
  correspondenceFromKeys,
  planInheritance,
  summarizeInheritance,
  type InheritancePlan,
  type InheritanceSummary,
} from '../../evolution/index.ts';

type Tensor = tf.Tensor;
type Variable = tf.Variable;

/** Folder of evaluation `index`'s trained weights under the search's output folder. */
export function candidateWeightsDir(out: string, index: number): string {
  return join(out, 'weights', String(index));
}

export interface ParentWeights {
  index: number;
  genome: Genome;
  keys: string[];
  dir: string;
}

/** Stores every variable of a trained candidate (batch-norm statistics included). */
export async function saveCandidateWeights(
  dir: string,
  network: AssembleNetwork,
  meta: { index: number; keys: string[] },
): Promise<void> {
  await saveCheckpoint(dir, {
    weights: network.namedVariables(),
    metadata: {
      index: meta.index,
      keys: meta.keys,
      genome: JSON.parse(JSON.stringify(network.genome)) as JsonObject,
    },
  });
}

/** Writes the plan's copies into the child's variables; fresh variables keep their values. */
export function applyInheritancePlan(
  plan: InheritancePlan,
  variables: Record<string, Variable>,
  weights: Record<string, Tensor>,
): void {
  for (const copy of plan.copies) {
    const variable = variables[copy.child]!;
    const stored = weights[copy.parent]!;
    if (!copy.elements) {
      variable.assign(stored);
      continue;
    }
    const values = Float32Array.from(variable.dataSync());
    const source = stored.dataSync();
    for (const [i, j] of copy.elements) values[i] = source[j]!;
    const merged = tf.tensor(values, variable.shape, variable.dtype);
    variable.assign(merged);
    merged.dispose();
  }
}

function shapesOf(tensors: Record<string, Tensor>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(tensors).map(([name, tensor]) => [name, tensor.shape]));
}

/**
 * Initialises `network` (the child, freshly built) from the parent's stored weights where the
 * plan says so. A missing folder is not an error: the child trains from scratch, and the
 * summary says why.
 */
export async function inheritFromParent(
  network: AssembleNetwork,
  childKeys: string[],
  parent: ParentWeights,
): Promise<InheritanceSummary> {
  const variables = network.namedVariables();
  const childShapes = shapesOf(variables);
  if (!existsSync(join(parent.dir, MODEL_JSON))) {
    const plan = planInheritance(
      { genome: network.genome, shapes: childShapes },
      { genome: parent.genome, shapes: {} },
      childKeys.map(() => null),
    );
    return {
      ...summarizeInheritance(plan, parent.index, childShapes),
      skipped: `no stored weights in ${parent.dir}`,
    };
  }
  const stored = await loadCheckpoint(parent.dir);
  try {
    const plan = planInheritance(
      { genome: network.genome, shapes: childShapes },
      { genome: parent.genome, shapes: shapesOf(stored.weights) },
      correspondenceFromKeys(childKeys, parent.keys),
    );
    applyInheritancePlan(plan, variables, stored.weights);
    return summarizeInheritance(plan, parent.index, childShapes);
  } finally {
    stored.dispose();
  }
}
