/**
 * Where the local Apicurio Registry keeps its schemas: its SQL storage, on the project's PostgreSQL, in
 * a database schema of its own (`apicurio` by default) so the project's schemas are never touched.
 *
 * Why PostgreSQL rather than Apicurio's KafkaSQL (a journal topic on our broker): the PostgreSQL JDBC
 * driver already ships in Apicurio's app archive (org.postgresql 42.7.4, quarkus-jdbc-postgresql), so
 * nothing more is fetched; PostgreSQL is a prerequisite the project never starts nor stops, so
 * `./pnpm stop` leaves the schemas where they are; and the registry does not have to wait for the
 * broker (KafkaSQL replays its journal from the broker at every start). Schema ids are the registry's
 * content ids, drawn from a table of that schema, so they stay the same across restarts.
 */
export interface RegistryStorage {
  /** The project's `postgres://` URL; credentials in it go to the registry's environment, never its argv. */
  databaseUrl: string;
  /** A PostgreSQL schema for the registry's tables, created if missing. */
  dbSchema: string;
}

export const registryDbSchemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

interface ParsedDatabaseUrl {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  sslmode: string | undefined;
}

function parseDatabaseUrl(databaseUrl: string): ParsedDatabaseUrl {
  const url = new URL(databaseUrl);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must be a postgres:// URL to hold the registry's schemas, got ${url.protocol}`);
  }
  const user = decodeURIComponent(url.username) || 'postgres';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || user;
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port === '' ? 5432 : Number(url.port),
    database,
    user,
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    sslmode: url.searchParams.get('sslmode') ?? undefined,
  };
}

/**
 * The environment that makes Apicurio 3.0 use PostgreSQL (Quarkus maps `APICURIO_STORAGE_KIND` to
 * `apicurio.storage.kind`, and so on). `APICURIO_SQL_DB_SCHEMA` makes its "is the database initialized"
 * check look in our schema only, not at any `apicurio` table elsewhere in the database. Its pool
 * defaults (20 connections kept open, up to 100) would take most of a default PostgreSQL; 2 to 10 serve
 * a registry that is mostly read once per schema id.
 *
 * @example
 * registryStorageEnv({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/test', dbSchema: 'apicurio' })
 *   .APICURIO_DATASOURCE_URL // 'jdbc:postgresql://127.0.0.1:5432/test?currentSchema=apicurio&ApplicationName=tally-schema-registry'
 */
export function registryStorageEnv(storage: RegistryStorage): Record<string, string> {
  if (!registryDbSchemaPattern.test(storage.dbSchema)) {
    throw new Error(
      `registry database schema must match ${String(registryDbSchemaPattern)}, got "${storage.dbSchema}"`,
    );
  }
  const db = parseDatabaseUrl(storage.databaseUrl);
  const params = new URLSearchParams({ currentSchema: storage.dbSchema, ApplicationName: 'tally-schema-registry' });
  if (db.sslmode !== undefined) params.set('sslmode', db.sslmode);
  const host = db.host.includes(':') && !db.host.startsWith('[') ? `[${db.host}]` : db.host;
  const env: Record<string, string> = {
    APICURIO_STORAGE_KIND: 'sql',
    APICURIO_STORAGE_SQL_KIND: 'postgresql',
    APICURIO_DATASOURCE_URL: `jdbc:postgresql://${host}:${db.port}/${encodeURIComponent(db.database)}?${params.toString()}`,
    APICURIO_DATASOURCE_USERNAME: db.user,
    APICURIO_SQL_DB_SCHEMA: storage.dbSchema,
    APICURIO_DATASOURCE_JDBC_INITIAL_SIZE: '2',
    APICURIO_DATASOURCE_JDBC_MIN_SIZE: '2',
    APICURIO_DATASOURCE_JDBC_MAX_SIZE: '10',
  };
  // Without a password in the URL (trust or peer auth) Apicurio keeps its default, which such a server ignores.
  if (db.password !== undefined) env['APICURIO_DATASOURCE_PASSWORD'] = db.password;
  return env;
}

/**
 * What the storage is, fit for a log line and a marker file: host, database and schema, no credentials.
 *
 * @example
 * describeRegistryStorage({ databaseUrl: 'postgres://u:secret@db:5432/test', dbSchema: 'apicurio' })
 * // 'postgresql://db:5432/test#apicurio'
 */
export function describeRegistryStorage(storage: RegistryStorage): string {
  const db = parseDatabaseUrl(storage.databaseUrl);
  return `postgresql://${db.host}:${db.port}/${db.database}#${storage.dbSchema}`;
}
