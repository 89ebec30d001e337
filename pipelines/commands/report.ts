import type { Command } from 'commander';
import { selectBackend } from '../../src/index.ts';
import { writeReport } from '../report/index.ts';

interface ReportFlags {
  out?: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<dir>', 'an output folder of train, eval, evolve, distill or run (or an eval JSON)')
    .description(
      'one self-contained HTML page (inline SVG, no network) of an output folder: genome graphs, training curves, evaluation, evolution, distillation',
    )
    .option('--out <file>', 'where to write the page (default: <dir>/report.html)')
    .action(async (dir: string, flags: ReportFlags) => {
      // Learned connection weights are read by rebuilding small networks: the reference backend.
      await selectBackend('cpu');
      const file = await writeReport(dir, {}, flags.out);
      process.stdout.write(`report: ${file}\n`);
    });
}
