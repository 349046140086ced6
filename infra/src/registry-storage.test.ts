import { describe, expect, it } from 'vitest';
import { describeRegistryStorage, registryStorageEnv } from './registry-storage.ts';

describe('registryStorageEnv', () => {
  it('points Apicurio at PostgreSQL, in its own schema, with a small pool', () => {
    expect(
      registryStorageEnv({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/test', dbSchema: 'apicurio' }),
    ).toEqual({
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'postgresql',
      APICURIO_DATASOURCE_URL:
        'jdbc:postgresql://127.0.0.1:5432/test?currentSchema=apicurio&ApplicationName=tally-schema-registry',
      APICURIO_DATASOURCE_USERNAME: 'postgres',
      APICURIO_SQL_DB_SCHEMA: 'apicurio',
      APICURIO_DATASOURCE_JDBC_INITIAL_SIZE: '2',
      APICURIO_DATASOURCE_JDBC_MIN_SIZE: '2',
      APICURIO_DATASOURCE_JDBC_MAX_SIZE: '10',
    });
  });

  it('passes the password separately, never in the JDBC URL, and keeps sslmode', () => {
    const env = registryStorageEnv({
      databaseUrl: 'postgresql://tally:p%40ss@db.example:6543/billing?sslmode=require',
      dbSchema: 'registry',
    });
    expect(env['APICURIO_DATASOURCE_URL']).toBe(
      'jdbc:postgresql://db.example:6543/billing?currentSchema=registry&ApplicationName=tally-schema-registry&sslmode=require',
    );
    expect(env['APICURIO_DATASOURCE_USERNAME']).toBe('tally');
    expect(env['APICURIO_DATASOURCE_PASSWORD']).toBe('p@ss');
    expect(
      describeRegistryStorage({ databaseUrl: 'postgresql://tally:p%40ss@db.example:6543/billing', dbSchema: 'r' }),
    ).toBe('postgresql://db.example:6543/billing#r');
  });

  it('refuses a schema name that is not a plain identifier, and a URL that is not PostgreSQL', () => {
    const databaseUrl = 'postgres://postgres@127.0.0.1:5432/test';
    expect(() => registryStorageEnv({ databaseUrl, dbSchema: 'x"; drop schema tally' })).toThrow(/must match/);
    expect(() => registryStorageEnv({ databaseUrl: 'mysql://h/db', dbSchema: 'apicurio' })).toThrow(/postgres/);
  });
});
