export * from './pool.ts';
export * from './migrate.ts';
export * from './offset-store.ts';
export * from './test-database.ts';
export * from './roles.ts';
