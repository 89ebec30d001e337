/**
 * The small search both evolution benches time: a generated 2-class motion set (64 px, 8 videos
 * per class), a two-stream space, 2-epoch proxies at width 0.25, guided search of `budget`.
 * (Files starting with "_" are not benchmarks; bench/run.mjs skips them.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticDataset, parseSyntheticSpec } from '../datasets/index.ts';
import {
  DEFAULT_SEARCH_SETTINGS,
  readSearchSpace,
  type SearchSettings,
} from '../evolution/index.ts';
import { parseRunConfig } from '../src/networks/runConfig.ts';

export async function prepareEvolveBench(dir: string, budget: number) {
  const spec = parseSyntheticSpec({
    kind: 'motion',
    name: 'bench-motion',
    seed: 2,
    video: { width: 64, height: 64, frames: 12, fps: 8 },
    scene: { objects: [1, 1], objectSize: [14, 20] },
    videosPerClass: 8,
    splits: { train: 0.5, val: 0.5, test: 0 },
    classes: [
      { name: 'left', motion: { kind: 'translate', direction: 180, speed: 1.5 } },
      { name: 'right', motion: { kind: 'translate', direction: 0, speed: 1.5 } },
    ],
  });
  const manifest = (await generateSyntheticDataset(spec, { out: join(dir, 'data') })).manifests[0]!;
  const spaceFile = join(dir, 'space.json');
  writeFileSync(
    spaceFile,
    JSON.stringify({
      name: 'bench',
      stems: [
        { stem: 'rgb', temporal: 1 },
        { stem: 'flow', temporal: 1 },
      ],
      stemTemporal: { rgb: [1, 2], flow: [1] },
      nodesPerLevel: [
        [1, 2],
        [1, 2],
        [1, 1],
        [1, 1],
      ],
      initialNodesPerLevel: [2, 1, 1, 1],
      filters: [32, 64, 128, 256],
      dilations: [1, 2],
      initialInputs: [1, 2],
      modulesPerLevel: [1, 1, 1, 1],
    }),
  );
  const config = parseRunConfig({
    flow: 'farneback',
    frames: 8,
    size: 64,
    width: 0.25,
    epochs: 2,
    batch: 4,
    testClips: 1,
    trainClips: 1,
  });
  const settings: SearchSettings = {
    ...DEFAULT_SEARCH_SETTINGS,
    strategy: 'guided',
    seed: 1,
    budget,
    populationSize: 2,
    batchSize: 2,
  };
  const space = readSearchSpace(spaceFile);
  return { manifest, space, config, settings };
}
