/**
 * The classify side files without a network: the CSV round-trips through csv-parse (quotes,
 * commas, newlines), the Charades file is the metrics writer's, and an id it cannot hold is
 * refused before any video is classified.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckpointNetwork } from '../../src/networks/checkpointNetwork.ts';
import {
  formatCharades,
  formatCsv,
  runClassifyJob,
  type ClassifyOkRow,
} from '../../pipelines/jobs/classify.ts';
import { parseCharadesSubmission } from '../../src/metrics/submission.ts';

const dir = mkdtempSync(join(tmpdir(), 'anet-classify-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function okRow(video: string, id: string, labels: string[], scores: number[]): ClassifyOkRow {
  return {
    video,
    id,
    top: labels.map((label, index) => ({ label, index, score: scores[index]! })),
    scores,
    clips: 1,
    ms: 1,
  };
}

describe('classify --format csv', () => {
  it('round-trips quotes, commas and newlines through csv-parse', () => {
    const rows = [
      okRow('/v/say "hi".mp4', 'say "hi"', ['left, slow', 'he said "go"'], [0.75, 0.25]),
      okRow('/v/two\nlines.mp4', 'two\nlines', ['multi\r\nline', 'plain'], [0.5, 1e-7]),
    ];
    const text = formatCsv(rows);
    expect(text.endsWith('\n')).toBe(true);
    const parsed = parse(text) as string[][];
    expect(parsed).toEqual([
      ['video', 'label', 'score'],
      ['/v/say "hi".mp4', 'left, slow', '0.75'],
      ['/v/say "hi".mp4', 'he said "go"', '0.25'],
      ['/v/two\nlines.mp4', 'multi\r\nline', '0.5'],
      ['/v/two\nlines.mp4', 'plain', '1e-7'],
    ]);
    // only the fields that need it are quoted
    expect(text.startsWith('video,label,score\n"/v/say ""hi"".mp4","left, slow",0.75\n')).toBe(
      true,
    );
    expect(text.endsWith('"/v/two\nlines.mp4",plain,1e-7\n')).toBe(true);
  });
});

describe('classify --format charades', () => {
  it('writes the submission lines the metrics reader reads back exactly', () => {
    const rows = [
      okRow('/v/46GP8.mp4', '46GP8', ['a'], [0.1, 0.2, 0.30000000000000004]),
      okRow('/v/b/clip.mp4', 'b/clip', ['b'], [1, 0, 1e-7]),
    ];
    const text = formatCharades(rows);
    expect(text).toBe('46GP8 0.1 0.2 0.30000000000000004\nb/clip 1 0 1e-7\n');
    const parsed = parseCharadesSubmission(text, 3);
    expect(parsed.videoIds).toEqual(['46GP8', 'b/clip']);
    expect(Array.from(parsed.scores.data)).toEqual([0.1, 0.2, 0.30000000000000004, 1, 0, 1e-7]);
    expect(formatCharades([])).toBe('');
  });

  it('refuses an id holding whitespace instead of rewriting it', () => {
    expect(() => formatCharades([okRow('/v/a b.mp4', 'a b', ['a'], [1])])).toThrow(
      /expected a video id without spaces .*got "a b"/,
    );
  });

  it('the job refuses such an id before classifying anything, and writes nothing', async () => {
    // runClassifyJob reads only the class count and test clips of the model when a classifier
    // is given; the classifier records whether it was asked for anything
    const model = { classes: ['a', 'b'], config: { testClips: 1 } } as unknown as CheckpointNetwork;
    const asked: string[][] = [];
    const out = join(dir, 'out.jsonl');
    await expect(
      runClassifyJob({
        model,
        videos: ['/v/ok.mp4', '/v/my clip.mp4'],
        ids: new Map([
          ['/v/ok.mp4', 'ok'],
          ['/v/my clip.mp4', 'my clip'],
        ]),
        out,
        cacheDir: dir,
        format: 'charades',
        progress: false,
        classifier: async (videos) => {
          asked.push(videos);
        },
      }),
    ).rejects.toThrow(
      /classify: --format charades: expected a video id without spaces .*"my clip" \(video \/v\/my clip\.mp4\)/,
    );
    expect(asked).toEqual([]);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.charades.txt`)).toBe(false);
  });
});
