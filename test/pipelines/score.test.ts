import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scorePredictions } from '../../pipelines/commands/score.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'score-'));
}

const CHARADES_HEADER =
  'id,subject,scene,quality,relevance,verified,script,objects,descriptions,actions,length';

describe('score', () => {
  it('Charades submission format -> mAP over classes with a positive (hand-computed)', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'Charades_v1_classes.txt'),
      'c000 Holding a cup\nc001 Opening a door\nc002 Sitting, then standing\n',
    );
    writeFileSync(
      join(dir, 'Charades_v1_test.csv'),
      [
        CHARADES_HEADER,
        'V1,s,Kitchen,5,5,Yes,"a person, holding a cup",cup,"x, y",c000 0.0 2.0;c001 1.0 3.0,5.0',
        'V2,s,Hall,5,5,Yes,script,door,desc,c001 0.0 4.0,5.0',
        'V3,s,Hall,5,5,Yes,script,,desc,c000 0.5 1.5,5.0',
        'V4,s,Hall,5,5,Yes,script,,desc,,5.0',
      ].join('\n'),
    );
    // class 0 positives V1,V3; scores V1 .9 V2 .8 V3 .7 V4 .1 -> ranks: V1(+) V2(-) V3(+): AP = (1 + 2/3)/2
    // class 1 positives V1,V2; scores V1 .2 V2 .6 V3 .4 V4 .3 -> V2(+) V3(-) V4(-) V1(+): AP = (1 + 2/4)/2
    // class 2 has no positive: left out of the mean.
    writeFileSync(
      join(dir, 'pred.txt'),
      'V1 0.9 0.2 0.5\nV2 0.8 0.6 0.5\nV3 0.7 0.4 0.5\nV4 0.1 0.3 0.5\n',
    );
    const { summary, missing } = scorePredictions({
      pred: join(dir, 'pred.txt'),
      gt: join(dir, 'Charades_v1_test.csv'),
    });
    expect(summary.multi_label).toBe(true);
    expect(summary.classes_used).toBe(2);
    expect(summary.map).toBeCloseTo(((1 + 2 / 3) / 2 + (1 + 2 / 4) / 2) / 2, 12);
    expect(missing).toBe(0);
  });

  it('Kinetics CSV + JSONL (scores and top-k rows) -> top-1, top-5, mean class accuracy', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'test.csv'),
      [
        'label,youtube_id,time_start,time_end,split',
        'left,a,0,10,test',
        'left,b,0,10,test',
        'right,c,0,10,test',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'pred.jsonl'),
      [
        JSON.stringify({ video: '/x/a_000000_000010.mp4', scores: [0.9, 0.1] }),
        JSON.stringify({
          id: 'b_000000_000010',
          top: [
            { label: 'right', score: 0.7 },
            { label: 'left', score: 0.3 },
          ],
        }),
        JSON.stringify({ id: 'c_000000_000010', scores: [0.2, 0.8] }),
      ].join('\n'),
    );
    const { summary } = scorePredictions({
      pred: join(dir, 'pred.jsonl'),
      gt: join(dir, 'test.csv'),
    });
    expect(summary.multi_label).toBe(false);
    expect(summary.top1).toBeCloseTo(2 / 3, 12);
    expect(summary.top5).toBe(1);
    expect(summary.mean_class_accuracy).toBeCloseTo((1 / 2 + 1) / 2, 12);
  });

  it('names the file and line of a bad prediction row', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'test.csv'),
      'label,youtube_id,time_start,time_end,split\nleft,a,0,10,test\nright,b,0,10,test\n',
    );
    writeFileSync(join(dir, 'pred.txt'), 'a_000000_000010 0.5 0.5\nb_000000_000010 0.5\n');
    expect(() =>
      scorePredictions({ pred: join(dir, 'pred.txt'), gt: join(dir, 'test.csv') }),
    ).toThrow(/expected "id" then 2 scores.*pred\.txt:2/);
  });
});
