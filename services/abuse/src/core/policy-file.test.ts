import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, parsePolicy } from './policy.ts';

describe('policy.example.yaml', () => {
  it('documents exactly the defaults', () => {
    const text = readFileSync(new URL('../../policy.example.yaml', import.meta.url), 'utf8');
    expect(parsePolicy(text)).toEqual(defaultPolicy);
  });
});
