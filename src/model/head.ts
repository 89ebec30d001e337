/**
 * Classification head (official `multi_stream_heads`, mean-pooling variant).
 *
 *   each level-3 node [B*T, H, W, C] -> mean over H, W -> [B, T, C] -> mean over T -> [B, C]
 *   average over the level-3 nodes                                                 -> [B, C]  (features)
 *   Dense (kernel ~ N(0, 0.01), bias 0)                                            -> [B, classes] (logits)
 *
 * The official `max_pool_predictions` option (max over time of per-frame predictions) is not built.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.ts';
import { EngineError } from '../errors.ts';
import type { ParameterStore } from './layers.ts';

export interface HeadOptions {
  headInChannels: number;
  headClasses: number;
  /** Frames folded into the batch of each input. */
  headFrames: number;
}

export interface Head {
  /** Level-3 node outputs [B*T, H, W, C] -> features [B, C]. */
  pool(nodes: Tensor4D[]): Tensor2D;
  /** features [B, C] -> logits [B, classes]. */
  apply(features: Tensor2D): Tensor2D;
}

export function createHead(store: ParameterStore, path: string, options: HeadOptions): Head {
  const { headInChannels: channels, headClasses: classes, headFrames: frames } = options;
  const kernel = store.variable(`${path}/dense/kernel`, [channels, classes], {
    kind: 'normal',
    stddev: 0.01,
  });
  const bias = store.variable(`${path}/dense/bias`, [classes], { kind: 'zeros' });
  return {
    pool(nodes) {
      return tf.tidy(() => {
        const pooled = nodes.map((node) => {
          const [batchFrames, , , c] = node.shape;
          if (c !== channels || batchFrames % frames !== 0) {
            throw new EngineError(
              `head: expected [B*${frames}, H, W, ${channels}], got [${node.shape.join(',')}]`,
            );
          }
          const perFrame = tf.mean(node, [1, 2]);
          return tf.mean(tf.reshape(perFrame, [batchFrames / frames, frames, c]), 1) as Tensor2D;
        });
        return (
          pooled.length === 1 ? pooled[0] : tf.div(tf.addN(pooled), pooled.length)
        ) as Tensor2D;
      });
    },
    apply(features) {
      if (features.rank !== 2 || features.shape[1] !== channels) {
        throw new EngineError(
          `head: expected features [B, ${channels}], got [${features.shape.join(',')}]`,
        );
      }
      return tf.tidy(() => tf.add(tf.matMul(features, kernel), bias) as Tensor2D);
    },
  };
}
