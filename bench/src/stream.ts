// `pnpm bench stream`: one five-step pipeline over 10 million records, three ways:
// @tally/stream, a hand-written loop doing the same work, and @thi.ng/transducers.
// All three must compute the same checksum. Prints records/s per contender and, last,
// a JSON line with ratio_vs_hand_loop = our time / the hand loop's time.
//
// What this measures: one pipeline alone in its process, the library's overhead per step against
// code written by hand. libs/stream/README.md ("Performance") puts the figure beside what a consumer
// spends per record, and says why the stage copies that once won this bench were removed.
import * as thing from '@thi.ng/transducers';
import { comp, dedupe, filter, map, reducer, scan, transduce } from '@tally/stream';

const RECORDS = 10_000_000;
const RUNS = 5;

/**
 * The raw input: one 32-bit word per record (low 10 bits: instance, the rest: bytes), as a
 * typed array, so the input itself is not 10 million objects. Step 1 decodes each word into a
 * small object, as a consumer decodes a Kafka message, so every contender allocates the same.
 */
function generate(n: number): Uint32Array {
  const words = new Uint32Array(n);
  let s = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    // xorshift32: deterministic, so every run sees the same records
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  return words;
}

interface Sample {
  readonly instance: number;
  readonly bytes: number;
}

// The five steps, shared by all contenders so they do the same work.
const decode = (word: number): Sample => ({ instance: word & 1023, bytes: word >>> 10 });
const billable = (s: Sample): boolean => s.bytes % 10 !== 0; // drops ~10%
const amount = (s: Sample): number => (s.bytes >>> 16) + (s.instance & 3); // coarse: consecutive repeats happen
const runningTotal = (total: number, x: number): number => (total + x) | 0;
const mix = (acc: number, x: number): number => (Math.imul(acc, 31) + x) | 0;

function ours(words: Uint32Array): number {
  const xf = comp(
    map(decode),
    filter(billable),
    map(amount),
    dedupe<number>(),
    scan(runningTotal, () => 0),
  );
  return transduce(
    xf,
    reducer(() => 0, mix),
    words,
  );
}

function handLoop(words: Uint32Array): number {
  let started = false;
  let previous = 0;
  let total = 0;
  let acc = 0;
  for (let i = 0; i < words.length; i++) {
    const s = decode(words[i] as number);
    if (!billable(s)) continue;
    const a = amount(s);
    const duplicate = started && a === previous;
    started = true;
    previous = a;
    if (duplicate) continue;
    total = runningTotal(total, a);
    acc = mix(acc, total);
  }
  return acc;
}

function thiNg(words: Uint32Array): number {
  const xf = thing.comp(
    thing.map(decode),
    thing.filter(billable),
    thing.map(amount),
    thing.dedupe<number>(),
    thing.scan(thing.reducer(() => 0, runningTotal)),
  );
  return thing.transduce(
    xf,
    thing.reducer(() => 0, mix),
    words,
  );
}

interface Contender {
  readonly name: string;
  readonly fn: (words: Uint32Array) => number;
  readonly times: number[];
  checksum?: number;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function rps(ms: number): number {
  return Math.round((RECORDS / ms) * 1000);
}

export function run(): void {
  process.stderr.write(`generating ${RECORDS.toLocaleString('en')} records...\n`);
  const words = generate(RECORDS);
  const contenders: Contender[] = [
    { name: '@tally/stream', fn: ours, times: [] },
    { name: 'hand loop', fn: handLoop, times: [] },
    { name: '@thi.ng/transducers', fn: thiNg, times: [] },
  ];

  for (const c of contenders) {
    process.stderr.write(`warming up ${c.name}...\n`);
    c.checksum = c.fn(words);
  }
  const expected = contenders[1]?.checksum;
  for (const c of contenders) {
    if (c.checksum !== expected) {
      throw new Error(`checksum mismatch: ${c.name} gave ${c.checksum}, hand loop gave ${expected}`);
    }
  }

  // Interleave the runs so drift (thermal, GC) affects every contender alike.
  for (let r = 1; r <= RUNS; r++) {
    process.stderr.write(`run ${r}/${RUNS}\n`);
    for (const c of contenders) {
      const start = process.hrtime.bigint();
      const checksum = c.fn(words);
      c.times.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (checksum !== expected) throw new Error(`checksum mismatch in run ${r}: ${c.name}`);
    }
  }

  const [tally, hand, thingC] = contenders.map((c) => median(c.times)) as [number, number, number];
  for (const c of contenders) {
    const ms = median(c.times);
    console.log(
      `${c.name.padEnd(20)} ${(rps(ms) / 1e6).toFixed(1).padStart(7)} M records/s  (median of ${RUNS}: ${ms.toFixed(1)} ms, best ${Math.min(...c.times).toFixed(1)} ms)`,
    );
  }
  console.log(
    JSON.stringify({
      bench: 'stream',
      records: RECORDS,
      ours_rps: rps(tally),
      hand_loop_rps: rps(hand),
      thing_rps: rps(thingC),
      ratio_vs_hand_loop: Number((tally / hand).toFixed(2)),
    }),
  );
}
