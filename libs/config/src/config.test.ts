import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, connectionEnv, dbSchemaName, loadConfig } from './index.ts';

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

describe('empty values', () => {
  const schema = z.object({ PORT: z.coerce.number().int().default(9464), NAME: z.string().default('x') });

  it('are refused, not read as 0 or as an empty string', () => {
    expect(() => loadConfig(schema, { PORT: '' })).toThrowError(/PORT: empty; unset it/);
    expect(() => loadConfig(schema, { PORT: '  ', NAME: '' })).toThrowError(/PORT: empty[\s\S]*NAME: empty/);
    expect(() => loadConfig(connectionEnv, { KAFKA_BROKERS: '' })).toThrowError(/KAFKA_BROKERS: empty/);
  });

  it('of variables the schema does not know are ignored; unset ones take the default', () => {
    expect(loadConfig(schema, { OTHER: '' })).toEqual({ PORT: 9464, NAME: 'x' });
  });
});

describe('dbSchemaName', () => {
  it('accepts plain identifiers and refuses anything that could carry quoting or SQL', () => {
    for (const name of ['billing', 'public', 'test_0a1b2c', '_x'])
      expect(dbSchemaName.safeParse(name).success).toBe(true);
    for (const name of ['', 'Billing', 'a-b', 'x"; DROP TABLE invoices; --', 'a,public', '1abc', 'a'.repeat(64)]) {
      expect(dbSchemaName.safeParse(name).success, name).toBe(false);
    }
  });
});
