/**
 * AssembleNet-TS public API: the only module that pipelines/, evolution/ and datasets/ import.
 * Each section re-exports one mechanism of src/ (arrows point down: train -> model -> engine).
 */

// errors
export * from './errors.ts';

// engine: TensorFlow.js backend choice, kernels, (2+1)D op
export * from './engine/index.ts';

// engine: checkpoints (model.json + weights.bin, optimizer state) and the wasm heap guard
export * from './engine/weightsIO.ts';
export * from './engine/memoryGuard.ts';

// video: ffmpeg/ffprobe resolution
export * from './video/tools.ts';
export * from './video/bounds.ts';

// video: probing, streamed rgb24 decoding (resize/crop, fps, seek), clip sampling per stream rate
export * from './video/probe.ts';
export * from './video/decode.ts';
export * from './video/geometry.ts';
export * from './video/clips.ts';

// video: encoding rgb24 frames to a file (datasets' synthetic generator)
export * from './video/encode.ts';

// video: still images (PNG/JPEG) <-> rgb24 through ffmpeg
export * from './video/image.ts';

// flow: TV-L1 (WebAssembly SIMD) and Farneback (OpenCV.js), computeFlow, normalisation, .flo IO, EPE, synthetic pairs
export * from './flow/index.ts';

// metrics: top-k, mean class accuracy, confusion matrix, Charades mAP, multi-view aggregation
export * from './metrics/index.ts';

// model: genomes (validation, official flat-list codec), scaling and counts, genome -> network
export * from './model/index.ts';

// train: cosine schedule, losses, SGD momentum, prefetch, training loop, resumable checkpoints, progress/JSONL logs
export * from './train/index.ts';

// util: seeded random numbers with saveable state
export * from './util/random.ts';
export * from './util/lanes.ts';
export { writeFileAtomic, writeFileAtomicAsync, writeJsonAtomic } from './util/atomicFile.ts';

// workers: piscina pool (TypeScript tasks, zero-copy results), clip task (decode + flow), clip cache, extraction
export * from './workers/index.ts';

// data: clips from the worker pool -> tensor batches for training and evaluation
export * from './data/clipBatches.ts';
export * from './data/augment.ts';

// distill: KD losses, teacher logits cache, student architectures ((2+1)D inverted bottlenecks), measured latency, student search
export * from './distill/index.ts';
