import { rename, writeFile } from 'node:fs/promises';
import type { GroundTruth, HourTotals } from './ground-truth.ts';

/** The ground truth as JSON: what a test compares metering's output with. */
export interface GroundTruthFile {
  readonly distinctSamples: number;
  readonly duplicates: number;
  /** Samples the simulator sends, faults included (duplicates count each time). */
  readonly sentSamples: number;
  readonly hours: readonly HourTotals[];
}

/** Writes the file atomically (temp file, then rename), so a reader never sees half of it. */
export async function writeGroundTruth(path: string, truth: GroundTruth, sentSamples: number): Promise<void> {
  const file: GroundTruthFile = {
    distinctSamples: truth.distinctSamples,
    duplicates: truth.duplicates,
    sentSamples,
    hours: [...truth.hours.values()],
  };
  await writeFile(`${path}.tmp`, JSON.stringify(file));
  await rename(`${path}.tmp`, path);
}
