/** One timed action inside a video (Charades-style), in seconds. */
export interface Segment {
  /** Class index into Manifest.classes. */
  label: number;
  start: number;
  end: number;
}

/** One video of a dataset. */
export interface ManifestItem {
  /** Dataset-wide id (Kinetics: `{youtube_id}_{start:06d}_{end:06d}`, Charades: the video id). */
  id: string;
  /** Absolute path of the video file (inside Manifest.root when a root was given). */
  path: string;
  /** Class indices into Manifest.classes; empty for unlabelled (inference / test) rows. */
  labels: number[];
  segments?: Segment[];
  /** 'train' | 'val' | 'test' | whatever the source says ('all' when it says nothing). */
  split: string;
  /** Seconds, when the manifest states it. */
  duration?: number;
  /** File and line the item came from, for error messages downstream. */
  source?: string;
}

export type ManifestKind = 'kinetics' | 'charades' | 'folder' | 'list';

/** A dataset as every reader returns it. */
export interface Manifest {
  kind: ManifestKind;
  /**
   * Absolute dataset root: where Kinetics/Charades clips are looked for and what list ids are
   * relative to. Item paths lie inside it when it was given (`ManifestOptions.root`).
   */
  root: string;
  /** Class names, index = label. */
  classes: string[];
  /** Charades-style class codes (c000...), parallel to `classes`, when the source has them. */
  classCodes?: string[];
  /** True when a video may carry several labels (sigmoid + BCE, mAP); false for softmax sets. */
  multiLabel: boolean;
  items: ManifestItem[];
  /** Rows reported instead of read (when `missing` is 'skip' or 'keep'): "id (file:line: why)". */
  missing: string[];
  /** What the reader decided on its own (labels file picked, layout found, ...). */
  notes: string[];
}

/**
 * What to do with rows whose video file does not exist (or whose path is ambiguous):
 * 'error' (default) throws one InputError listing every such row (file:line and why);
 * 'skip' (`--allow-missing`) leaves them out and lists them in Manifest.missing;
 * 'keep' keeps the expected path (and lists the row); 'unchecked' does not look for the videos
 * at all: every row is kept at its expected path, nothing is listed (scoring needs only ids and
 * labels, and looking costs up to 30 file checks a row on a Kinetics-size manifest).
 */
export type MissingPolicy = 'skip' | 'keep' | 'error' | 'unchecked';

export interface ManifestOptions {
  /**
   * Confines every resolved path, after symbolic links, to this folder (`--root`, for
   * manifests from elsewhere). Kinetics/Charades clips are looked for under it. Default: no
   * confinement; clips are looked for beside the manifest, list paths are relative to it.
   */
  root?: string;
  /** Class list file: one name per line (Kinetics/list) or `c000 name` (Charades). */
  classes?: string;
  /** Split for sources that do not state one (Charades CSV, folders, lists). */
  split?: string;
  /** Default 'skip' (and listed in Manifest.missing); 'keep' leaves the expected path. */
  missing?: MissingPolicy;
}
