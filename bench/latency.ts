/**
 * Batch-1 end-to-end latency per clip: the two-stream teacher against an RGB-only student.
 *
 * `npm run bench -- latency [--json] [--runs N] [--student FILE] [--flow farneback|tvl1]`
 *
 * Baseline (teacher): the scaled AssembleNet-50 graph (evolution/assemblenet-50.json, width 0.25,
 * modules 1,1,1,1, random init) at the demo's clip shape (8 frames, 64 px, Farneback flow as in
 * pipelines/demo.json): decode + optical flow of a real generated video in a pool worker, then
 * the forward pass. Project (student): evolution/students/mobile-rgb.json (or --student) at its
 * own clip shape: decode only, no flow, then the forward pass. The same student at the teacher's
 * clip shape is timed too (printed and in the JSON, not in the ratio). Each: median of N timed
 * runs after 2 warm-up runs, no clip cache, 1 pool worker, wasm backend.
 * Ratio = teacher ms / student ms (> 1: the student answers faster).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSyntheticDataset, parseSyntheticSpec, readManifest } from '../datasets/index.ts';
import {
  ClipPool,
  backendReport,
  clipTemplate,
  countParameters,
  countStudentParameters,
  createAssembleNet,
  createStudent,
  readGenome,
  readStudent,
  selectBackend,
  studentStreams,
  tf,
  type StudentArch,
} from '../src/index.ts';
import { measureClipLatency, type ClipLatency } from '../pipelines/jobs/clipLatency.ts';
import { parseRunConfig, templateFor } from '../src/networks/runConfig.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GENOME_FILE = join(ROOT, 'evolution', 'assemblenet-50.json');
const STUDENT_FILE = join(ROOT, 'evolution', 'students', 'mobile-rgb.json');
const CLASSES = 8;

const arg = (args: string[], name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** One real clip source: the first synthetic-motion video (64x64, 24 frames at 12 fps, H.264). */
async function generatedVideo(dir: string): Promise<string> {
  const builtin = JSON.parse(
    readFileSync(join(ROOT, 'datasets', 'synthetic-motion.json'), 'utf8'),
  ) as { classes: unknown[] };
  const spec = parseSyntheticSpec({
    ...builtin,
    name: 'bench-latency',
    videosPerClass: 1,
    splits: { train: 1, val: 0, test: 0 },
    classes: builtin.classes.slice(0, 2),
  });
  const generated = await generateSyntheticDataset(spec, { out: join(dir, 'videos') });
  return readManifest(generated.manifests[0]!).manifest.items[0]!.path;
}

