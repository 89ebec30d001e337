/**
 * The learned connection weights of a trained AssembleNet, per node aligned with its inputs, as
 * the network itself computes them (sigmoid or fast-normalised fusion of the restored variables):
 * the checkpoint is loaded into the network its genome builds, and `connectionWeights()` is read.
 */
import { tf, type AssembleNetwork, type Genome } from '../../src/index.ts';
import { loadNetworkFromCheckpoint } from '../../src/networks/checkpointNetwork.ts';

/** One list per genome node ([] for stems, [1] for a single-input block). */
export async function learnedConnectionWeights(
  genome: Genome,
  checkpoint: string,
): Promise<number[][] | null> {
  await tf.ready(); // callers that chose no backend get the default one (the CLI chooses cpu)
  const model = await loadNetworkFromCheckpoint(checkpoint);
  try {
    const network = model.network as Partial<AssembleNetwork>;
    if (model.kind !== 'assemblenet' || typeof network.connectionWeights !== 'function')
      return null;
    const weights = genome.nodes.map((node) => ('inputs' in node ? node.inputs.map(() => 1) : []));
    for (const edge of network.connectionWeights()) weights[edge.node] = edge.weights;
    return weights;
  } finally {
    model.network.dispose();
  }
}
