import { Option, type Command } from 'commander';
import {
  FLOW_METHODS,
  computeFlow,
  readImage,
  rgbToGray,
  writeFlo,
  InputError,
  type FlowMethod,
} from '../../src/index.ts';

interface FlowFlags {
  out: string;
  flow: FlowMethod;
  json?: boolean;
}

/** `assemblenet flow FRAME1 FRAME2 --out FILE.flo [--flow tvl1|farneback]`: one flow field at full resolution. */
export function registerFlow(program: Command): void {
  program
    .command('flow')
    .description(
      'optical flow between two images (PNG/JPEG) at full resolution, written as Middlebury .flo',
    )
    .argument('<frame1>', 'first image')
    .argument('<frame2>', 'second image (same size)')
    .requiredOption('--out <file.flo>', 'output .flo file')
    .addOption(
      new Option('--flow <method>', 'flow method').choices([...FLOW_METHODS]).default('tvl1'),
    )
    .option('--json', 'end with one JSON object on the last line')
    .action(async (frame1: string, frame2: string, flags: FlowFlags) => {
      const [first, second] = await Promise.all([readImage(frame1), readImage(frame2)]);
      if (first.width !== second.width || first.height !== second.height) {
        throw new InputError(
          `flow: expected two images of the same size, got ${first.width}x${first.height} and ${second.width}x${second.height}`,
        );
      }
      const { width, height } = first;
      const started = performance.now();
      const field = await computeFlow(
        rgbToGray(first.rgb, width, height),
        rgbToGray(second.rgb, width, height),
        width,
        height,
        {
          method: flags.flow,
        },
      );
      const ms = performance.now() - started;
      await writeFlo(flags.out, field, width, height);
      let sum = 0;
      let max = 0;
      for (let i = 0; i < field.length; i += 2) {
        const magnitude = Math.hypot(field[i], field[i + 1]);
        sum += magnitude;
        if (magnitude > max) max = magnitude;
      }
      const summary = {
        method: flags.flow,
        width,
        height,
        out: flags.out,
        ms: Math.round(ms),
        meanMagnitude: sum / (width * height),
        maxMagnitude: max,
      };
      process.stdout.write(
        `flow ${summary.method} ${width}x${height} in ${summary.ms} ms: mean |flow| ${summary.meanMagnitude.toFixed(3)} px, ` +
          `max ${summary.maxMagnitude.toFixed(3)} px -> ${flags.out}\n`,
      );
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
