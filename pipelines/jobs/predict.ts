/**
 * Scores of videos from a network: every test clip (multi-view) through the network, class
 * probabilities averaged over the clips of each video.
 */
import {
  aggregateViews,
  testBatches,
  disposeBatch,
  tf,
  type AssembleNetwork,
  type ClipItem,
  type ClipPool,
  type ClipTemplate,
  type LabelSpec,
} from '../../src/index.ts';

export interface VideoPrediction {
  item: ClipItem;
  /** Mean class probabilities over the video's clips. */
  scores: number[];
  clips: number;
}

export interface PredictOptions {
  network: Pick<AssembleNetwork, 'apply' | 'probabilities'>;
  pool: ClipPool;
  template: ClipTemplate;
  items: ClipItem[];
  labels: LabelSpec;
  clips: number;
  batchSize: number;
  signal?: AbortSignal;
  onBatch?: (videosDone: number) => void;
}

export async function predictVideos(options: PredictOptions): Promise<VideoPrediction[]> {
  const rows: number[][] = [];
  const ids: string[] = [];
  const byId = new Map(options.items.map((item) => [item.id, item]));
  let seen = 0;
  for await (const batch of testBatches({
    ...options,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    try {
      const probabilities = tf.tidy(() =>
        options.network.probabilities(options.network.apply(batch.inputs, false)),
      );
      const values = (await probabilities.array()) as number[][];
      probabilities.dispose();
      rows.push(...values);
      ids.push(...batch.items.map((item) => item.id));
    } finally {
      disposeBatch(batch);
    }
    seen += batch.items.length;
    options.onBatch?.(Math.floor(seen / options.clips));
  }
  const numClasses = rows[0]?.length ?? options.labels.numClasses;
  const aggregated = aggregateViews(
    { data: Float64Array.from(rows.flat()), numItems: rows.length, numClasses },
    ids,
    'mean',
  );
  return aggregated.videoIds.map((id, index) => ({
    item: byId.get(id)!,
    scores: Array.from(
      aggregated.scores.data.slice(
        index * numClasses,
        (index + 1) * numClasses,
      ) as ArrayLike<number>,
    ),
    clips: aggregated.viewCounts[index]!,
  }));
}
