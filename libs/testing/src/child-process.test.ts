import { describe, expect, it } from 'vitest';
import { boundedOutput } from './child-process.ts';

describe('boundedOutput', () => {
  it('keeps everything while it fits', () => {
    const output = boundedOutput(10, 10);
    output.append('abc');
    output.append('def');
    expect(output.text()).toBe('abcdef');
  });

  it('keeps a start-up marker after a flood of later lines, and the latest lines', () => {
    const output = boundedOutput(100, 50);
    output.append('metering started\n');
    for (let line = 0; line < 10_000; line += 1) output.append(`dead-lettered ${line}\n`);
    const text = output.text();
    expect(text).toContain('metering started');
    expect(text).toContain('dead-lettered 9999');
    expect(text).toContain('(output cut)');
    expect(text.length).toBeLessThan(200);
  });
});
