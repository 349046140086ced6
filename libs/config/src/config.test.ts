import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, connectionEnv, loadConfig } from './index.ts';

describe('loadConfig', () => {
  it('applies defaults and splits broker lists', () => {
    const config = loadConfig(connectionEnv, { KAFKA_BROKERS: 'a:1, b:2' });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/test');
  });

  it('names every invalid variable', () => {
    const schema = z.object({ PORT: z.coerce.number().int(), URL: z.url() });
    expect(() => loadConfig(schema, { PORT: 'x', URL: 'nope' })).toThrowError(ConfigError);
    expect(() => loadConfig(schema, { PORT: 'x', URL: 'nope' })).toThrowError(/PORT[\s\S]*URL/);
  });
});