export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const runs = Number(arg(args, '--runs') ?? 10);
  const flow = (arg(args, '--flow') ?? 'farneback') as 'farneback' | 'tvl1';
  const studentFile = arg(args, '--student') ?? STUDENT_FILE;
  await selectBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'anet-bench-latency-'));
  const pool = new ClipPool({ workers: 1 });
  try {
    const video = await generatedVideo(dir);
    const config = parseRunConfig({
      frames: 8,
      size: 64,
      width: 0.25,
      modules: [1, 1, 1, 1],
      flow,
      testClips: 1,
    });
    const genome = readGenome(GENOME_FILE);
    const teacherOptions = {
      numClasses: CLASSES,
      frames: config.frames,
      widthMultiplier: config.width,
      modulesPerLevel: config.modules,
      temporalModules: 'even' as const,
      seed: 1,
    };
    const teacher = createAssembleNet(genome, teacherOptions);
    let teacherTime: ClipLatency;
    try {
      teacherTime = await measureClipLatency({
        pool,
        video,
        template: templateFor(genome, config, dir),
        forward: (inputs) => teacher.apply(inputs, false),
        runs,
      });
    } finally {
      teacher.dispose();
    }

    const timeStudent = async (arch: StudentArch): Promise<ClipLatency> => {
      const network = createStudent(arch, { numClasses: CLASSES, seed: 1 });
      try {
        const template = clipTemplate({
          streams: studentStreams(arch),
          frames: arch.frames,
          size: arch.resolution,
          fps: config.fps,
          flow,
          cacheDir: dir,
        });
        return await measureClipLatency({
          pool,
          video,
          template,
          forward: (inputs) => network.apply(inputs, false),
          runs,
        });
      } finally {
        network.dispose();
      }
    };
    const student = readStudent(studentFile);
    if (studentStreams(student).includes('flow'))
      throw new Error(
        `bench latency: expected an RGB-only student, got ${student.streams} (${studentFile})`,
      );
    const studentTime = await timeStudent(student);
    const atTeacherShape = {
      ...student,
      name: `${student.name}@${config.frames}x${config.size}`,
      frames: config.frames,
      resolution: config.size,
    };
    const studentAtTeacherTime = await timeStudent(atTeacherShape);

    const ratio = teacherTime.totalMs / studentTime.totalMs;
    const flowShare = teacherTime.flowMs / teacherTime.totalMs;
    const threads = backendReport()?.threads ?? 1;
    const cpuModel = cpus()[0]?.model ?? 'unknown';
    const teacherParams = countParameters(genome, teacherOptions).total;
    const studentParams = countStudentParameters(student, CLASSES).total;
    const shapes = `teacher: assemblenet-50 width 0.25 modules 1,1,1,1, rgb [8,64,64,3] + ${flow} flow [8,64,64,2]; student: ${student.name}, rgb [${student.frames},${student.resolution},${student.resolution},3]; batch 1, ${CLASSES} classes, 64x64 h264 source video`;
    const describe = (label: string, t: ClipLatency) =>
      `  ${label.padEnd(34)} ${t.totalMs.toFixed(1).padStart(7)} ms  (clip ${t.clipMs.toFixed(1)}: decode ${t.decodeMs.toFixed(1)}, flow ${t.flowMs.toFixed(1)}; model ${t.modelMs.toFixed(1)})`;
    const lines = [
      `latency: batch-1 end to end per clip (no cache, 1 pool worker) on wasm (${threads} thread), ${cpuModel}, ${availableParallelism()} cores seen, load ${loadavg()[0]!.toFixed(1)}; median of ${runs} runs`,
      `  ${shapes}`,
      describe(`teacher (two-stream, ${(teacherParams / 1e6).toFixed(2)}M params)`, teacherTime),
      describe(
        `student ${student.name} (${(studentParams / 1e6).toFixed(2)}M params)`,
        studentTime,
      ),
      describe(`student at 8 frames x 64 px`, studentAtTeacherTime),
      `  teacher flow share: ${(100 * flowShare).toFixed(1)}% of its end-to-end time`,
      `  ratio (teacher ms / student ms): ${ratio.toFixed(2)}x (student at the teacher's clip shape: ${(teacherTime.totalMs / studentAtTeacherTime.totalMs).toFixed(2)}x)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (json) {
      const detail = (t: ClipLatency) => ({
        total_ms: round(t.totalMs),
        clip_ms: round(t.clipMs),
        decode_ms: round(t.decodeMs),
        flow_ms: round(t.flowMs),
        model_ms: round(t.modelMs),
      });
      process.stdout.write(
        `${JSON.stringify({
          bench: 'latency',
          ratio: round(ratio, 2),
          project_ms: round(studentTime.totalMs),
          baseline_ms: round(teacherTime.totalMs),
          baseline: `two-stream teacher (scaled AssembleNet-50, random init): decode + ${flow} flow + model, batch 1, no cache`,
          project: `RGB-only student ${student.name}: decode + model, batch 1, no cache`,
          shapes,
          flow_share: round(flowShare, 3),
          teacher: detail(teacherTime),
          student: detail(studentTime),
          student_at_teacher_shape: detail(studentAtTeacherTime),
          ratio_at_teacher_shape: round(teacherTime.totalMs / studentAtTeacherTime.totalMs, 2),
          teacher_params: teacherParams,
          student_params: studentParams,
          runs,
          threads,
          os: `${process.platform} ${process.arch}`,
          cpu: cpuModel,
          cores: cpus().length,
          cores_available: availableParallelism(),
          backend: tf.getBackend(),
          load: round(loadavg()[0]!, 1),
          node: process.version,
          tfjs: tf.version.tfjs,
        })}\n`,
      );
    }
  } finally {
    await pool.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
