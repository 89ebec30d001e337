import { stringify } from 'csv-stringify/sync';
import { KINETICS_LABELS_FILE } from '../manifests/kinetics.ts';
import { CHARADES_COLUMNS } from '../manifests/charades.ts';
import type { DatasetPlan, SplitName, VideoPlan } from './plan.ts';
import { SHAPES } from './spec.ts';

/** One annotation file to write: name relative to the output folder, and its text. */
export interface AnnotationFile {
  name: string;
  text: string;
  role: 'manifest' | 'classes';
}

function csvLine(fields: (string | number)[]): string {
  return stringify([fields]);
}

const SPLITS: SplitName[] = ['train', 'val', 'test'];

/** Kinetics format: `{name}.csv` (every split) and labels.txt. */
function motionAnnotations(plan: DatasetPlan): AnnotationFile[] {
  let csv = csvLine(['label', 'youtube_id', 'time_start', 'time_end', 'split']);
  for (const video of plan.videos) {
    // ids are `{youtube_id}_{start}_{end}`; the CSV holds the parts
    const [, youtubeId, start, end] = /^(.*)_(\d{6})_(\d{6})$/.exec(video.id) ?? [];
    csv += csvLine([
      plan.classes[video.labels[0]],
      youtubeId,
      Number(start),
      Number(end),
      video.split,
    ]);
  }
  return [
    { name: `${plan.spec.name}.csv`, text: csv, role: 'manifest' },
    {
      name: KINETICS_LABELS_FILE,
      text: plan.classes.map((name) => `${name}\n`).join(''),
      role: 'classes',
    },
  ];
}

function describeActions(video: VideoPlan, plan: DatasetPlan): string {
  return video.segments
    .map((segment) => {
      const actor = video.scene.objects.find(
        (o) => o.motion && o.start === segment.startFrame && o.end === segment.endFrame,
      );
      return `a ${actor?.shape ?? 'shape'}: ${plan.classes[segment.label].toLowerCase()}`;
    })
    .join(', then ');
}

/** Charades format: `{name}_{split}.csv` per split and classes.txt (`c000 name`). */
function charadesAnnotations(plan: DatasetPlan): AnnotationFile[] {
  const { fps, frames } = plan.spec.video;
  const codes = plan.classCodes ?? [];
  const files: AnnotationFile[] = [];
  for (const split of SPLITS) {
    let csv = csvLine(CHARADES_COLUMNS);
    for (const video of plan.videos.filter((v) => v.split === split)) {
      const actions = video.segments
        .map(
          (s) =>
            `${codes[s.label]} ${(s.startFrame / fps).toFixed(2)} ${((s.endFrame + 1) / fps).toFixed(2)}`,
        )
        .join(';');
      const shapes = [...new Set(video.scene.objects.map((o) => o.shape))].filter((s) =>
        SHAPES.includes(s),
      );
      const script = `In a synthetic room, ${describeActions(video, plan)}.`;
      csv += csvLine([
        video.id,
        `S${String((video.index % 17) + 1).padStart(2, '0')}`,
        'Synthetic room',
        7,
        7,
        'Yes',
        script,
        shapes.join(';'),
        `${script} The camera shakes, a little.`,
        actions,
        (frames / fps).toFixed(2),
      ]);
    }
    files.push({ name: `${plan.spec.name}_${split}.csv`, text: csv, role: 'manifest' });
  }
  files.push({
    name: 'classes.txt',
    text: plan.classes.map((name, i) => `${codes[i]} ${name}\n`).join(''),
    role: 'classes',
  });
  return files;
}

/** The CSV(s) and class file that describe a planned dataset, in the real datasets' formats. */
export function datasetAnnotations(plan: DatasetPlan): AnnotationFile[] {
  return plan.spec.kind === 'motion' ? motionAnnotations(plan) : charadesAnnotations(plan);
}
