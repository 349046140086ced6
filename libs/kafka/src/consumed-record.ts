import type { RawRecord } from './dead-letter.ts';

/** A decoded, validated record with where it came from; what pipelines receive. */
export interface ConsumedRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  timestamp: string;
  value: T;
  raw: RawRecord;
}
