/** Model: genome schema and codecs, scaling and counts, the genome -> network builder. */
export * from './genome.ts';
export * from './official.ts';
export * from './scaling.ts';
export { createAssembleNet } from './network.ts';
export type {
  AssembleNetwork,
  ConnectionWeights,
  NetworkInputs,
  NetworkOptions,
} from './network.ts';
export type { ConvMode, BatchNormOptions } from './layers.ts';
