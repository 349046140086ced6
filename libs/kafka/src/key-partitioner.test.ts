import fc from 'fast-check';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, murmur2 } from './key-partitioner.ts';

function metadata(count: number): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));
}

describe('keyPartitioner', () => {
  const ours = keyPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  const samePartition = (key: string | Buffer, partitions: number): void => {
    const args = { topic: 't', partitionMetadata: metadata(partitions), message: { key, value: null } };
    expect(ours(args)).toBe(theirs(args));
  };

  it('puts every string key on the partition kafkajs puts it on, for any partition count', () => {
    fc.assert(
      fc.property(
        // Any code points, lone surrogates included (fc.string's 'binary' unit is ~100× slower to run).
        fc
          .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 40 })
          .map((points) => String.fromCodePoint(...points)),
        fc.integer({ min: 1, max: 64 }),
        samePartition,
      ),
      { numRuns: 1_000 },
    );
  });

  it('puts every byte key on the partition kafkajs puts it on, for any partition count', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
        fc.integer({ min: 1, max: 64 }),
        samePartition,
      ),
      { numRuns: 1_000 },
    );
  });

  it('matches the Java client on known keys', () => {
    // Values of org.apache.kafka.common.utils.Utils.murmur2 (Kafka's own UtilsTest).
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });

  it('keeps a message’s own partition and spreads keyless messages over partitions with a leader', () => {
    const partition = keyPartitioner();
    const partitionMetadata = metadata(4).map((p) => (p.partitionId === 2 ? { ...p, leader: -1 } : p));
    expect(partition({ topic: 't', partitionMetadata, message: { key: 'k', value: null, partition: 3 } })).toBe(3);
    const seen = new Set(
      Array.from({ length: 12 }, () => partition({ topic: 't', partitionMetadata, message: { value: null } })),
    );
    expect([...seen].sort()).toEqual([0, 1, 3]);
  });
});
