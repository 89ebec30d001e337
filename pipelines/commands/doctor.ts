import { createRequire } from 'node:module';
import type { Command } from 'commander';
import {
  describeError,
  listToolCandidates,
  resolveTool,
  selectBackend,
  selfCheck,
  tf,
  toolVersion,
  type ToolName,
} from '../../src/index.ts';
import { backendOption, type BackendFlag } from '../options.ts';

const require = createRequire(import.meta.url);

interface CandidateReport {
  source: string;
  path: string | null;
  version: string | null;
  /** The build's year (end of its copyright range). */
  built: number | null;
  chosen: boolean;
  passedOver: string | null;
}

interface ToolReport {
  path: string | null;
  source: string | null;
  version: string | null;
  error?: string;
  /** Every place a binary is looked for, in order, with what was found there. */
  candidates: CandidateReport[];
}

function inspectTool(name: ToolName): ToolReport {
  const candidates = listToolCandidates(name).map((candidate) => ({
    source: candidate.source,
    path: candidate.path,
    version: candidate.build?.version ?? null,
    built: candidate.build?.year ?? null,
    chosen: candidate.chosen,
    passedOver: candidate.passedOver,
  }));
  try {
    const tool = resolveTool(name);
    return { path: tool.path, source: tool.source, version: toolVersion(tool), candidates };
  } catch (error) {
    return { path: null, source: null, version: null, error: describeError(error), candidates };
  }
}

/** One line per candidate that has a binary: chosen mark, source, version, build year, path. */
function candidateLines(report: ToolReport): string[] {
  return report.candidates
    .filter((candidate) => candidate.path)
    .map(
      (candidate) =>
        `  ${candidate.chosen ? '*' : ' '} ${candidate.source}: ${candidate.version ?? '?'}` +
        ` (built ${candidate.built ?? '?'}) ${candidate.path}` +
        (candidate.passedOver ? ` [passed over: ${candidate.passedOver}]` : ''),
    );
}

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('report versions, the chosen backend, ffmpeg/ffprobe, and check the (2+1)D op')
    .addOption(backendOption())
    .option('--json', 'end with one JSON object on the last line')
    .action(async (options: BackendFlag & { json?: boolean }) => {
      const report = await selectBackend(options.backend);
      const ffmpeg = inspectTool('ffmpeg');
      const ffprobe = inspectTool('ffprobe');
      let check: string;
      let checkDetail: string;
      try {
        const result = await selfCheck();
        check = result.ok ? 'ok' : result.detail;
        checkDetail = result.detail;
      } catch (error) {
        check = describeError(error);
        checkDetail = check;
      }
      const summary = {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        tfjs: tf.version.tfjs,
        tfjsBackendWasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
        backend: report.chosen,
        backendRequested: report.requested,
        backendSkipped: report.skipped,
        threads: report.threads,
        wasmThreads: report.wasmThreads,
        kernelOverrides: report.kernelOverrides,
        nativeConv: report.nativeConv ?? null,
        ffmpeg: ffmpeg.path,
        ffmpegSource: ffmpeg.source,
        ffmpegVersion: ffmpeg.version ?? ffmpeg.error,
        ffprobe: ffprobe.path,
        ffprobeSource: ffprobe.source,
        ffprobeVersion: ffprobe.version ?? ffprobe.error,
        ffmpegCandidates: ffmpeg.candidates,
        ffprobeCandidates: ffprobe.candidates,
        check,
      };
      const lines = [
        `node        ${summary.node} (${summary.platform})`,
        `tfjs        ${summary.tfjs}, tfjs-backend-wasm ${summary.tfjsBackendWasm ?? 'missing'}`,
        `backend     ${report.chosen} (asked: ${report.requested}, threads: ${report.threads})`,
        ...report.skipped.map((s) => `  skipped   ${s.backend}: ${s.reason}`),
        `kernels     ${report.kernelOverrides.length ? report.kernelOverrides.join(', ') : 'stock'}`,
        ...(report.nativeConv ? [`convs       ${report.nativeConv}`] : []),
        `ffmpeg      ${ffmpeg.path ? `${ffmpeg.path} [${ffmpeg.source}] ${ffmpeg.version}` : ffmpeg.error}`,
        ...candidateLines(ffmpeg),
        `ffprobe     ${ffprobe.path ? `${ffprobe.path} [${ffprobe.source}] ${ffprobe.version}` : ffprobe.error}`,
        ...candidateLines(ffprobe),
        `check       ${checkDetail}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (check !== 'ok' || !ffmpeg.path || !ffprobe.path) process.exitCode = 1;
    });
}
