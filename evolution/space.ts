/**
 * A search space: what evolution may build. JSON files in evolution/spaces/, validated here.
 *
 *   {
 *     "name": "two-stream-small",
 *     "stems": [{"stem": "rgb", "temporal": 1}, ...],   the stems every candidate has
 *     "stemTemporal": {"rgb": [1,2,4], "flow": [1,2]},   values a stem mutation may pick
 *     "nodesPerLevel": [[2,4],[2,4],[1,3],[1,1]],        [min, max] block nodes per level 0..3
 *     "initialNodesPerLevel": [3,3,2,1],
 *     "filters": [32,64,128,256],                        bottleneck width per level
 *     "dilations": [1,2,4],                              temporal dilations a node may take
 *     "initialInputs": [2,4],                            [min,max] inputs of a fresh node
 *     "modulesPerLevel": [1,1,1,1],
 *     "fusion": "sigmoid"
 *   }
 *
 * Inputs of a level-L node come from the stems and nodes of levels below L (as in the published
 * AssembleNet graphs), so the node list, sorted by level, is acyclic by construction.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError, type StemNode } from '../src/index.ts';

const range = z
  .tuple([z.number().int().min(0), z.number().int().min(0)])
  .refine(([lo, hi]) => lo <= hi, {
    message: 'expected [min, max] with min <= max',
  });
const levels4 = <T extends z.ZodType>(item: T) => z.tuple([item, item, item, item]);

export const searchSpaceSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  stems: z
    .array(
      z.strictObject({
        stem: z.enum(['rgb', 'flow', 'segmentation']),
        temporal: z.number().int().min(1),
      }),
    )
    .min(1),
  stemTemporal: z.record(z.string(), z.array(z.number().int().min(1)).min(1)),
  nodesPerLevel: levels4(range).refine((r) => r[3][0] >= 1, {
    message: 'level 3 needs at least one node',
  }),
  initialNodesPerLevel: levels4(z.number().int().min(0)),
  filters: levels4(z.number().int().min(1)),
  dilations: z.array(z.number().int().min(1)).min(1),
  initialInputs: range.refine(([lo]) => lo >= 1, { message: 'a node needs at least one input' }),
  modulesPerLevel: levels4(z.number().int().min(1)),
  fusion: z.enum(['sigmoid', 'fast-normalised']).default('sigmoid'),
});

export type SearchSpace = z.infer<typeof searchSpaceSchema> & { stems: StemNode[] };

/** Validates a search space value; errors carry the path (`nodesPerLevel[3]: ...`) and file. */
export function parseSearchSpace(value: unknown, source?: string): SearchSpace {
  const parsed = searchSpaceSchema.safeParse(value);
  if (!parsed.success) {
    const list = parsed.error.issues
      .map(
        (issue) =>
          `${
            issue.path
              .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
              .join('')
              .replace(/^\./, '') || '(space)'
          }: ${issue.message}`,
      )
      .join('; ');
    throw new InputError(`search space: expected a valid space, got: ${list}`, source);
  }
  const space = parsed.data;
  space.initialNodesPerLevel.forEach((count, level) => {
    const [lo, hi] = space.nodesPerLevel[level]!;
    if (count < lo || count > hi) {
      throw new InputError(
        `search space: initialNodesPerLevel[${level}]: expected ${lo}..${hi} (nodesPerLevel), got ${count}`,
        source,
      );
    }
  });
  return space as SearchSpace;
}

export function readSearchSpace(file: string): SearchSpace {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`search space: cannot read JSON: ${(error as Error).message}`, file);
  }
  return parseSearchSpace(value, file);
}
