import { describe, expect, it } from 'vitest';
import { sideOutput } from './side-output.ts';

describe('sideOutput', () => {
  it('collects until drained', () => {
    const out = sideOutput<number>();
    out.emit(1);
    out.emit(2);
    expect(out.items).toEqual([1, 2]);
    expect(out.drain()).toEqual([1, 2]);
    expect(out.items).toEqual([]);
    out.emit(3);
    expect(out.drain()).toEqual([3]);
  });
  it('emit works unbound', () => {
    const out = sideOutput<string>();
    const { emit } = out;
    emit('a');
    expect(out.items).toEqual(['a']);
  });
});
